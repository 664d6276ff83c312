import fc from 'fast-check';
import { fieldTableArb, fromHex, hex } from '../test/codec-samples.js';
import { CodecError } from './codec-error.js';
import {
  decodeProperties,
  encodeHeaderFrame,
  headerFrameSize,
  propertiesSize,
  rawHeaderFrameSize,
  writeHeaderFrame,
  writeProperties,
  writeRawHeaderFrame,
  type BasicProperties,
} from './content-properties.js';
import { encodeFieldTable } from './field-table.js';
import { ReplyCode } from './generated/constants.js';

const ALL: Required<BasicProperties> = {
  contentType: 'application/json',
  contentEncoding: 'gzip',
  headers: { 'x-retries': 3, trace: { id: 'abc' } },
  deliveryMode: 2,
  priority: 9,
  correlationId: 'corr-ü',
  replyTo: 'amq.rabbitmq.reply-to',
  expiration: '60000',
  messageId: 'm-1',
  timestamp: 1_700_000_000,
  type: 'order.created',
  userId: 'guest',
  appId: 'warren-spec',
  clusterId: 'c1',
};

function encodeProperties(p: BasicProperties): Buffer {
  const out = Buffer.alloc(propertiesSize(p));
  expect(writeProperties(out, 0, p)).toBe(out.length);
  return out;
}

const shortstr = fc.string({ maxLength: 30 });
const propertiesArb: fc.Arbitrary<BasicProperties> = fc.record(
  {
    contentType: shortstr,
    contentEncoding: shortstr,
    headers: fieldTableArb,
    deliveryMode: fc.integer({ min: 0, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    correlationId: shortstr,
    replyTo: shortstr,
    expiration: shortstr,
    messageId: shortstr,
    timestamp: fc.oneof(fc.maxSafeNat(), fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n })),
    type: shortstr,
    userId: shortstr,
    appId: shortstr,
    clusterId: shortstr,
  },
  { requiredKeys: [] },
);

describe('content properties', () => {
  it('round-trips all 14 basic properties', () => {
    const bytes = encodeProperties(ALL);
    expect(bytes.readUInt16BE(0)).toBe(0xfffc);
    expect(decodeProperties(bytes)).toEqual(ALL);
  });

  it.each(Object.keys(ALL) as (keyof BasicProperties)[])('round-trips %s alone, with its own flag bit', (key) => {
    const p: BasicProperties = { [key]: ALL[key] };
    const bytes = encodeProperties(p);
    const bit = 0x8000 >> Object.keys(ALL).indexOf(key);
    expect(bytes.readUInt16BE(0)).toBe(bit);
    expect(decodeProperties(bytes)).toEqual(p);
  });

  it('encodes no properties as a zero flag word, and skips undefined ones', () => {
    expect(hex(encodeProperties({}))).toBe('0000');
    expect(hex(encodeProperties({ contentType: undefined, priority: 1 }))).toBe('080001');
    expect(decodeProperties(fromHex('0000'))).toEqual({});
  });

  it('lays out properties in spec order after the flag word', () => {
    // content-type 'a' (bit 15), delivery-mode 2 (bit 12)
    expect(hex(encodeProperties({ deliveryMode: 2, contentType: 'a' }))).toBe('9000' + '0161' + '02');
  });

  it('round-trips arbitrary properties', () => {
    fc.assert(
      fc.property(propertiesArb, (p) => {
        const bytes = encodeProperties(p);
        const decoded = decodeProperties(bytes);
        expect(hex(encodeProperties(decoded))).toBe(hex(bytes));
        const { headers: _h, ...rest } = p;
        const { headers: _d, ...decodedRest } = decoded;
        expect(decodedRest).toEqual(rest);
        expect(decoded.headers === undefined).toBe(p.headers === undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a slice of a larger buffer', () => {
    const bytes = Buffer.concat([fromHex('aabb'), encodeProperties(ALL), fromHex('ccdd')]);
    expect(decodeProperties(bytes, 2, bytes.length - 2)).toEqual(ALL);
  });

  it.each<[string, string, ReplyCode, RegExp]>([
    ['flag bit 0 (continuation into a flag word basic lacks)', '0001', ReplyCode.SYNTAX_ERROR, /^SYNTAX_ERROR - property flags 0x0001/],
    ['flag bit 1 (no such property)', '8002 0161', ReplyCode.SYNTAX_ERROR, /^SYNTAX_ERROR/],
    ['a truncated flag word', '80', ReplyCode.FRAME_ERROR, /^FRAME_ERROR - truncated content header properties$/],
    ['a truncated shortstr', '8000 0561', ReplyCode.FRAME_ERROR, /^FRAME_ERROR - truncated/],
    ['a flag without its value', '1000', ReplyCode.FRAME_ERROR, /^FRAME_ERROR - truncated/],
    ['trailing bytes', '1000 02 00', ReplyCode.FRAME_ERROR, /^FRAME_ERROR - 1 trailing bytes after the content header properties$/],
    ['invalid UTF-8', '8000 02 c328', ReplyCode.FRAME_ERROR, /^FRAME_ERROR - invalid UTF-8/],
    ['a bad header table', '2000 00000003 01 6b 5a', ReplyCode.SYNTAX_ERROR, /unknown field type 'Z'/],
  ])('refuses %s', (_what, bytes, code, text) => {
    let error: unknown;
    try {
      decodeProperties(fromHex(bytes));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect(error).toMatchObject({ replyCode: code, classId: 60 });
    expect((error as CodecError).message).toMatch(text);
  });

  // Hardening item 8: Go's amqp091 sends `time.Unix(rand.Int63())`; a timestamp past 2^53 used to be a 502.
  it.each<[string, number | bigint]>([
    ['2^62 + 1', 2n ** 62n + 1n],
    ['2^53', 2n ** 53n],
    ['2^64 - 1', 2n ** 64n - 1n],
    ['2^53 - 1', Number.MAX_SAFE_INTEGER],
    ['0', 0],
  ])('carries timestamp %s exactly, as a number up to 2^53-1 and a bigint above', (_what, timestamp) => {
    const bytes = encodeProperties({ timestamp });
    expect(bytes.readBigUInt64BE(2)).toBe(BigInt(timestamp));
    const decoded = decodeProperties(bytes);
    expect(decoded.timestamp).toBe(timestamp);
    expect(hex(encodeProperties(decoded))).toBe(hex(bytes));
  });

  it('decodes the bytes of timestamp 2^62 + 1 to the bigint', () => {
    expect(decodeProperties(fromHex('0040 4000000000000001'))).toEqual({ timestamp: 2n ** 62n + 1n });
  });

  it.each([-1n, 2n ** 64n])('refuses to encode timestamp %p', (timestamp) => {
    expect(() => encodeProperties({ timestamp })).toThrow(expect.objectContaining({ replyCode: ReplyCode.SYNTAX_ERROR }));
  });

  it('refuses to encode a property shortstr over 255 bytes', () => {
    expect(() => propertiesSize({ messageId: 'x'.repeat(256) })).toThrow(expect.objectContaining({ replyCode: ReplyCode.SYNTAX_ERROR }));
  });
});

describe('content header frames', () => {
  it('writes frame header, class, zero weight, body size, properties and frame-end', () => {
    const frame = encodeHeaderFrame(1, 60, 5, { contentType: 'a', deliveryMode: 2 });
    expect(hex(frame)).toBe(hex(fromHex('02 0001 00000011 003c 0000 0000000000000005 9000 0161 02 ce')));
    expect(frame.length).toBe(headerFrameSize({ contentType: 'a', deliveryMode: 2 }));
  });

  it('writes a body size above 2^32', () => {
    const frame = encodeHeaderFrame(1, 60, 2 ** 40 + 1, {});
    expect(hex(frame.subarray(11, 19))).toBe('0000010000000001');
  });

  it('re-emits raw property bytes unchanged, identical to encoding the properties', () => {
    const raw = encodeProperties(ALL);
    const target = Buffer.alloc(rawHeaderFrameSize(raw) + 4);
    const end = writeRawHeaderFrame(target, 2, 7, 60, 1234, raw);
    expect(end).toBe(2 + rawHeaderFrameSize(raw));
    expect(hex(target.subarray(2, end))).toBe(hex(encodeHeaderFrame(7, 60, 1234, ALL)));
  });

  it('writes at an offset and returns the offset after the frame-end octet', () => {
    const target = Buffer.alloc(200);
    const end = writeHeaderFrame(target, 9, 2, 60, 0, ALL);
    expect(end).toBe(9 + headerFrameSize(ALL));
    expect(decodeProperties(target, 9 + 19, end - 1)).toEqual(ALL);
  });

  it('keeps header tables byte-exact when they are copied raw', () => {
    const headers = { a: new Uint8Array([1]) as Buffer, b: 2 ** 40 };
    const raw = encodeProperties({ headers });
    expect(hex(raw.subarray(2))).toBe(hex(encodeFieldTable(headers)));
  });

  it.each([-1, 1.5, 2 ** 53])('refuses body size %p', (bodySize) => {
    expect(() => encodeHeaderFrame(1, 60, bodySize, {})).toThrow(expect.objectContaining({ replyCode: ReplyCode.SYNTAX_ERROR }));
  });
});
