import { fieldValueEquals } from './field-value-equals.js';
import { fieldTypeName, formatErlangTerm } from './field-value-format.js';

class TypedValue {
  constructor(
    readonly type: unknown,
    readonly value: number | bigint | { scale: number; value: number },
  ) {}
}

describe('fieldValueEquals', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['same number', 1, 1, true],
    ['integer and float', 1, 1.0, true],
    ['number and bigint', 5, 5n, true],
    ['fraction and bigint', 1.5, 1n, false],
    ['typed and plain numbers', new TypedValue('l', 7n), 7, true],
    ['typed numbers of different widths', new TypedValue('b', 7), new TypedValue('I', 7), true],
    ['decimals', new TypedValue('D', { scale: 1, value: 5 }), new TypedValue('D', { scale: 1, value: 5 }), true],
    ['decimals with another scale', new TypedValue('D', { scale: 1, value: 5 }), new TypedValue('D', { scale: 2, value: 50 }), false],
    ['decimal and number', new TypedValue('D', { scale: 0, value: 5 }), 5, false],
    ['strings', 'a', 'a', true],
    ['different strings', 'a', 'b', false],
    ['string and its bytes', 'ü', Buffer.from('ü'), true],
    ['buffers', Buffer.from([1, 2]), Buffer.from([1, 2]), true],
    ['different buffers', Buffer.from([1, 2]), Buffer.from([1, 3]), false],
    ['booleans', false, false, true],
    ['boolean and number', false, 0, false],
    ['void', null, null, true],
    ['void and false', null, false, false],
    ['arrays', [1, 'a', [true]], [1, 'a', [true]], true],
    ['arrays of other length', [1], [1, 1], false],
    ['tables', { a: 1, b: { c: 'd' } }, { b: { c: 'd' }, a: 1 }, true],
    ['tables with other keys', { a: 1 }, { b: 1 }, false],
    ['a table whose keys are type and value', { type: 'I', value: 1 }, { type: 'I', value: 1 }, true],
    ['such a table is not a typed value', { type: 'I', value: 1 }, 1, false],
    ['number and string', 1, '1', false],
  ])('%s: %s', (_name, a, b, isEqual) => {
    expect(fieldValueEquals(a, b)).toBe(isEqual);
    expect(fieldValueEquals(b, a)).toBe(isEqual);
  });
});

describe('field value formatting for reply texts', () => {
  it.each<[unknown, string, string]>([
    ['foo', 'longstr', '<<"foo">>'],
    ['a"b', 'longstr', '<<"a\\"b">>'],
    ['ü', 'longstr', '<<"ü"/utf8>>'],
    [5, 'signedint', '5'],
    [2 ** 40, 'long', '1099511627776'],
    [1.5, 'double', '1.5'],
    [5n, 'long', '5'],
    [true, 'bool', 'true'],
    [null, 'void', 'undefined'],
    [Buffer.from([0, 1]), 'binary', '<<0,1>>'],
    [[1, 'a'], 'array', '[1,<<"a">>]'],
    [new TypedValue('T', 10), 'timestamp', '10'],
    [new TypedValue(0x49, 10), 'signedint', '10'],
    [{ a: 1 }, 'table', '[{<<"a">>,signedint,1}]'],
  ])('%o is a %s printed as %s', (value, typeName, printed) => {
    expect(fieldTypeName(value)).toBe(typeName);
    expect(formatErlangTerm(value)).toBe(printed);
  });
});
