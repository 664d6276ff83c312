import { DestinationCounts } from '../destination-counts.js';
import type { BindingMatcher, ExchangeType } from '../exchange-type.js';
import type { Headers } from '../headers.js';

/** Binding index of a direct exchange: destinations by exact routing key. */
export class DirectMatcher<D> implements BindingMatcher<D> {
  private readonly byKey = new Map<string, DestinationCounts<D>>();

  /** Number of distinct bound keys (introspection and tests: it must not grow with unbound keys). */
  get keyCount(): number {
    return this.byKey.size;
  }

  /** Indexes a binding under its exact key; arguments are ignored, as RabbitMQ's direct type does. */
  add(routingKey: string, _args: Headers, destination: D): void {
    let destinations = this.byKey.get(routingKey);
    if (destinations === undefined) {
      destinations = new DestinationCounts<D>();
      this.byKey.set(routingKey, destinations);
    }
    destinations.add(destination);
  }

  /** Removes a binding; drops the key's entry once it has no destinations so the map never keeps dead keys. */
  remove(routingKey: string, _args: Headers, destination: D): void {
    const destinations = this.byKey.get(routingKey);
    if (destinations !== undefined && destinations.remove(destination)) this.byKey.delete(routingKey);
  }

  /** Adds the destinations bound under exactly `routingKey`. */
  match(routingKey: string, _headers: Headers | undefined, out: Set<D>): boolean {
    // A lookup only: never create an entry for an unbound key, or the map grows with every key ever published
    // (lavinmq direct.cr).
    const destinations = this.byKey.get(routingKey);
    return destinations !== undefined && destinations.addTo(out);
  }
}

/** The `direct` exchange type: a message goes to the bindings whose key equals its routing key. */
export const directExchange: ExchangeType = {
  name: 'direct',
  createMatcher: <D>() => new DirectMatcher<D>(),
};
