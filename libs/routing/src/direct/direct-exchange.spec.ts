import { DirectMatcher, directExchange } from './direct-exchange.js';

describe('direct exchange', () => {
  it.each<[bindingKey: string, routingKey: string, isMatch: boolean]>([
    ['k', 'k', true],
    ['k', 'K', false],
    ['k', 'k.', false],
    ['', '', true],
    ['', 'k', false],
    ['a.*', 'a.b', false], // no wildcards in direct
    ['a.*', 'a.*', true],
    ['ü', 'ü', true],
  ])('binding key %j and routing key %j match: %s', (bindingKey, routingKey, isMatch) => {
    const matcher = directExchange.createMatcher<string>();
    matcher.add(bindingKey, {}, 'q');
    const out = new Set<string>();
    expect(matcher.match(routingKey, undefined, out)).toBe(isMatch);
    expect(out.has('q')).toBe(isMatch);
  });

  it('never creates an entry for an unbound key', () => {
    const matcher = new DirectMatcher<string>();
    const out = new Set<string>();
    for (let i = 0; i < 1000; i++) matcher.match(`unbound.${i}`, undefined, out);
    expect(matcher.keyCount).toBe(0);
    expect(out.size).toBe(0);
  });

  it('drops a key once its last binding is removed', () => {
    const matcher = new DirectMatcher<string>();
    matcher.add('k', {}, 'q1');
    matcher.add('k', {}, 'q2');
    matcher.remove('k', {}, 'q1');
    expect(matcher.keyCount).toBe(1);
    matcher.remove('k', {}, 'q2');
    expect(matcher.keyCount).toBe(0);
  });
});
