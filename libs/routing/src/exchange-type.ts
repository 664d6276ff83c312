import type { Headers } from './headers.js';

/**
 * A pluggable exchange type (RabbitMQ `rabbit_exchange_type`): one module per type, registered by name in an
 * {@link ExchangeTypeRegistry}.
 *
 * @remarks
 * Implementors must guarantee:
 * - `createMatcher` returns an independent, empty index each call. The topology creates one per exchange for its
 *   queue bindings and, lazily, one for its exchange-to-exchange bindings.
 * - Matching is a pure function of the routing key, the headers and the bindings added so far.
 * - `validateBinding` has no side effects and returns RabbitMQ's reply text without the `PRECONDITION_FAILED - `
 *   prefix; the topology raises it as 406 before storing the binding.
 *
 * Deliberately out of scope here: the alternate exchange, exchange-to-exchange hops, the cycle guard and the
 * default exchange's queue-by-name lookup. Those live once in the shared publish path (`Topology.route`), as in
 * lavinmq's `Exchange#find_queues`, so a type only answers "which of my bindings match".
 */
export interface ExchangeType {
  /** The name clients pass in `exchange.declare` (`direct`, `fanout`, `topic`, `headers`, …). */
  readonly name: string;
  /** Creates an empty binding index for one exchange of this type. */
  createMatcher<D>(args?: Headers): BindingMatcher<D>;
  /** Returns RabbitMQ's text for exchange arguments this type refuses at declare (checked on creation only). */
  validateArguments?(args: Headers): string | undefined;
  /** Set by types that hold messages before routing them (`x-delayed-message`): the broker schedules those. */
  readonly isDelayed?: boolean;
  /** RabbitMQ's error text for a binding this type refuses (e.g. a bad headers `x-match`), else undefined. */
  validateBinding?(routingKey: string, args: Headers): string | undefined;
}

/**
 * One exchange's binding index for one kind of destination.
 *
 * @remarks
 * - `add` and `remove` are called once per binding: a destination bound twice (different keys or arguments) is
 *   added twice and must stay matched until both are removed. The topology calls `remove` only for a binding it
 *   added (types that ignore keys or arguments may rely on that); removing a destination never added is a no-op.
 * - `match` adds every matching destination to `out` and returns whether any binding matched, even one whose
 *   destination was already in `out` (the alternate exchange is used only when nothing matched).
 * - `match` runs once per publish: it must not allocate for an unbound key and must not grow any structure per
 *   distinct routing key except a bounded cache (unbounded caches keyed by client input are a memory leak).
 */
export interface BindingMatcher<D> {
  /** Indexes one binding. */
  add(routingKey: string, args: Headers, destination: D): void;
  /** Removes one binding previously added with equal key, arguments and destination. */
  remove(routingKey: string, args: Headers, destination: D): void;
  /** Adds every matching destination to `out`; returns true if at least one binding matched. */
  match(routingKey: string, headers: Headers | undefined, out: Set<D>): boolean;
}
