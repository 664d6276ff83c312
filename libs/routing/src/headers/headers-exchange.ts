import type { BindingMatcher, ExchangeType } from '../exchange-type.js';
import { fieldTableKey } from '../field-table-key.js';
import type { Headers } from '../headers.js';
import { HeadersBindingSpec, validateHeadersBinding } from './headers-binding.js';

interface HeadersEntry<D> {
  readonly destination: D;
  readonly argsKey: string;
  readonly spec: HeadersBindingSpec;
}

/**
 * Binding index of a headers exchange: every binding is tested against the message headers.
 *
 * Linear in the number of bindings, as RabbitMQ's headers type is; the routing key plays no part.
 */
export class HeadersMatcher<D> implements BindingMatcher<D> {
  // An array, not a map: match iterates it once per publish and arrays iterate cheapest.
  private entries: HeadersEntry<D>[] = [];

  /** Compiles and indexes a binding's arguments. */
  add(_routingKey: string, args: Headers, destination: D): void {
    this.entries.push({ destination, argsKey: fieldTableKey(args), spec: new HeadersBindingSpec(args) });
  }

  /** Removes one binding with equal arguments to `destination`. */
  remove(_routingKey: string, args: Headers, destination: D): void {
    const argsKey = fieldTableKey(args);
    const index = this.entries.findIndex((entry) => entry.destination === destination && entry.argsKey === argsKey);
    if (index >= 0) this.entries.splice(index, 1);
  }

  /** Adds the destination of every binding the headers satisfy. */
  match(_routingKey: string, headers: Headers | undefined, out: Set<D>): boolean {
    const entries = this.entries;
    let isMatched = false;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (entry.spec.matches(headers)) {
        out.add(entry.destination);
        isMatched = true;
      }
    }
    return isMatched;
  }
}

/** The `headers` exchange type: bindings match on message header fields per their `x-match` mode. */
export const headersExchange: ExchangeType = {
  name: 'headers',
  createMatcher: <D>() => new HeadersMatcher<D>(),
  validateBinding: (_routingKey, args) => validateHeadersBinding(args),
};
