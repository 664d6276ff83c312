import fc from 'fast-check';
import { fieldTableArb, fromHex, hex } from '../test/codec-samples.js';
import { CodecError } from './codec-error.js';
import {
  decodeFieldTable,
  encodeFieldTable,
  fieldTableSize,
  MAX_FIELD_DEPTH,
  readFieldTable,
  TypedFieldValue,
  writeFieldTable,
  type FieldTable,
  type FieldValue,
} from './field-table.js';
import { ReplyCode } from './generated/constants.js';

/** A table holding the single entry 'k' → tag + value bytes. */
function entry(valueHex: string): Buffer {
  const body = Buffer.concat([fromHex('01 6b'), fromHex(valueHex)]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

/** Nests a table `levels` deep: { n: { n: ... {} } }. */
function nested(levels: number): FieldTable {
  let table: FieldTable = {};
  for (let i = 0; i < levels; i++) table = { n: table };
  return table;
}

const typed = (type: ConstructorParameters<typeof TypedFieldValue>[0], value: number | bigint | { scale: number; value: number }) =>
  new TypedFieldValue(type, value);

describe('field tables', () => {
  describe('every type tag round-trips byte-exactly', () => {
    it.each<[string, string, FieldValue]>([
      ['t true', '74 01', true],
      ['t false', '74 00', false],
      ['t with an octet other than 0/1', '74 02', typed('t', 2)],
      ['b int8', '62 fe', typed('b', -2)],
      ['B uint8', '42 c8', typed('B', 200)],
      ['s int16', '73 fed4', typed('s', -300)],
      ['u uint16', '75 ffff', typed('u', 65535)],
      ['I int32', '49 fffffffb', -5],
      ['i uint32', '69 ffffffff', typed('i', 0xffff_ffff)],
      ['l inside int32 range', '6c 0000000000000005', typed('l', 5)],
      ['l outside int32, safe', '6c 0000010000000000', 2 ** 40],
      ['l negative, safe', '6c ffffff0000000000', -(2 ** 40)],
      ['l max int64', '6c 7fffffffffffffff', 2n ** 63n - 1n],
      ['l min int64', '6c 8000000000000000', -(2n ** 63n)],
      ['f float32', '66 3fc00000', typed('f', 1.5)],
      ['d non-integral', '64 3ff8000000000000', 1.5],
      ['d integral', '64 4000000000000000', typed('d', 2)],
      ['d negative zero', '64 8000000000000000', typed('d', -0)],
      ['d NaN', '64 7ff8000000000000', Number.NaN],
      ['d beyond int64', '64 4415af1d78b58c40', 1e20],
      ['D decimal', '44 02 000004d2', typed('D', { scale: 2, value: 1234 })],
      ['D negative decimal', '44 02 fffffb2e', typed('D', { scale: 2, value: -1234 })],
      ['S UTF-8', '53 00000006 68c3a96c6c6f', 'héllo'],
      ['S empty', '53 00000000', ''],
      ['S not UTF-8', '53 00000002 fffe', fromHex('fffe')],
      ['x byte array', '78 00000003 00ce01', fromHex('00ce01')],
      ['A array', '41 0000000c 49 00000001 53 00000001 61 56', [1, 'a', null]],
      ['A empty', '41 00000000', []],
      ['T timestamp', '54 000000006553f100', typed('T', 1_700_000_000)],
      ['T max uint64', '54 ffffffffffffffff', typed('T', 2n ** 64n - 1n)],
      ['F table', '46 00000007 01 61 49 00000007', { a: 7 }],
      ['V void', '56', null],
    ])('%s', (_what, valueHex, value) => {
      const bytes = entry(valueHex);
      const decoded = decodeFieldTable(bytes);
      expect(decoded).toEqual({ k: value });
      if (typeof value === 'bigint') expect(typeof decoded.k).toBe('bigint');
      expect(hex(encodeFieldTable(decoded))).toBe(hex(bytes));
      expect(fieldTableSize(decoded)).toBe(bytes.length);
    });
  });

  describe('default encoding of plain values', () => {
    it.each<[string, FieldValue | undefined, string]>([
      ['true', true, 't'],
      ['a string', 'x', 'S'],
      ['an int32', -(2 ** 31), 'I'],
      ['an integer beyond int32', 2 ** 31, 'l'],
      ['the largest safe integer', Number.MAX_SAFE_INTEGER, 'l'],
      ['an unsafe integer', 2 ** 53, 'd'],
      ['a fraction', 0.5, 'd'],
      ['Infinity', Number.POSITIVE_INFINITY, 'd'],
      ['a bigint', 5n, 'l'],
      ['a Buffer', Buffer.from('ab'), 'x'],
      ['an array', [], 'A'],
      ['null', null, 'V'],
      ['undefined', undefined, 'V'],
      ['an object', {}, 'F'],
      ['a null-prototype object', Object.create(null) as FieldTable, 'F'],
      ['a typed value', typed('u', 1), 'u'],
    ])('%s is written as %p', (_what, value, tag) => {
      const bytes = encodeFieldTable({ k: value as FieldValue });
      expect(String.fromCharCode(bytes[6])).toBe(tag);
    });
  });

  it('arbitrary tables re-encode to identical bytes after a decode', () => {
    fc.assert(
      fc.property(fieldTableArb, (table) => {
        const bytes = encodeFieldTable(table);
        expect(bytes.length).toBe(fieldTableSize(table));
        const again = encodeFieldTable(decodeFieldTable(bytes));
        expect(hex(again)).toBe(hex(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary bytes either decode or fail with a CodecError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const buf = Buffer.from(bytes);
        if (buf.length >= 4) buf.writeUInt32BE(buf.length - 4, 0);
        try {
          decodeFieldTable(buf);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
          expect([ReplyCode.FRAME_ERROR, ReplyCode.SYNTAX_ERROR]).toContain((error as CodecError).replyCode);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a table in the middle of a buffer and returns the offset after it', () => {
    const table = encodeFieldTable({ a: 1, b: 'two' });
    const buf = Buffer.concat([fromHex('ffff'), table, fromHex('eeee')]);
    expect(readFieldTable(buf, 2, buf.length)).toEqual({ value: { a: 1, b: 'two' }, offset: 2 + table.length });
  });

  it('writes at an offset and returns the offset after the table', () => {
    const target = Buffer.alloc(64);
    const end = writeFieldTable(target, 5, { a: true });
    expect(end).toBe(5 + fieldTableSize({ a: true }));
    expect(decodeFieldTable(target.subarray(5, end))).toEqual({ a: true });
  });

  it("keeps a '__proto__' key as an own entry instead of replacing the prototype", () => {
    const bytes = fromHex('0000000c 09 5f5f70726f746f5f5f 74 01');
    const decoded = decodeFieldTable(bytes);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(hex(encodeFieldTable(decoded))).toBe(hex(bytes));
  });

  it(`accepts ${MAX_FIELD_DEPTH} levels of nesting and refuses one more, both ways`, () => {
    const deepest = encodeFieldTable(nested(MAX_FIELD_DEPTH));
    expect(decodeFieldTable(deepest)).toEqual(nested(MAX_FIELD_DEPTH));
    expect(() => encodeFieldTable(nested(MAX_FIELD_DEPTH + 1))).toThrow(expect.objectContaining({ replyCode: ReplyCode.SYNTAX_ERROR }));
    const cyclic: FieldTable = {};
    cyclic.self = cyclic;
    expect(() => encodeFieldTable(cyclic)).toThrow(expect.objectContaining({ replyCode: ReplyCode.SYNTAX_ERROR }));
    const cyclicArray: FieldValue[] = [];
    cyclicArray.push(cyclicArray);
    expect(() => encodeFieldTable({ a: cyclicArray })).toThrow(expect.objectContaining({ replyCode: ReplyCode.SYNTAX_ERROR }));
  });

  it.each<[string, FieldTable]>([
    ['an int8 out of range', { k: typed('b', 200) }],
    ['a uint32 that is not an integer', { k: typed('i', 1.5) }],
    ['a decimal with a scale above 255', { k: typed('D', { scale: 256, value: 1 }) }],
    ['a bigint beyond int64', { k: 2n ** 63n }],
    ['a negative timestamp', { k: typed('T', -1) }],
    ['a typed S (strings are written from plain values)', { k: typed('S', 1) }],
    ['a Date', { k: new Date() as unknown as FieldValue }],
    ['a key over 255 bytes', { ['k'.repeat(256)]: 1 }],
  ])('refuses to encode %s with SYNTAX_ERROR', (_what, table) => {
    expect(() => encodeFieldTable(table)).toThrow(expect.objectContaining({ replyCode: ReplyCode.SYNTAX_ERROR }));
  });

  it.each<[string, string, ReplyCode, RegExp]>([
    ['an unknown type tag', '00000003 01 6b 5a', ReplyCode.SYNTAX_ERROR, /^SYNTAX_ERROR - unknown field type 'Z'$/],
    ['a truncated value', '00000004 01 6b 49 00', ReplyCode.FRAME_ERROR, /^FRAME_ERROR - truncated/],
    ['a length beyond the buffer', '00000010 01 6b 56', ReplyCode.FRAME_ERROR, /^FRAME_ERROR - truncated/],
    [
      'an array element crossing the array end',
      '0000000c 01 6b 41 00000002 49 00000001',
      ReplyCode.FRAME_ERROR,
      /^FRAME_ERROR - truncated/,
    ],
    ['a key that is not UTF-8', '00000003 01 ff 56', ReplyCode.FRAME_ERROR, /^FRAME_ERROR - invalid UTF-8/],
    ['trailing bytes', '00000000 00', ReplyCode.FRAME_ERROR, /^FRAME_ERROR - 1 trailing bytes/],
    ['a missing length prefix', '0000', ReplyCode.FRAME_ERROR, /^FRAME_ERROR - truncated/],
  ])('refuses to decode %s', (_what, bytes, code, text) => {
    let error: unknown;
    try {
      decodeFieldTable(fromHex(bytes));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).replyCode).toBe(code);
    expect((error as CodecError).message).toMatch(text);
  });
});
