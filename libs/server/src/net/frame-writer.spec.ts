import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { FrameDecoder, HEARTBEAT_FRAME, type FrameSink, type Method } from '@app/codec';
import { FrameWriter } from './frame-writer.js';

const MiB = 1024 * 1024;

/**
 * The part of a `net.Socket` the writer uses. Like a real socket under a slow reader, `write()` queues the bytes and
 * returns false once `highWaterMark` bytes are queued; `drain()` stands for the peer reading them all.
 */
class FakeSocket extends EventEmitter {
  /** Each `write()` call (one per uncorked write, several per corked batch). */
  readonly writes: Buffer[] = [];
  /** Batches: writes between cork() and uncork() count as one (one writev). */
  batches = 0;
  writableLength = 0;
  destroyed = false;
  private corked = false;

  constructor(private readonly highWaterMark = 16 * 1024) {
    super();
  }

  write(chunk: Buffer): boolean {
    // A view, not a copy: the writer never reuses memory it handed over (its own invariant), so this also checks it.
    this.writes.push(chunk);
    this.writableLength += chunk.length;
    if (!this.corked) this.batches++;
    return this.writableLength < this.highWaterMark;
  }

  cork(): void {
    this.corked = true;
  }

  uncork(): void {
    this.corked = false;
    this.batches++;
  }

  /** The peer read everything queued. */
  drain(): void {
    this.writableLength = 0;
    this.emit('drain');
  }

  /** Every byte written so far, in order. */
  get bytes(): Buffer {
    return Buffer.concat(this.writes);
  }
}

/** Decodes what the writer produced back into frames, for assertions. */
function decodeFrames(bytes: Buffer): string[] {
  const frames: string[] = [];
  const sink: FrameSink = {
    onMethod: (channel, method) => frames.push(`${channel} ${method.name}`),
    onHeader: (channel, _classId, bodySize) => frames.push(`${channel} header ${bodySize}`),
    onBody: (channel, payload) => frames.push(`${channel} body ${payload.length}`),
    onHeartbeat: () => frames.push('heartbeat'),
  };
  new FrameDecoder(sink, 1024 * 1024).push(bytes);
  return frames;
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

const ACK: Method = { name: 'basic.ack', classId: 60, methodId: 80, deliveryTag: 1, multiple: false };
const deliver = (deliveryTag: number): Method => ({
  name: 'basic.deliver',
  classId: 60,
  methodId: 60,
  consumerTag: 'ctag',
  deliveryTag,
  redelivered: false,
  exchange: '',
  routingKey: 'q',
});
const NO_PROPERTIES = Buffer.from([0, 0]);

function writerOn(socket: FakeSocket): FrameWriter {
  return new FrameWriter(socket as unknown as Socket);
}

describe('FrameWriter', () => {
  describe('coalescing', () => {
    it('writes every frame of one event-loop turn with a single socket write', async () => {
      const socket = new FakeSocket();
      const writer = writerOn(socket);
      writer.writeMethod(1, ACK);
      writer.writeContent(1, deliver(1), NO_PROPERTIES, Buffer.from('small body'), 4096);
      writer.writeRaw(HEARTBEAT_FRAME);
      expect(socket.writes).toEqual([]);

      await nextTick();

      expect(socket.batches).toBe(1);
      expect(socket.writes).toHaveLength(1);
      expect(decodeFrames(socket.bytes)).toEqual(['1 basic.ack', '1 basic.deliver', '1 header 10', '1 body 10', 'heartbeat']);
      expect(writer.framesWritten).toBe(4);
    });

    it('splits a body at frameMax and references a large body instead of copying it, in one writev', async () => {
      const socket = new FakeSocket(Infinity);
      const writer = writerOn(socket);
      const body = Buffer.alloc(20_000, 7);

      writer.writeContent(2, deliver(1), NO_PROPERTIES, body, 8192);
      await nextTick();

      expect(decodeFrames(socket.bytes)).toEqual(['2 basic.deliver', '2 header 20000', '2 body 8184', '2 body 8184', '2 body 3632']);
      expect(socket.writes.some((chunk) => chunk.buffer === body.buffer)).toBe(true);
      expect(socket.batches).toBe(1);
    });

    it('lets the beforeFlush hook add frames to the same write (coalesced confirms)', async () => {
      const socket = new FakeSocket();
      const writer = writerOn(socket);
      writer.beforeFlush = () => writer.writeMethod(1, { ...ACK, deliveryTag: 3, multiple: true });
      writer.writeMethod(1, deliver(1));
      await nextTick();
      expect(socket.writes).toHaveLength(1);
      expect(decodeFrames(socket.bytes)).toEqual(['1 basic.deliver', '1 basic.ack']);
    });

    it('flushes on request even with nothing else written', async () => {
      const socket = new FakeSocket();
      const writer = writerOn(socket);
      let hookRuns = 0;
      writer.beforeFlush = () => hookRuns++;
      writer.requestFlush();
      writer.requestFlush();
      await nextTick();
      expect(hookRuns).toBe(1);
      expect(socket.writes).toEqual([]);
    });

    it('never writes the same bytes twice across flushes and chunk boundaries', async () => {
      const socket = new FakeSocket(Infinity);
      const writer = writerOn(socket);
      const expected: string[] = [];
      // About 3 chunks' worth of frames over several turns.
      for (let turn = 0; turn < 3; turn++) {
        for (let i = 0; i < 1000; i++) {
          writer.writeContent(1, deliver(turn * 1000 + i + 1), NO_PROPERTIES, Buffer.alloc(50, i), 4096);
          expected.push('1 basic.deliver', '1 header 50', '1 body 50');
        }
        await nextTick();
      }
      expect(decodeFrames(socket.bytes)).toEqual(expected);
    });
  });

  describe('backpressure', () => {
    it('reports backpressure past 1 MiB queued for the socket, keeps accepting frames, and clears on drain', async () => {
      const socket = new FakeSocket(64 * 1024);
      const writer = writerOn(socket);
      const body = Buffer.alloc(256 * 1024);
      let drains = 0;
      socket.on('drain', () => drains++);

      for (let i = 1; i <= 3; i++) writer.writeContent(1, deliver(i), NO_PROPERTIES, body, 131072);
      expect(writer.isBackedUp).toBe(false);
      for (let i = 4; i <= 5; i++) writer.writeContent(1, deliver(i), NO_PROPERTIES, body, 131072);
      // Counted before the flush too: the frames waiting for this turn's write are as real as the socket's queue.
      expect(writer.isBackedUp).toBe(true);
      await nextTick();
      expect(socket.writableLength).toBeGreaterThan(MiB);
      expect(writer.isBackedUp).toBe(true);

      writer.writeMethod(1, ACK);
      await nextTick();
      socket.drain();

      expect(drains).toBe(1);
      expect(writer.isBackedUp).toBe(false);
      const frames = decodeFrames(socket.bytes);
      expect(frames.filter((frame) => frame === '1 basic.deliver')).toHaveLength(5);
      expect(frames[frames.length - 1]).toBe('1 basic.ack');
    });
  });

  describe('closing', () => {
    it('drops unwritten frames once closed and ignores later flushes', async () => {
      const socket = new FakeSocket();
      const writer = writerOn(socket);
      writer.writeMethod(1, ACK);
      writer.close();
      writer.writeMethod(1, ACK);
      await nextTick();
      expect(socket.writes).toEqual([]);
    });

    it('discards frames for a destroyed socket', async () => {
      const socket = new FakeSocket();
      const writer = writerOn(socket);
      socket.destroyed = true;
      writer.writeMethod(1, ACK);
      await nextTick();
      expect(socket.writes).toEqual([]);
    });
  });
});
