import { describe, expect, it } from '@jest/globals';
import { escapeQueueId, hex16, parseQueueKey, queuePrefix, rangeEnd, unescapeQueueId } from './level-keys.js';

describe('level keys', () => {
  it.each(['plain', 'a!b', '%21', '%', '!', '', 'vhost/queue', 'ü队列', 'a%!b!%'])('escapes %j reversibly, without "!"', (id) => {
    const escaped = escapeQueueId(id);
    expect(escaped).not.toContain('!');
    expect(unescapeQueueId(escaped)).toBe(id);
  });

  it('orders seq keys numerically', () => {
    const seqs = [0, 9, 10, 255, 256, 4096, 2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER];
    const keys = seqs.map((seq) => queuePrefix('q') + 'm!' + hex16(seq));
    expect([...keys].sort()).toEqual(keys);
  });

  it('keeps one queue’s range clear of a queue whose id extends it', () => {
    const prefix = queuePrefix('a');
    const other = queuePrefix('a!m') + 'm!' + hex16(1);
    expect(other >= prefix && other < rangeEnd(prefix)).toBe(false);
  });

  it.each([
    ['q!a%21b!m!00000000000000ff', { kind: 'message', queueId: 'a!b', seq: 255 }],
    ['q!a!m!0000000000000001!000000000000000a', { kind: 'message', queueId: 'a', seq: 1, bodyId: 10 }],
    ['q!a!d!0000000000000002', { kind: 'delivery', queueId: 'a', seq: 2 }],
    ['q!!meta', { kind: 'counters', queueId: '' }],
    ['q!a!m!12', { kind: 'unknown', key: 'q!a!m!12' }],
    ['q!a!x!0000000000000001', { kind: 'unknown', key: 'q!a!x!0000000000000001' }],
    ['q!a!m!0000000000000001!zz', { kind: 'unknown', key: 'q!a!m!0000000000000001!zz' }],
    ['q!nothing', { kind: 'unknown', key: 'q!nothing' }],
  ])('parses %s', (key, expected) => {
    expect(parseQueueKey(key)).toEqual(expected);
  });
});
