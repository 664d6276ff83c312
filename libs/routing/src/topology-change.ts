import type { Binding } from './binding.js';
import type { Exchange } from './exchange.js';
import type { RoutableQueue } from './routable-queue.js';

/** One successful topology mutation, reported so the broker can persist durable changes. */
export type TopologyChange<Q extends RoutableQueue> =
  | { readonly kind: 'exchange.declared'; readonly exchange: Exchange<Q> }
  | { readonly kind: 'exchange.deleted'; readonly exchange: Exchange<Q> }
  | { readonly kind: 'binding.added'; readonly binding: Binding<Q> }
  | { readonly kind: 'binding.removed'; readonly binding: Binding<Q> };
