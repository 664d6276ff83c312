import { DestinationCounts } from '../destination-counts.js';
import type { BindingMatcher, ExchangeType } from '../exchange-type.js';
import type { Headers } from '../headers.js';

/** Binding index of a fanout exchange: every destination, whatever the key. */
export class FanoutMatcher<D> implements BindingMatcher<D> {
  private readonly destinations = new DestinationCounts<D>();

  /** Indexes a binding; its key and arguments are irrelevant to routing. */
  add(_routingKey: string, _args: Headers, destination: D): void {
    this.destinations.add(destination);
  }

  /** Removes one binding to `destination`. */
  remove(_routingKey: string, _args: Headers, destination: D): void {
    this.destinations.remove(destination);
  }

  /** Adds every bound destination. */
  match(_routingKey: string, _headers: Headers | undefined, out: Set<D>): boolean {
    return this.destinations.addTo(out);
  }
}

/** The `fanout` exchange type: a message goes to every binding; the routing key is ignored. */
export const fanoutExchange: ExchangeType = {
  name: 'fanout',
  createMatcher: <D>() => new FanoutMatcher<D>(),
};
