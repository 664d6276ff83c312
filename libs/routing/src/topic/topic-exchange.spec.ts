import fc from 'fast-check';
import { TOPIC_CACHE_MAX, TopicMatcher, topicExchange } from './topic-exchange.js';
import { splitTopicWords } from './topic-trie.js';

/** Brute-force reference: RabbitMQ's `match_words` over `split_topic_key` words. */
function referenceMatch(bindingKey: string, routingKey: string): boolean {
  const matchWords = (pattern: readonly string[], words: readonly string[]): boolean => {
    if (pattern.length === 0) return words.length === 0;
    const [head, ...rest] = pattern;
    if (head === '#') {
      for (let skip = 0; skip <= words.length; skip++) if (matchWords(rest, words.slice(skip))) return true;
      return false;
    }
    if (words.length === 0) return false;
    return (head === '*' || head === words[0]) && matchWords(rest, words.slice(1));
  };
  const split = (key: string) => (key === '' ? [] : key.split('.'));
  return matchWords(split(bindingKey), split(routingKey));
}

describe('splitTopicWords', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['a', ['a']],
    ['a.b', ['a', 'b']],
    ['a..b', ['a', '', 'b']],
    ['.', ['', '']],
    ['a.', ['a', '']],
  ])('splits %j into %j', (key, words) => {
    expect(splitTopicWords(key)).toEqual(words);
  });
});

describe('topic exchange', () => {
  it.each<[bindingKey: string, routingKey: string, isMatch: boolean]>([
    ['a.b.c', 'a.b.c', true],
    ['a.b.c', 'a.b', false],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.c', false],
    ['a.*', 'a', false],
    ['a.*', 'a.', true], // the empty word is a word
    ['a.*.b', 'a..b', true],
    ['a..b', 'a..b', true],
    ['*.*', '.', true],
    ['*', '', false], // the empty key has no words
    ['*', 'a.b', false],
    ['#', '', true],
    ['#', 'a..b', true],
    ['', '', true],
    ['', 'a', false],
    ['a.#', 'a', true],
    ['a.#', 'a.b.c', true],
    ['a.#', 'b.a', false],
    ['#.a', 'a', true],
    ['#.a', 'b.c.a', true],
    ['#.#', 'x', true],
    ['#.#', '', true],
    ['a.#.b', 'a.b', true],
    ['a.#.b', 'a.x.y.b', true],
    ['a.#.b', 'a.x.y.c', false],
    ['*.#', '', false],
    ['#.*', 'a', true],
    ['#.*', '', false],
    ['a.#.#.b', 'a.b', true],
    ['a#', 'ab', false], // wildcards are whole words only
    ['a#', 'a#', true],
    ['a*', 'ab', false],
  ])('binding key %j and routing key %j match: %s', (bindingKey, routingKey, isMatch) => {
    expect(referenceMatch(bindingKey, routingKey)).toBe(isMatch);
    const matcher = topicExchange.createMatcher<string>();
    matcher.add(bindingKey, {}, 'q');
    const out = new Set<string>();
    expect(matcher.match(routingKey, undefined, out)).toBe(isMatch);
    expect(out.has('q')).toBe(isMatch);
  });

  const word = fc.constantFrom('a', 'b', '');
  const key = fc.array(word, { maxLength: 5 }).map((words) => words.join('.'));
  const pattern = fc.array(fc.constantFrom('a', 'b', '', '*', '#'), { maxLength: 5 }).map((words) => words.join('.'));

  it('matches like the brute-force reference on random patterns and keys', () => {
    fc.assert(
      fc.property(fc.array(pattern, { maxLength: 12 }), fc.array(key, { minLength: 1, maxLength: 8 }), (patterns, keys) => {
        const matcher = new TopicMatcher<number>();
        patterns.forEach((p, i) => matcher.add(p, {}, i));
        for (const routingKey of keys) {
          const out = new Set<number>();
          matcher.match(routingKey, undefined, out);
          const expected = patterns.flatMap((p, i) => (referenceMatch(p, routingKey) ? [i] : []));
          expect([...out].sort((x, y) => x - y)).toEqual(expected);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('stays consistent with the reference across binds, unbinds and cached keys', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('bind' as const), pattern, destination: fc.nat(4) }),
      fc.record({ kind: fc.constant('unbind' as const), pattern, destination: fc.nat(4) }),
      fc.record({ kind: fc.constant('match' as const), key }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const matcher = new TopicMatcher<number>(4); // a tiny cache, so trimming is exercised too
        const model: [string, number][] = [];
        for (const o of ops) {
          if (o.kind === 'bind') {
            matcher.add(o.pattern, {}, o.destination);
            model.push([o.pattern, o.destination]);
          } else if (o.kind === 'unbind') {
            // The matcher contract: remove() only what was added (the topology checks the binding exists first).
            // `#.#` and `#` share one trie entry, so removing a never-added `#` would take `#.#` with it.
            const index = model.findIndex(([p, d]) => p === o.pattern && d === o.destination);
            if (index < 0) continue;
            matcher.remove(o.pattern, {}, o.destination);
            model.splice(index, 1);
          } else {
            const out = new Set<number>();
            matcher.match(o.key, undefined, out);
            const expected = new Set(model.filter(([p]) => referenceMatch(p, o.key)).map(([, d]) => d));
            expect([...out].sort()).toEqual([...expected].sort());
            expect(matcher.cacheSize).toBeLessThanOrEqual(4);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps its match cache bounded however many distinct keys are published', () => {
    const matcher = new TopicMatcher<string>();
    matcher.add('orders.#', {}, 'q');
    const out = new Set<string>();
    for (let i = 0; i < TOPIC_CACHE_MAX * 5; i++) matcher.match(`other.${i}`, undefined, out);
    expect(out.size).toBe(0);
    expect(matcher.cacheSize).toBeLessThanOrEqual(TOPIC_CACHE_MAX);
  });

  it('does not fill the cache while it has no bindings', () => {
    const matcher = new TopicMatcher<string>();
    const out = new Set<string>();
    for (let i = 0; i < 100; i++) expect(matcher.match(`k.${i}`, undefined, out)).toBe(false);
    expect(matcher.cacheSize).toBe(0);
  });

  it('invalidates cached results on bind and unbind', () => {
    const matcher = new TopicMatcher<string>();
    matcher.add('a.b', {}, 'q1');
    const out = new Set<string>();
    matcher.match('a.b', undefined, out);
    expect(matcher.cacheSize).toBe(1);
    matcher.add('a.*', {}, 'q2');
    expect(matcher.cacheSize).toBe(0);
    out.clear();
    matcher.match('a.b', undefined, out);
    expect([...out].sort()).toEqual(['q1', 'q2']);
    matcher.remove('a.b', {}, 'q1');
    out.clear();
    matcher.match('a.b', undefined, out);
    expect([...out]).toEqual(['q2']);
  });
});
