import { fanoutExchange } from './fanout-exchange.js';

describe('fanout exchange', () => {
  it.each(['', 'k', 'a.b.c', '#'])('routes routing key %j to every binding, whatever their keys', (routingKey) => {
    const matcher = fanoutExchange.createMatcher<string>();
    matcher.add('', {}, 'q1');
    matcher.add('other', {}, 'q2');
    matcher.add('#', { a: 1 }, 'q3');
    const out = new Set<string>();
    expect(matcher.match(routingKey, undefined, out)).toBe(true);
    expect([...out].sort()).toEqual(['q1', 'q2', 'q3']);
  });
});
