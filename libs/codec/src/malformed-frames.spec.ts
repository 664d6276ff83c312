import fc from 'fast-check';
import { fromHex } from '../test/codec-samples.js';
import { CodecError } from './codec-error.js';
import { encodeFieldTable, MAX_FIELD_DEPTH, type FieldTable } from './field-table.js';
import { FrameDecoder, type FrameSink } from './frame-decoder.js';
import { ReplyCode } from './generated/constants.js';

const FRAME_MAX = 131072;

/** A frame with a correct size field around payloadHex. */
function frame(type: number, channel: number, payloadHex: string, frameEnd = 0xce): Buffer {
  const payload = fromHex(payloadHex);
  const head = Buffer.alloc(7);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([frameEnd])]);
}

/** A method frame on channel 1 with the given ids and raw argument bytes. */
function method(classId: number, methodId: number, argsHex: string): string {
  const ids = Buffer.alloc(4);
  ids.writeUInt16BE(classId, 0);
  ids.writeUInt16BE(methodId, 2);
  return frame(1, 1, ids.toString('hex') + argsHex).toString('hex');
}

/** A table nested one level deeper than the decoder accepts; the encoder refuses to build it, so wrap by hand. */
function tooDeepTable(): string {
  let table: FieldTable = {};
  for (let i = 0; i < MAX_FIELD_DEPTH; i++) table = { n: table };
  const inner = encodeFieldTable(table);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(3 + inner.length);
  return length.toString('hex') + '016e46' + inner.toString('hex');
}

const NULL_SINK: FrameSink = { onMethod: () => {}, onHeader: () => {}, onBody: () => {}, onHeartbeat: () => {} };

/** [what, stream hex, reply code, reply text, classId, methodId] */
const MALFORMED: [string, string, ReplyCode, string | RegExp, number, number][] = [
  ['a bad frame-end octet', frame(8, 0, '', 0x00).toString('hex'), ReplyCode.FRAME_ERROR, 'FRAME_ERROR - bad frame end octet 0x00', 0, 0],
  [
    'a frame-end missing after a body',
    frame(3, 1, '616263', 0x61).toString('hex'),
    ReplyCode.FRAME_ERROR,
    /bad frame end octet 0x61/,
    0,
    0,
  ],
  ['an oversized frame', '03 0001 00030d38', ReplyCode.FRAME_ERROR, 'FRAME_ERROR - frame size 200000 exceeds frame_max 131072', 0, 0],
  ['a frame size of 0xFFFFFFFF', '03 0001 ffffffff', ReplyCode.FRAME_ERROR, /^FRAME_ERROR - frame size 4294967303 exceeds/, 0, 0],
  ['unknown frame type 4', '04 0000 00000000 ce', ReplyCode.FRAME_ERROR, 'FRAME_ERROR - unknown frame type 4', 0, 0],
  ['unknown frame type 0', '00 0000 00000000 ce', ReplyCode.FRAME_ERROR, 'FRAME_ERROR - unknown frame type 0', 0, 0],
  [
    'a method payload without ids',
    frame(1, 1, '003c').toString('hex'),
    ReplyCode.FRAME_ERROR,
    /^FRAME_ERROR - method frame payload of 2 bytes/,
    0,
    0,
  ],
  [
    'truncated method arguments',
    method(60, 80, '00000000'),
    ReplyCode.FRAME_ERROR,
    'FRAME_ERROR - truncated arguments of method 60.80',
    60,
    80,
  ],
  [
    'trailing bytes after the arguments',
    method(60, 80, '0000000000000001 00 ff'),
    ReplyCode.FRAME_ERROR,
    'FRAME_ERROR - 1 trailing bytes after the arguments of method 60.80',
    60,
    80,
  ],
  ['an unknown class', method(999, 10, ''), ReplyCode.COMMAND_INVALID, 'COMMAND_INVALID - unknown method 999.10', 999, 10],
  ['an unknown method', method(60, 999, ''), ReplyCode.COMMAND_INVALID, 'COMMAND_INVALID - unknown method 60.999', 60, 999],
  [
    'a bad field type tag',
    method(50, 10, '0000 0171 00 00000003 016b5a'),
    ReplyCode.SYNTAX_ERROR,
    "SYNTAX_ERROR - unknown field type 'Z'",
    50,
    10,
  ],
  [
    'a truncated table',
    method(50, 10, '0000 0171 00 00000010 016b56'),
    ReplyCode.FRAME_ERROR,
    /^FRAME_ERROR - truncated arguments of method 50.10/,
    50,
    10,
  ],
  [
    'a table nested too deep',
    method(50, 10, '0000 0171 00' + tooDeepTable()),
    ReplyCode.SYNTAX_ERROR,
    /^SYNTAX_ERROR - field table nested deeper than 64/,
    50,
    10,
  ],
  [
    'invalid UTF-8 in a shortstr',
    method(60, 40, '0000 02fffe 00 00'),
    ReplyCode.FRAME_ERROR,
    'FRAME_ERROR - invalid UTF-8 in shortstr in arguments of method 60.40',
    60,
    40,
  ],
  ['an overlong UTF-8 encoding', method(60, 40, '0000 02c0af 00 00'), ReplyCode.FRAME_ERROR, /invalid UTF-8/, 60, 40],
  ['a shortstr longer than the payload', method(60, 40, '0000 ff41'), ReplyCode.FRAME_ERROR, /^FRAME_ERROR - truncated/, 60, 40],
  [
    'a longlong above 2^53-1',
    method(60, 80, '0020000000000000 00'),
    ReplyCode.SYNTAX_ERROR,
    'SYNTAX_ERROR - longlong value exceeds 2^53-1 in arguments of method 60.80',
    60,
    80,
  ],
  [
    'a content header payload under 14 bytes',
    frame(2, 1, '003c 0000 0000000000000001 00').toString('hex'),
    ReplyCode.FRAME_ERROR,
    /^FRAME_ERROR - content header payload of 13 bytes/,
    0,
    0,
  ],
  [
    'a content body size above 2^53-1',
    frame(2, 1, '003c 0000 ffffffffffffffff 0000').toString('hex'),
    ReplyCode.SYNTAX_ERROR,
    /^SYNTAX_ERROR - content body size/,
    60,
    0,
  ],
  [
    'a heartbeat with a payload',
    frame(8, 0, '00').toString('hex'),
    ReplyCode.FRAME_ERROR,
    /^FRAME_ERROR - heartbeat frame with 1 payload bytes/,
    0,
    0,
  ],
];

/** Pushes the chunks and returns what the decoder threw. */
function failure(chunks: Buffer[]): CodecError {
  const decoder = new FrameDecoder(NULL_SINK, FRAME_MAX);
  try {
    for (const chunk of chunks) decoder.push(chunk);
  } catch (error) {
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(FRAME_MAX);
    return error as CodecError;
  }
  throw new Error('decoder accepted malformed input');
}

describe('malformed input', () => {
  it.each(MALFORMED)('rejects %s', (_what, streamHex, code, text, classId, methodId) => {
    const stream = fromHex(streamHex);
    const bytes = [...stream].map((_, i) => stream.subarray(i, i + 1));
    for (const error of [failure([stream]), failure(bytes)]) {
      expect(error).toBeInstanceOf(CodecError);
      expect(error).toMatchObject({ replyCode: code, classId, methodId });
      expect(error.message.startsWith(`${ReplyCode[code]} - `)).toBe(true);
      if (typeof text === 'string') expect(error.message).toBe(text);
      else expect(error.message).toMatch(text);
    }
  });

  it('rejects garbage with a CodecError and nothing else, never buffering more than frameMax', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat({ max: 300 }), (bytes, cut) => {
        const stream = Buffer.from(bytes);
        const decoder = new FrameDecoder(NULL_SINK, 4096);
        try {
          decoder.push(stream.subarray(0, cut));
          decoder.push(stream.subarray(cut));
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
        expect(decoder.bufferedBytes).toBeLessThanOrEqual(4096);
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects random method arguments with a CodecError and nothing else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(10, 20, 40, 50, 60, 85, 90),
        fc.integer({ min: 10, max: 120 }),
        fc.uint8Array({ maxLength: 80 }),
        (classId, methodId, args) => {
          const stream = fromHex(method(classId, methodId, Buffer.from(args).toString('hex')));
          try {
            new FrameDecoder(NULL_SINK, FRAME_MAX).push(stream);
          } catch (error) {
            expect(error).toBeInstanceOf(CodecError);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
