import fc from 'fast-check';
import { fromHex, hex } from '../test/codec-samples.js';
import { FrameDecoder } from './frame-decoder.js';
import { bodyFramesSize, HEARTBEAT_FRAME, PROTOCOL_HEADER, writeBodyFrame, writeBodyFrames } from './frame-encoder.js';

/** Decodes body frames and returns [channel, payload length] per frame plus the reassembled body. */
function decodeBodies(frames: Buffer, frameMax: number): { sizes: number[]; body: Buffer } {
  const parts: Buffer[] = [];
  new FrameDecoder(
    {
      onMethod: () => {},
      onHeader: () => {},
      onBody: (channel, payload) => {
        expect(channel).toBe(5);
        parts.push(Buffer.from(payload));
      },
      onHeartbeat: () => {},
    },
    frameMax,
  ).push(frames);
  return { sizes: parts.map((p) => p.length), body: Buffer.concat(parts) };
}

describe('frame encoder', () => {
  it('has the 0-9-1 protocol header and a channel-0 heartbeat frame', () => {
    expect(PROTOCOL_HEADER.toString('latin1')).toBe('AMQP\x00\x00\x09\x01');
    expect(hex(HEARTBEAT_FRAME)).toBe('080000' + '00000000' + 'ce');
  });

  it('writes one body frame for a slice of the body', () => {
    const target = Buffer.alloc(20, 0xaa);
    const end = writeBodyFrame(target, 1, 7, Buffer.from('hello world'), 6, 11);
    expect(end).toBe(1 + 8 + 5);
    expect(hex(target.subarray(1, end))).toBe(hex(fromHex('03 0007 00000005 776f726c64 ce')));
    expect(target[end]).toBe(0xaa);
  });

  it.each([
    [0, 4096, 0],
    [1, 4096, 9],
    [4088, 4096, 4096],
    [4089, 4096, 4096 + 9],
    [1024 * 1024, 4096, 1024 * 1024 + 257 * 8],
    [10, 131072, 18],
  ])('sizes a %p-byte body at frame_max %p as %p bytes of frames', (bodySize, frameMax, size) => {
    expect(bodyFramesSize(bodySize, frameMax)).toBe(size);
  });

  it('splits a 1 MiB body at frame_max 4096 into frames the decoder accepts', () => {
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = i * 7;
    const target = Buffer.alloc(bodyFramesSize(body.length, 4096));
    expect(writeBodyFrames(target, 0, 5, body, 4096)).toBe(target.length);
    const { sizes, body: decoded } = decodeBodies(target, 4096);
    expect(sizes).toHaveLength(257);
    expect(sizes.slice(0, -1).every((s) => s === 4088)).toBe(true);
    expect(decoded.equals(body)).toBe(true);
  });

  it('writes no frames for an empty body', () => {
    expect(writeBodyFrames(Buffer.alloc(0), 0, 5, Buffer.alloc(0), 4096)).toBe(0);
  });

  it('splits arbitrary bodies exactly as sized', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 9, max: 5000 }), (bytes, frameMax) => {
        const body = Buffer.from(bytes);
        const target = Buffer.alloc(bodyFramesSize(body.length, frameMax) + 3);
        expect(writeBodyFrames(target, 3, 5, body, frameMax)).toBe(target.length);
        if (frameMax >= 4096) expect(decodeBodies(target.subarray(3), frameMax).body.equals(body)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it.each([0, 8, 4096.5])('refuses frame_max %p', (frameMax) => {
    expect(() => bodyFramesSize(10, frameMax)).toThrow(RangeError);
    expect(() => writeBodyFrames(Buffer.alloc(100), 0, 1, Buffer.alloc(10), frameMax)).toThrow(RangeError);
  });
});
