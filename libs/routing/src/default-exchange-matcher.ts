import type { BindingMatcher } from './exchange-type.js';
import type { Headers } from './headers.js';
import type { RoutableQueue } from './routable-queue.js';

/**
 * The default exchange's "bindings": every queue is implicitly bound under its own name, so matching is a
 * lookup by name through the broker's queue table instead of a stored index (RabbitMQ has done the same since
 * 3.8, rabbitmq-server#1721).
 */
export class DefaultExchangeMatcher<Q extends RoutableQueue> implements BindingMatcher<Q> {
  constructor(private readonly resolveQueue: (name: string) => Q | undefined) {}

  /** Never called: the topology refuses bindings on the default exchange with 403 first. */
  add(): void {
    throw new Error('routing: the default exchange cannot be bound');
  }

  /** Never called, as for {@link add}. */
  remove(): void {
    throw new Error('routing: the default exchange cannot be unbound');
  }

  /** Adds the queue named by the routing key, if it exists. */
  match(routingKey: string, _headers: Headers | undefined, out: Set<Q>): boolean {
    const queue = this.resolveQueue(routingKey);
    if (queue === undefined) return false;
    out.add(queue);
    return true;
  }
}
