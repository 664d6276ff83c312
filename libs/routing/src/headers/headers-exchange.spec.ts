import type { Headers } from '../headers.js';
import { headersExchange } from './headers-exchange.js';

/** Stands in for the codec's TypedFieldValue class (matched structurally). */
class TypedValue {
  constructor(
    readonly type: string,
    readonly value: number | bigint | { scale: number; value: number },
  ) {}
}

describe('headers exchange', () => {
  it.each<[string, Headers, Headers | undefined, boolean]>([
    ['all with no fields matches everything', {}, undefined, true],
    ['all with no fields matches any headers', {}, { a: 1 }, true],
    ['any with no fields matches nothing', { 'x-match': 'any' }, { a: 1 }, false],
    ['all: equal value', { a: 1 }, { a: 1 }, true],
    ['all: different value', { a: 1 }, { a: 2 }, false],
    ['all: no headers', { a: 1 }, undefined, false],
    ['all: one field missing', { a: 1, b: 2 }, { a: 1 }, false],
    ['all: extra headers are fine', { a: 1 }, { a: 1, z: 9 }, true],
    ['any: one field matches', { 'x-match': 'any', a: 1, b: 2 }, { a: 1 }, true],
    ['any: none matches', { 'x-match': 'any', a: 1, b: 2 }, { c: 1, a: 3 }, false],
    ['void binding value tests presence', { a: null }, { a: 'anything' }, true],
    ['void binding value needs the header', { a: null }, { b: 1 }, false],
    ['void header is present for a void binding value', { a: null }, { a: null }, true],
    ['void header does not equal a value', { a: 1 }, { a: null }, false],
    ['any with a presence field', { 'x-match': 'any', a: null, b: 1 }, { a: 5 }, true],
    ['string equals the same bytes', { a: 'str' }, { a: Buffer.from('str') }, true],
    ['number equals bigint', { a: 1 }, { a: 1n }, true],
    ['integer equals float', { a: 1 }, { a: 1.0 }, true],
    ['number is not a string', { a: 1 }, { a: '1' }, false],
    ['booleans', { a: true }, { a: true }, true],
    ['boolean is not a number', { a: true }, { a: 1 }, false],
    ['typed number equals number', { a: new TypedValue('I', 5) }, { a: 5 }, true],
    [
      'decimals by scale and value',
      { a: new TypedValue('D', { scale: 2, value: 150 }) },
      { a: new TypedValue('D', { scale: 2, value: 150 }) },
      true,
    ],
    ['nested tables', { a: { b: 1, c: 'x' } }, { a: { c: 'x', b: 1 } }, true],
    ['nested tables differ', { a: { b: 1 } }, { a: { b: 2 } }, false],
    ['arrays element by element', { a: [1, 'two'] }, { a: [1, 'two'] }, true],
    ['arrays in order', { a: [1, 2] }, { a: [2, 1] }, false],
    ['x- binding fields are ignored by all', { 'x-foo': 'bar' }, {}, true],
    ['x- binding fields are ignored by any', { 'x-match': 'any', 'x-foo': 'bar' }, { 'x-foo': 'bar' }, false],
    ['all-with-x considers x- fields', { 'x-match': 'all-with-x', 'x-foo': 'bar' }, {}, false],
    ['all-with-x matches x- fields', { 'x-match': 'all-with-x', 'x-foo': 'bar', a: 1 }, { 'x-foo': 'bar', a: 1 }, true],
    ['any-with-x matches on an x- field', { 'x-match': 'any-with-x', 'x-foo': 'bar', a: 1 }, { 'x-foo': 'bar' }, true],
    ['the headers x-match is just a header', { 'x-match': 'all', a: 1 }, { a: 1, 'x-match': 'any' }, true],
    ['Object.prototype keys are not headers', { constructor: null }, {}, false],
  ])('%s', (_name, args, headers, isMatch) => {
    expect(headersExchange.validateBinding?.('', args)).toBeUndefined();
    const matcher = headersExchange.createMatcher<string>();
    matcher.add('ignored', args, 'q');
    const out = new Set<string>();
    expect(matcher.match('any-key', headers, out)).toBe(isMatch);
    expect(out.has('q')).toBe(isMatch);
  });

  it.each<[Headers, string | undefined]>([
    [{}, undefined],
    [{ 'x-match': 'all' }, undefined],
    [{ 'x-match': 'any' }, undefined],
    [{ 'x-match': 'all-with-x' }, undefined],
    [{ 'x-match': 'any-with-x' }, undefined],
    [{ 'x-match': 'foo' }, 'Invalid x-match field value <<"foo">>; expected all, any, all-with-x, or any-with-x'],
    [{ 'x-match': 'ALL' }, 'Invalid x-match field value <<"ALL">>; expected all, any, all-with-x, or any-with-x'],
    [{ 'x-match': 5 }, 'Invalid x-match field type signedint (value 5); expected longstr'],
    [{ 'x-match': Buffer.from('all') }, 'Invalid x-match field type binary (value <<"all">>); expected longstr'],
    [{ 'x-match': null }, 'Invalid x-match field type void (value undefined); expected longstr'],
  ])('validates binding arguments %o: %s', (args, text) => {
    expect(headersExchange.validateBinding?.('', args)).toBe(text);
  });

  it('removes only the binding with equal arguments', () => {
    const matcher = headersExchange.createMatcher<string>();
    matcher.add('', { a: 1 }, 'q');
    matcher.add('', { 'x-match': 'any', a: 1, b: 2 }, 'q');
    matcher.remove('', { a: 1 }, 'q');
    const out = new Set<string>();
    expect(matcher.match('', { b: 2 }, out)).toBe(true);
    matcher.remove('', { b: 2, a: 1, 'x-match': 'any' }, 'q');
    expect(matcher.match('', { a: 1, b: 2 }, new Set())).toBe(false);
  });
});
