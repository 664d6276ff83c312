/**
 * AMQP topic matching for handler patterns, so that a handler bound with `orders.*` or `audit.#` is found for the
 * routing key the broker delivered the message with (RabbitMQ "Topic Exchange" semantics: words are separated by
 * `.`, `*` matches exactly one word, `#` matches zero or more words).
 */

const SEPARATOR = '.';
const ONE_WORD = '*';
const ANY_WORDS = '#';

/**
 * Splits a topic key into words. The empty key has no words (as RabbitMQ's `split_topic_key`), so `#` matches it
 * and `*` does not.
 */
function words(key: string): string[] {
  return key === '' ? [] : key.split(SEPARATOR);
}

/** Whether a pattern contains a `*` or `#` word (and so must be matched, not looked up). */
export function isWildcardPattern(pattern: string): boolean {
  return words(pattern).some((word) => word === ONE_WORD || word === ANY_WORDS);
}

/**
 * Whether the topic binding key `pattern` matches `routingKey`.
 *
 * Dynamic programming over (pattern word, key word) positions: a backtracking matcher goes exponential on
 * patterns like `#.#.#.x`, and handler patterns are client-controlled enough that we avoid the risk.
 */
export function matchesTopic(pattern: string, routingKey: string): boolean {
  const p = words(pattern);
  const k = words(routingKey);
  // row[j]: whether p[0..i) matches k[0..j); one row at a time, since row i only reads row i-1.
  let row: boolean[] = new Array<boolean>(k.length + 1).fill(false);
  row[0] = true;
  for (let i = 0; i < p.length; i++) {
    const next: boolean[] = new Array<boolean>(k.length + 1).fill(false);
    const word = p[i];
    if (word === ANY_WORDS) {
      // `#` absorbs zero words (row[j]) or one more word (next[j-1]).
      for (let j = 0; j <= k.length; j++) next[j] = row[j] || (j > 0 && next[j - 1]);
    } else {
      for (let j = 1; j <= k.length; j++) next[j] = row[j - 1] && (word === ONE_WORD || word === k[j - 1]);
    }
    row = next;
  }
  return row[k.length];
}
