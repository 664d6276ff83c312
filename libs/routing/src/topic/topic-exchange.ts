import type { BindingMatcher, ExchangeType } from '../exchange-type.js';
import type { Headers } from '../headers.js';
import { TopicTrie } from './topic-trie.js';

/** Most routing keys a topic exchange caches results for (nats `slCacheMax`). */
export const TOPIC_CACHE_MAX = 1024;

const NO_DESTINATIONS: readonly never[] = Object.freeze([]);

/**
 * Binding index of a topic exchange: a {@link TopicTrie} plus a bounded cache of match results by routing key.
 *
 * The cache keeps the hot path free of allocation for repeated keys (splitting a key into words allocates). It
 * holds at most `cacheMax` keys, unbound ones included, and is dropped on every bind and unbind rather than
 * patched, since topology changes are rare next to publishes.
 */
export class TopicMatcher<D> implements BindingMatcher<D> {
  private readonly trie = new TopicTrie<D>();
  private readonly cache = new Map<string, readonly D[]>();

  constructor(private readonly cacheMax = TOPIC_CACHE_MAX) {}

  /** Number of cached routing keys (introspection and tests: it never exceeds `cacheMax`). */
  get cacheSize(): number {
    return this.cache.size;
  }

  /** Indexes a binding key (`*` one word, `#` zero or more); arguments are ignored. */
  add(routingKey: string, _args: Headers, destination: D): void {
    this.trie.insert(routingKey, destination);
    this.cache.clear();
  }

  /** Removes one binding key for `destination`. */
  remove(routingKey: string, _args: Headers, destination: D): void {
    this.trie.remove(routingKey, destination);
    this.cache.clear();
  }

  /** Adds every destination whose binding key matches `routingKey`. */
  match(routingKey: string, _headers: Headers | undefined, out: Set<D>): boolean {
    // An exchange without bindings answers before touching the cache, so it never fills it.
    if (this.trie.isEmpty) return false;
    let result = this.cache.get(routingKey);
    if (result === undefined) {
      result = this.lookUp(routingKey);
      if (this.cache.size >= this.cacheMax) this.trimCache();
      this.cache.set(routingKey, result);
    }
    for (let i = 0; i < result.length; i++) out.add(result[i]);
    return result.length > 0;
  }

  private lookUp(routingKey: string): readonly D[] {
    const found = new Set<D>();
    this.trie.match(routingKey, found);
    // Unbound keys share one frozen empty array, so caching them costs only the map entry.
    return found.size === 0 ? NO_DESTINATIONS : Array.from(found);
  }

  /** Drops the oldest quarter: Map iterates in insertion order, so this is amortised O(1) per insert. */
  private trimCache(): void {
    let toDrop = Math.max(1, this.cacheMax >> 2);
    for (const key of this.cache.keys()) {
      this.cache.delete(key);
      if (--toDrop === 0) break;
    }
  }
}

/** The `topic` exchange type: dot-separated binding keys with `*` and `#` wildcards. */
export const topicExchange: ExchangeType = {
  name: 'topic',
  createMatcher: <D>() => new TopicMatcher<D>(),
};
