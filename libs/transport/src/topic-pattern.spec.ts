import { isWildcardPattern, matchesTopic } from './topic-pattern.js';

describe('matchesTopic', () => {
  it.each([
    ['order.created', 'order.created', true],
    ['order.created', 'order.paid', false],
    ['order.*', 'order.created', true],
    ['order.*', 'order', false],
    ['order.*', 'order.created.late', false],
    ['*.created', 'order.created', true],
    ['*', 'order', true],
    ['*', '', false],
    ['#', '', true],
    ['#', 'a.b.c', true],
    ['audit.#', 'audit', true],
    ['audit.#', 'audit.user.login', true],
    ['audit.#', 'auditing.user', false],
    ['#.login', 'audit.user.login', true],
    ['#.login', 'login', true],
    ['a.#.z', 'a.z', true],
    ['a.#.z', 'a.b.c.z', true],
    ['a.#.z', 'a.b.c', false],
    ['a.*.#', 'a', false],
    ['a.*.#', 'a.b', true],
    ['#.#', 'x', true],
    ['#.*.#', '', false],
    ['a..b', 'a..b', true],
    ['a.*.b', 'a..b', true],
    ['order.created', 'order.createdX', false],
    ['{"cmd":"sum"}', '{"cmd":"sum"}', true],
  ])('%s matches %s: %s', (pattern, key, expected) => {
    expect(matchesTopic(pattern, key)).toBe(expected);
  });

  it('stays linear-ish on many # words', () => {
    const pattern = Array.from({ length: 40 }, () => '#').join('.') + '.x';
    const key = Array.from({ length: 200 }, () => 'y').join('.');
    expect(matchesTopic(pattern, key)).toBe(false);
  });
});

describe('isWildcardPattern', () => {
  it.each([
    ['order.*', true],
    ['audit.#', true],
    ['#', true],
    ['order.created', false],
    ['order.c*', false],
    ['', false],
  ])('%s: %s', (pattern, expected) => {
    expect(isWildcardPattern(pattern)).toBe(expected);
  });
});
