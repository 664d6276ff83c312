import type { Socket } from 'node:net';
import {
  CLASS_BASIC,
  FRAME_BODY,
  FRAME_END,
  methodFrameSize,
  rawHeaderFrameSize,
  writeMethodFrame,
  writeRawHeaderFrame,
  type Method,
} from '@app/codec';

const CHUNK_BYTES = 64 * 1024;
/** Bodies at least this large are written from their own buffer instead of being copied into the chunk. */
const ZERO_COPY_BODY_BYTES = 8 * 1024;
/** Above this many bytes queued for the socket, consumers on this connection stop receiving until 'drain'. */
const HIGH_WATER_BYTES = 1024 * 1024;

/**
 * Coalesces the frames of one connection into large pooled chunks and writes them once per event-loop turn
 * (nats `flushClients`): a burst of deliveries caused by one inbound read becomes one `write`/`writev` syscall.
 *
 * Invariant: bytes before `chunkStart` have been handed to the socket and are never written again.
 */
export class FrameWriter {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private chunkStart = 0;
  private offset = 0;
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private isFlushScheduled = false;
  private isClosed = false;
  /** Runs just before each flush, so channels can coalesce publisher confirms into one `multiple` ack. */
  beforeFlush?: () => void;
  /** Number of frames written, for statistics. */
  framesWritten = 0;

  constructor(private readonly socket: Socket) {}

  /** Whether the socket is backed up enough that consumers must wait for 'drain'. */
  get isBackedUp(): boolean {
    return this.socket.writableLength + this.pendingBytes + (this.offset - this.chunkStart) > HIGH_WATER_BYTES;
  }

  /** Writes one method frame. */
  writeMethod(channel: number, method: Method): void {
    const size = methodFrameSize(method);
    this.reserve(size);
    this.offset = writeMethodFrame(this.chunk, this.offset, channel, method);
    this.framesWritten++;
    this.schedule();
  }

  /**
   * Writes a content-bearing method (deliver, get-ok, return) with its header and body frames,
   * splitting the body at `frameMax`.
   */
  writeContent(channel: number, method: Method, rawProperties: Buffer, body: Buffer, frameMax: number): void {
    const headerSize = rawHeaderFrameSize(rawProperties);
    const isLargeBody = body.length >= ZERO_COPY_BODY_BYTES;
    const maxPayload = frameMax - 8;
    const bodyFrames = body.length === 0 ? 0 : Math.ceil(body.length / maxPayload);
    const inlineSize = methodFrameSize(method) + headerSize + (isLargeBody ? 0 : body.length + bodyFrames * 8);
    this.reserve(inlineSize);
    let at = writeMethodFrame(this.chunk, this.offset, channel, method);
    at = writeRawHeaderFrame(this.chunk, at, channel, CLASS_BASIC, body.length, rawProperties);
    if (!isLargeBody) {
      for (let start = 0; start < body.length; start += maxPayload) {
        const end = Math.min(start + maxPayload, body.length);
        at = this.writeFrameHeader(at, FRAME_BODY, channel, end - start);
        at += body.copy(this.chunk, at, start, end);
        this.chunk[at++] = FRAME_END;
      }
      this.offset = at;
    } else {
      this.offset = at;
      // Large bodies: frame headers and ends go through the chunk, the payload is referenced, not copied.
      for (let start = 0; start < body.length; start += maxPayload) {
        const end = Math.min(start + maxPayload, body.length);
        this.reserve(7);
        this.offset = this.writeFrameHeader(this.offset, FRAME_BODY, channel, end - start);
        this.cut();
        this.pending.push(body.subarray(start, end));
        this.pendingBytes += end - start;
        this.reserve(1);
        this.chunk[this.offset++] = FRAME_END;
      }
    }
    this.framesWritten += 2 + bodyFrames;
    this.schedule();
  }

  /** Writes pre-encoded bytes (protocol header, heartbeat). */
  writeRaw(bytes: Buffer): void {
    this.reserve(bytes.length);
    this.offset += bytes.copy(this.chunk, this.offset);
    this.schedule();
  }

  /** Hands everything buffered to the socket now. */
  flush(): void {
    if (this.isClosed) return;
    // Frames written by the hook join this flush instead of scheduling another.
    this.beforeFlush?.();
    this.isFlushScheduled = false;
    this.cut();
    const count = this.pending.length;
    if (count === 0) return;
    if (this.socket.destroyed) {
      this.pending.length = 0;
      this.pendingBytes = 0;
      return;
    }
    if (count === 1) {
      this.socket.write(this.pending[0]);
    } else {
      // cork/uncork turns the slices into one writev.
      this.socket.cork();
      for (let i = 0; i < count; i++) this.socket.write(this.pending[i]);
      this.socket.uncork();
    }
    this.pending.length = 0;
    this.pendingBytes = 0;
  }

  /** Drops anything not yet written; later writes are ignored. */
  close(): void {
    this.isClosed = true;
    this.pending.length = 0;
    this.pendingBytes = 0;
  }

  /** Makes sure a flush happens this turn even if nothing else is written (coalesced confirms). */
  requestFlush(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.isFlushScheduled) return;
    this.isFlushScheduled = true;
    process.nextTick(flushWriter, this);
  }

  /** Moves the written part of the current chunk to the pending list. */
  private cut(): void {
    if (this.offset > this.chunkStart) {
      this.pending.push(this.chunk.subarray(this.chunkStart, this.offset));
      this.pendingBytes += this.offset - this.chunkStart;
      this.chunkStart = this.offset;
    }
  }

  /** Makes room for `size` contiguous bytes, starting a new chunk if needed. */
  private reserve(size: number): void {
    if (this.offset + size <= this.chunk.length) return;
    this.cut();
    this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, size));
    this.chunkStart = 0;
    this.offset = 0;
  }

  private writeFrameHeader(at: number, type: number, channel: number, size: number): number {
    const chunk = this.chunk;
    chunk[at] = type;
    chunk.writeUInt16BE(channel, at + 1);
    chunk.writeUInt32BE(size, at + 3);
    return at + 7;
  }
}

function flushWriter(writer: FrameWriter): void {
  writer.flush();
}
