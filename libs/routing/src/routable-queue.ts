/** Anything a binding can point at that is a queue. */
export interface RoutableQueue {
  readonly name: string;
}
