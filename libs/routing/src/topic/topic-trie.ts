import { DestinationCounts } from '../destination-counts.js';

/** One level of the trie: literal words by value, plus dedicated `*` and `#` children (nats sublist `level`). */
class TopicNode<D> {
  // Most nodes have no literal children; allocate the map only when one is added.
  literals: Map<string, TopicNode<D>> | undefined;
  star: TopicNode<D> | undefined;
  hash: TopicNode<D> | undefined;
  destinations: DestinationCounts<D> | undefined;

  get isEmpty(): boolean {
    return (
      this.destinations === undefined &&
      this.star === undefined &&
      this.hash === undefined &&
      (this.literals === undefined || this.literals.size === 0)
    );
  }

  child(word: string): TopicNode<D> | undefined {
    if (word === '*') return this.star;
    if (word === '#') return this.hash;
    return this.literals?.get(word);
  }

  ensureChild(word: string): TopicNode<D> {
    let next = this.child(word);
    if (next !== undefined) return next;
    next = new TopicNode<D>();
    if (word === '*') this.star = next;
    else if (word === '#') this.hash = next;
    else (this.literals ??= new Map()).set(word, next);
    return next;
  }

  removeChild(word: string): void {
    if (word === '*') this.star = undefined;
    else if (word === '#') this.hash = undefined;
    else this.literals?.delete(word);
  }
}

/**
 * Splits a routing or binding key into words as RabbitMQ does (`split_topic_key`): on every `.`, keeping empty
 * words (`a..b` is three words), except that the empty key has no words at all.
 */
export function splitTopicWords(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

/**
 * Binding keys as a trie over dot-separated words, with dedicated `*` (exactly one word) and `#` (zero or more
 * words) children per level, after nats-server's `sublist.go` (`matchLevel`).
 *
 * Only whole words are wildcards: `a*` and `#b` are literals, as in RabbitMQ.
 */
export class TopicTrie<D> {
  private readonly root = new TopicNode<D>();

  /** True when no binding is indexed. */
  get isEmpty(): boolean {
    return this.root.isEmpty;
  }

  /** Indexes one binding key for `destination`. */
  insert(bindingKey: string, destination: D): void {
    let node = this.root;
    for (const word of normalisedWords(bindingKey)) node = node.ensureChild(word);
    (node.destinations ??= new DestinationCounts<D>()).add(destination);
  }

  /** Removes one binding key for `destination`, pruning levels left empty so unbinds give memory back. */
  remove(bindingKey: string, destination: D): void {
    this.removeAt(this.root, normalisedWords(bindingKey), 0, destination);
  }

  /** Adds to `out` every destination whose binding key matches `routingKey`. */
  match(routingKey: string, out: Set<D>): void {
    this.matchLevel(this.root, splitTopicWords(routingKey), 0, out);
  }

  private removeAt(node: TopicNode<D>, words: readonly string[], index: number, destination: D): void {
    if (index === words.length) {
      if (node.destinations?.remove(destination)) node.destinations = undefined;
      return;
    }
    const word = words[index];
    const next = node.child(word);
    if (next === undefined) return;
    this.removeAt(next, words, index + 1, destination);
    if (next.isEmpty) node.removeChild(word);
  }

  private matchLevel(node: TopicNode<D>, words: readonly string[], index: number, out: Set<D>): void {
    // '#' may swallow any number of the remaining words, including none.
    const hash = node.hash;
    if (hash !== undefined) {
      for (let next = index; next <= words.length; next++) this.matchLevel(hash, words, next, out);
    }
    if (index === words.length) {
      node.destinations?.addTo(out);
      return;
    }
    if (node.star !== undefined) this.matchLevel(node.star, words, index + 1, out);
    const literal = node.literals?.get(words[index]);
    if (literal !== undefined) this.matchLevel(literal, words, index + 1, out);
  }
}

/**
 * Binding key words with runs of `#` collapsed: `#.#` matches exactly what `#` matches, and each extra `#` level
 * would multiply the positions tried per match.
 */
function normalisedWords(bindingKey: string): string[] {
  const words = splitTopicWords(bindingKey);
  return words.filter((word, i) => !(word === '#' && i > 0 && words[i - 1] === '#'));
}
