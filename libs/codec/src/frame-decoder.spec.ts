import { jest } from '@jest/globals';
import fc from 'fast-check';
import { hex } from '../test/codec-samples.js';
import { CodecError } from './codec-error.js';
import { encodeHeaderFrame } from './content-properties.js';
import { FrameDecoder, type FrameSink } from './frame-decoder.js';
import { HEARTBEAT_FRAME, writeBodyFrame } from './frame-encoder.js';
import { FRAME_MIN_SIZE, ReplyCode } from './generated/constants.js';
import { encodeMethodFrame, type Method } from './generated/methods.js';

/** Records every sink call; buffers are recorded as hex at call time, methods by reference. */
class RecordingSink implements FrameSink {
  readonly calls: unknown[] = [];
  onMethod(channel: number, method: Method): void {
    this.calls.push(['method', channel, method]);
  }
  onHeader(channel: number, classId: number, bodySize: number, properties: Buffer): void {
    this.calls.push(['header', channel, classId, bodySize, hex(properties)]);
  }
  onBody(channel: number, payload: Buffer): void {
    this.calls.push(['body', channel, hex(payload)]);
  }
  onHeartbeat(channel: number): void {
    this.calls.push(['heartbeat', channel]);
  }
}

function bodyFrame(channel: number, body: Buffer): Buffer {
  const frame = Buffer.alloc(body.length + 8);
  writeBodyFrame(frame, 0, channel, body, 0, body.length);
  return frame;
}

const bigBody = Buffer.alloc(3000, 0x5a);

/** Several frames on several channels: methods with tables and longstrs, headers, bodies, heartbeats. */
const STREAM = Buffer.concat([
  encodeMethodFrame(0, {
    name: 'connection.start-ok',
    classId: 10,
    methodId: 11,
    clientProperties: { product: 'spec', capabilities: { publisher_confirms: true } },
    mechanism: 'PLAIN',
    response: Buffer.from('\0guest\0guest'),
    locale: 'en_US',
  }),
  encodeMethodFrame(1, {
    name: 'basic.publish',
    classId: 60,
    methodId: 40,
    ticket: 0,
    exchange: 'amq.topic',
    routingKey: 'a.b',
    mandatory: true,
    immediate: false,
  }),
  encodeHeaderFrame(1, 60, 3010, { contentType: 'text/plain', headers: { 'x-n': 1 }, deliveryMode: 2 }),
  bodyFrame(1, Buffer.from('0123456789')),
  HEARTBEAT_FRAME,
  bodyFrame(1, bigBody),
  encodeMethodFrame(2, {
    name: 'basic.publish',
    classId: 60,
    methodId: 40,
    ticket: 0,
    exchange: '',
    routingKey: 'q',
    mandatory: false,
    immediate: false,
  }),
  encodeHeaderFrame(2, 60, 0, {}),
  encodeMethodFrame(2, { name: 'basic.ack', classId: 60, methodId: 80, deliveryTag: 2 ** 40, multiple: true }),
  bodyFrame(3, Buffer.alloc(0)),
  encodeMethodFrame(65535, {
    name: 'basic.deliver',
    classId: 60,
    methodId: 60,
    consumerTag: 'ctag',
    deliveryTag: 1,
    redelivered: false,
    exchange: 'e',
    routingKey: 'k',
  }),
]);

/** Decodes the stream pushed as the given chunks and returns the recorded calls. */
function decodeChunks(chunks: Buffer[]): unknown[] {
  const sink = new RecordingSink();
  const decoder = new FrameDecoder(sink);
  for (const chunk of chunks) decoder.push(chunk);
  expect(decoder.bufferedBytes).toBe(0);
  return sink.calls;
}

/** Splits buf at the given offsets (sorted, clamped). */
function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [0, ...cuts.map((c) => Math.min(c, buf.length)).sort((a, b) => a - b), buf.length];
  return points.slice(1).map((end, i) => buf.subarray(points[i], end));
}

const EXPECTED = decodeChunks([STREAM]);

describe('FrameDecoder', () => {
  it('decodes every frame of a stream pushed at once, in order', () => {
    expect(EXPECTED.map((c) => (c as unknown[]).slice(0, 2))).toEqual([
      ['method', 0],
      ['method', 1],
      ['header', 1],
      ['body', 1],
      ['heartbeat', 0],
      ['body', 1],
      ['method', 2],
      ['header', 2],
      ['method', 2],
      ['body', 3],
      ['method', 65535],
    ]);
    expect(EXPECTED[2]).toEqual(['header', 1, 60, 3010, expect.stringMatching(/^b000/)]);
    expect(EXPECTED[5]).toEqual(['body', 1, hex(bigBody)]);
  });

  it('yields the same calls when the stream is pushed one byte at a time', () => {
    const bytes = [...STREAM].map((_, i) => STREAM.subarray(i, i + 1));
    expect(decodeChunks(bytes)).toEqual(EXPECTED);
  });

  it('yields the same calls when the stream is split into two pushes at every offset', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      expect(decodeChunks([STREAM.subarray(0, cut), STREAM.subarray(cut)])).toEqual(EXPECTED);
    }
  });

  it('yields the same calls for arbitrary chunkings', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: STREAM.length }), { maxLength: 40 }), (cuts) => {
        expect(decodeChunks(splitAt(STREAM, cuts))).toEqual(EXPECTED);
      }),
      { numRuns: 300 },
    );
  });

  it('hands out views of the chunk for whole frames and private copies for frames spanning reads', () => {
    const bodies: Buffer[] = [];
    const properties: Buffer[] = [];
    const sink: FrameSink = {
      onMethod: () => {},
      onHeader: (_c, _k, _s, p) => properties.push(p),
      onBody: (_c, b) => bodies.push(b),
      onHeartbeat: () => {},
    };
    const whole = Buffer.from(STREAM);
    new FrameDecoder(sink).push(whole);
    expect(bodies.every((b) => b.buffer === whole.buffer)).toBe(true);
    expect(properties.every((p) => p.buffer === whole.buffer)).toBe(true);

    bodies.length = 0;
    properties.length = 0;
    const decoder = new FrameDecoder(sink);
    const pieces = splitAt(
      Buffer.from(STREAM),
      Array.from({ length: 200 }, (_, i) => i * 17),
    );
    for (const piece of pieces) decoder.push(piece);
    // Nothing handed out may be overwritten by later pushes: check the contents only after the whole stream.
    expect(bodies.map(hex)).toEqual(EXPECTED.filter((c) => (c as unknown[])[0] === 'body').map((c) => (c as unknown[])[2]));
    expect(properties.map(hex)).toEqual(EXPECTED.filter((c) => (c as unknown[])[0] === 'header').map((c) => (c as unknown[])[4]));
  });

  it('reports the bytes of an incomplete frame as buffered, never more than the frame', () => {
    const decoder = new FrameDecoder(new RecordingSink());
    const frame = bodyFrame(1, Buffer.alloc(100));
    decoder.push(frame.subarray(0, 3));
    expect(decoder.bufferedBytes).toBe(3);
    decoder.push(frame.subarray(3, 50));
    expect(decoder.bufferedBytes).toBe(50);
    decoder.push(frame.subarray(50, frame.length - 1));
    expect(decoder.bufferedBytes).toBe(frame.length - 1);
    decoder.push(frame.subarray(frame.length - 1));
    expect(decoder.bufferedBytes).toBe(0);
  });

  describe('frameMax', () => {
    it('defaults to FRAME_MIN_SIZE and counts the whole frame, header and frame-end included', () => {
      const decoder = new FrameDecoder(new RecordingSink());
      expect(decoder.frameMax).toBe(FRAME_MIN_SIZE);
      decoder.push(bodyFrame(1, Buffer.alloc(FRAME_MIN_SIZE - 8)));
      expect(() => decoder.push(bodyFrame(1, Buffer.alloc(FRAME_MIN_SIZE - 7)))).toThrow(
        new CodecError(ReplyCode.FRAME_ERROR, 'FRAME_ERROR - frame size 4097 exceeds frame_max 4096'),
      );
    });

    it('can be raised after tune', () => {
      const sink = new RecordingSink();
      const decoder = new FrameDecoder(sink);
      decoder.frameMax = 131072;
      decoder.push(bodyFrame(1, Buffer.alloc(131072 - 8)));
      expect(sink.calls).toHaveLength(1);
    });

    it.each([0, 4095, 1.5, 2 ** 32])('refuses %p', (frameMax) => {
      expect(() => new FrameDecoder(new RecordingSink(), frameMax)).toThrow(RangeError);
      expect(() => (new FrameDecoder(new RecordingSink()).frameMax = frameMax)).toThrow(RangeError);
    });

    it('rejects a frame size of 0xFFFFFFFF from the 7-byte header alone, without allocating it', () => {
      const allocUnsafe = jest.spyOn(Buffer, 'allocUnsafe');
      const alloc = jest.spyOn(Buffer, 'alloc');
      try {
        const decoder = new FrameDecoder(new RecordingSink(), 131072);
        let error: unknown;
        try {
          decoder.push(Buffer.from([3, 0, 1, 0xff, 0xff, 0xff, 0xff]));
        } catch (e) {
          error = e;
        }
        expect(error).toMatchObject({
          replyCode: ReplyCode.FRAME_ERROR,
          message: 'FRAME_ERROR - frame size 4294967303 exceeds frame_max 131072',
        });
        expect(decoder.bufferedBytes).toBeLessThanOrEqual(7);
        const sizes = [...allocUnsafe.mock.calls, ...alloc.mock.calls].map((args) => args[0]);
        expect(sizes.every((size) => size <= 131072)).toBe(true);
        // The spy does see the decoder's allocations: a body frame spanning reads gets a buffer of its own size.
        new FrameDecoder(new RecordingSink()).push(bodyFrame(1, Buffer.alloc(1000)).subarray(0, 500));
        expect(allocUnsafe).toHaveBeenLastCalledWith(1000);
      } finally {
        allocUnsafe.mockRestore();
        alloc.mockRestore();
      }
    });
  });

  describe('after an error', () => {
    it('propagates errors thrown by the sink unchanged', () => {
      const failure = new Error('sink failed');
      const decoder = new FrameDecoder({
        onMethod: () => {
          throw failure;
        },
        onHeader: () => {},
        onBody: () => {},
        onHeartbeat: () => {},
      });
      expect(() => decoder.push(STREAM)).toThrow(failure);
    });

    it('refuses to be used again', () => {
      const decoder = new FrameDecoder(new RecordingSink());
      expect(() => decoder.push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0xce]))).toThrow(CodecError);
      expect(() => decoder.push(HEARTBEAT_FRAME)).toThrow(/after a failure/);
    });

    it('refuses to be re-entered from a sink callback', () => {
      let inner: unknown;
      const decoder: FrameDecoder = new FrameDecoder({
        onMethod: () => {},
        onHeader: () => {},
        onBody: () => {},
        onHeartbeat: () => {
          try {
            decoder.push(HEARTBEAT_FRAME);
          } catch (e) {
            inner = e;
          }
        },
      });
      decoder.push(HEARTBEAT_FRAME);
      expect(inner).toBeInstanceOf(Error);
    });
  });
});
