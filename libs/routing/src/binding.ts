import { bindingPropertiesKey } from './binding-properties-key.js';
import type { Exchange } from './exchange.js';
import { fieldTableKey } from './field-table-key.js';
import type { Headers } from './headers.js';
import type { RoutableQueue } from './routable-queue.js';

/** A binding from an exchange to a queue or to another exchange. */
export interface Binding<Q extends RoutableQueue> {
  readonly source: Exchange<Q>;
  readonly destination: Q | Exchange<Q>;
  readonly destinationType: 'queue' | 'exchange';
  readonly routingKey: string;
  readonly arguments: Headers;
  /** RabbitMQ's management key for this binding: the quoted routing key (`~` if empty), `~` + args hash. */
  readonly propertiesKey: string;
}

/**
 * The topology's stored binding: a {@link Binding} plus the keys that identify it.
 * @internal Created only by `Topology`; callers see it as a `Binding`.
 */
export class BindingRecord<Q extends RoutableQueue> implements Binding<Q> {
  readonly arguments: Headers;
  readonly propertiesKey: string;
  /** Identifies the binding among its destination's bindings: source, routing key and canonical arguments. */
  readonly identityKey: string;

  // `arguments` cannot be a parameter name in strict code, hence the explicit field.
  constructor(
    readonly source: Exchange<Q>,
    readonly destination: Q | Exchange<Q>,
    readonly destinationType: 'queue' | 'exchange',
    readonly routingKey: string,
    args: Headers,
    argsKey: string = fieldTableKey(args),
  ) {
    this.arguments = args;
    this.propertiesKey = bindingPropertiesKey(routingKey, argsKey);
    this.identityKey = bindingIdentityKey(source.name, routingKey, argsKey);
  }
}

/** The key identifying a binding among its destination's bindings; length-prefixed so no names can collide. */
export function bindingIdentityKey(sourceName: string, routingKey: string, argsKey: string): string {
  return `${sourceName.length}:${sourceName}${routingKey.length}:${routingKey}${argsKey}`;
}
