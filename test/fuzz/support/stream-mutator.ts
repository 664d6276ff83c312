import { encodeMethodFrame } from '@app/codec';
import { AWAIT_TUNE, type ClientStream } from './client-streams.js';

/** A small seeded PRNG (mulberry32): the same seed gives the same inputs, so a failure is reproducible. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

/** A frame with valid framing around an arbitrary payload. */
function frame(type: number, channel: number, payload: Buffer, sizeField = payload.length): Buffer {
  const out = Buffer.alloc(8 + payload.length);
  out.writeUInt8(type, 0);
  out.writeUInt16BE(channel, 1);
  out.writeUInt32BE(sizeField >>> 0, 3);
  payload.copy(out, 7);
  out.writeUInt8(0xce, 7 + payload.length);
  return out;
}

/** Hostile frames to insert: unknown methods, huge declared sizes, content out of order, bad channels. */
function hostileFrame(random: Random): Buffer {
  const channel = random.pick([0, 1, 2, 3, 65535]);
  switch (random.below(9)) {
    case 0: {
      // A method frame with random class and method ids and a few random argument bytes.
      const payload = Buffer.alloc(4 + random.below(16));
      for (let i = 0; i < payload.length; i++) payload[i] = random.below(256);
      return frame(1, channel, payload);
    }
    case 1:
      // A frame announcing ~4 GiB (or just over frameMax) and sending nothing of it.
      return frame(random.pick([1, 2, 3]), channel, Buffer.alloc(0), random.pick([0xfffffff0, 131073, 0x7fffffff])).subarray(0, 7);
    case 2: {
      // A content header announcing a body of 2^53-1 or 2^64-1 bytes.
      const payload = Buffer.alloc(14);
      payload.writeUInt16BE(60, 0);
      payload.writeBigUInt64BE(random.pick([2n ** 53n - 1n, 2n ** 64n - 1n, 16n * 1024n * 1024n + 1n]), 4);
      return frame(2, channel, payload);
    }
    case 3:
      // A body with no header before it.
      return frame(3, channel, Buffer.from('orphan body'));
    case 4:
      // An unknown frame type.
      return frame(random.pick([0, 4, 9, 200]), channel, Buffer.from([1, 2, 3]));
    case 5:
      // A heartbeat on a channel other than 0.
      return frame(8, channel === 0 ? 7 : channel, Buffer.alloc(0));
    case 6:
      // queue.declare whose arguments table claims far more bytes than the frame holds.
      return Buffer.concat([
        encodeMethodFrame(channel, { name: 'channel.open', classId: 20, methodId: 10, outOfBand: '' }),
        frame(1, channel, Buffer.concat([Buffer.from([0, 50, 0, 10, 0, 0, 1, 0x71, 0]), Buffer.from([0x7f, 0xff, 0xff, 0xff])])),
      ]);
    case 7:
      // A second protocol header in the middle of the stream.
      return Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');
    default:
      return encodeMethodFrame(channel, { name: 'channel.open', classId: 20, methodId: 10, outOfBand: '' });
  }
}

/** One mutation of a frame list; returns the new list. */
function mutateOnce(frames: Buffer[], random: Random, others: readonly ClientStream[]): Buffer[] {
  const at = random.below(frames.length);
  switch (random.below(8)) {
    case 0: {
      // Flip 1-4 random bits in one frame.
      const copy = Buffer.from(frames[at]!);
      if (copy.length === 0) return frames;
      for (let n = 1 + random.below(4); n > 0; n--) copy[random.below(copy.length)] ^= 1 << random.below(8);
      frames[at] = copy;
      return frames;
    }
    case 1: {
      // Overwrite a frame's size field (or a byte of its header) with an extreme value.
      const copy = Buffer.from(frames[at]!);
      if (copy.length >= 7) copy.writeUInt32BE(random.pick([0, 1, copy.length - 9, copy.length, 0xffffffff, 0x80000000, 131064]) >>> 0, 3);
      frames[at] = copy;
      return frames;
    }
    case 2:
      // Truncate the stream inside a frame.
      frames[at] = frames[at]!.subarray(0, random.below(frames[at]!.length));
      return frames.slice(0, at + 1);
    case 3:
      // Drop a frame.
      return frames.filter((_, i) => i !== at);
    case 4:
      // Duplicate a frame (a second start-ok, a repeated publish, a second close…).
      return [...frames.slice(0, at + 1), frames[at]!, ...frames.slice(at + 1)];
    case 5: {
      // Swap two frames (content before its method, ack before consume…).
      const other = random.below(frames.length);
      const copy = [...frames];
      [copy[at], copy[other]] = [copy[other]!, copy[at]!];
      return copy;
    }
    case 6:
      // Insert a hostile frame.
      return [...frames.slice(0, at), hostileFrame(random), ...frames.slice(at)];
    default: {
      // Splice: this stream's head, another stream's tail (cut at any byte, not only at frame boundaries).
      const tail = Buffer.concat(random.pick(others) as Buffer[]);
      const head = Buffer.concat(frames.slice(0, at));
      return [head, tail.subarray(random.below(tail.length))];
    }
  }
}

/** One fuzz input: the bytes sent at once, and those sent once the server's `connection.tune` arrived. */
export interface FuzzInput {
  readonly head: Buffer;
  readonly tail: Buffer;
}

/** The next input of a run: a stream, 1-3 mutations, split at the {@link AWAIT_TUNE} marker if it survived. */
export function mutatedInput(streams: readonly ClientStream[], random: Random): FuzzInput {
  let frames = [...random.pick(streams)];
  for (let n = 1 + random.below(3); n > 0 && frames.length > 0; n--) frames = mutateOnce(frames, random, streams);
  const barrier = frames.indexOf(AWAIT_TUNE);
  if (barrier < 0) return { head: Buffer.concat(frames), tail: Buffer.alloc(0) };
  return { head: Buffer.concat(frames.slice(0, barrier)), tail: Buffer.concat(frames.slice(barrier + 1)) };
}
