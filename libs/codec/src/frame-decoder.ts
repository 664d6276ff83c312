import { CodecError } from './codec-error.js';
import { FRAME_HEADER_SIZE, FRAME_OVERHEAD, MAX_LONGLONG } from './constants.js';
import { FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD, FRAME_MIN_SIZE, ReplyCode } from './generated/constants.js';
import { decodeMethod, type Method } from './generated/methods.js';

/**
 * Receives the frames a {@link FrameDecoder} decodes, in wire order.
 *
 * @remarks
 * Buffers handed to `onHeader` and `onBody` are views of the pushed chunk when the frame arrived whole, else a
 * buffer allocated for that one frame; the decoder never writes into either afterwards, so they may be kept. A
 * kept view keeps the whole socket chunk alive: copy it before storing it long term. Channel semantics (unopened
 * channels, body before header, heartbeats on channel ≠ 0) are the connection's job, not the decoder's.
 */
export interface FrameSink {
  /** A decoded method frame. */
  onMethod(channel: number, method: Method): void;
  /** properties = the raw bytes from the property flags to the end of the header payload (a view, not copied) */
  onHeader(channel: number, classId: number, bodySize: number, properties: Buffer): void;
  /** A content body frame's payload (possibly empty). */
  onBody(channel: number, payload: Buffer): void;
  /** A heartbeat frame. */
  onHeartbeat(channel: number): void;
}

const STATE_HEADER = 0;
const STATE_PAYLOAD = 1;

/** Content header payload: class-id (2), weight (2), body-size (8), then at least the 2-byte property flags. */
const MIN_HEADER_PAYLOAD = 14;
const TWO_POW_32 = 0x1_0000_0000;
const EMPTY = Buffer.alloc(0);

/**
 * Resumable AMQP 0-9-1 frame decoder: one explicit state machine over pushed socket chunks (the nats-server
 * parser technique), safe across reads split at any offset.
 *
 * @remarks
 * Invariants: `push` is called only from the connection's read loop, never re-entered from a sink callback, and
 * never again after it threw. `frameMax` is checked on the 7-byte frame header before any payload is buffered or
 * allocated, so at most one frame (≤ frameMax bytes) is ever held. Frames that arrive whole are decoded in place;
 * only a frame spanning reads is copied, into a reused scratch buffer for methods (decoded at once, nothing
 * aliases it) or a buffer of its own for content (the sink may keep it).
 */
export class FrameDecoder {
  private limit: number;
  private state = STATE_HEADER;
  private busy = false;
  // Header bytes of a frame whose 7-byte header itself is split across reads.
  private readonly headerBytes = Buffer.alloc(FRAME_HEADER_SIZE);
  private headerFill = 0;
  // The frame being assembled across reads.
  private frameType = 0;
  private channel = 0;
  private size = 0;
  private payload: Buffer = EMPTY;
  private payloadFill = 0;
  private scratch: Buffer = EMPTY;

  constructor(
    private readonly sink: FrameSink,
    frameMax: number = FRAME_MIN_SIZE,
  ) {
    this.limit = checkFrameMax(frameMax);
  }

  /** Largest accepted frame, header and frame-end included; the connection raises it after `connection.tune-ok`. */
  get frameMax(): number {
    return this.limit;
  }

  set frameMax(value: number) {
    this.limit = checkFrameMax(value);
  }

  /** Bytes currently buffered for an incomplete frame (never more than frameMax). */
  get bufferedBytes(): number {
    return this.state === STATE_HEADER ? this.headerFill : FRAME_HEADER_SIZE + this.payloadFill;
  }

  /**
   * Decodes every complete frame in chunk. Throws CodecError on malformed input; after a throw the decoder must
   * not be used again. Errors thrown by the sink propagate unchanged.
   */
  push(chunk: Buffer): void {
    if (this.busy) throw new Error('codec: FrameDecoder.push re-entered or called after a failure');
    this.busy = true;
    const length = chunk.length;
    let i = 0;
    while (i < length) {
      if (this.state === STATE_PAYLOAD) {
        i = this.continuePayload(chunk, i);
        continue;
      }
      let type: number;
      let channel: number;
      let size: number;
      if (this.headerFill === 0 && length - i >= FRAME_HEADER_SIZE) {
        type = chunk[i];
        channel = chunk.readUInt16BE(i + 1);
        size = chunk.readUInt32BE(i + 3);
        i += FRAME_HEADER_SIZE;
      } else {
        // Split frame header: gather its 7 bytes before looking at any of them.
        const take = Math.min(FRAME_HEADER_SIZE - this.headerFill, length - i);
        chunk.copy(this.headerBytes, this.headerFill, i, i + take);
        this.headerFill += take;
        i += take;
        if (this.headerFill < FRAME_HEADER_SIZE) break;
        this.headerFill = 0;
        type = this.headerBytes[0];
        channel = this.headerBytes.readUInt16BE(1);
        size = this.headerBytes.readUInt32BE(3);
      }
      this.checkFrameHeader(type, size);
      if (length - i > size) {
        // Fast path: payload and frame-end are in this chunk, so decode in place without copying.
        const end = i + size;
        if (chunk[end] !== FRAME_END) throw badFrameEnd(chunk[end]);
        this.dispatch(type, channel, chunk, i, end);
        i = end + 1;
      } else {
        this.frameType = type;
        this.channel = channel;
        this.size = size;
        this.payload = type === FRAME_METHOD ? this.methodScratch(size) : Buffer.allocUnsafe(size);
        chunk.copy(this.payload, 0, i, length);
        this.payloadFill = length - i;
        this.state = STATE_PAYLOAD;
        i = length;
      }
    }
    this.busy = false;
  }

  /** Copies more of a frame spanning reads; once its payload is complete, checks the frame-end and dispatches. */
  private continuePayload(chunk: Buffer, i: number): number {
    const missing = this.size - this.payloadFill;
    if (missing > 0) {
      const take = Math.min(missing, chunk.length - i);
      chunk.copy(this.payload, this.payloadFill, i, i + take);
      this.payloadFill += take;
      i += take;
      if (take < missing || i === chunk.length) return i;
    }
    const endOctet = chunk[i];
    if (endOctet !== FRAME_END) throw badFrameEnd(endOctet);
    const payload = this.payload;
    // Reset before dispatching so the decoder is consistent if the sink inspects it.
    this.payload = EMPTY;
    this.payloadFill = 0;
    this.state = STATE_HEADER;
    this.dispatch(this.frameType, this.channel, payload, 0, this.size);
    return i + 1;
  }

  /** Rejects an unknown frame type or an oversized frame from its header alone, before buffering the payload. */
  private checkFrameHeader(type: number, size: number): void {
    if (type !== FRAME_METHOD && type !== FRAME_HEADER && type !== FRAME_BODY && type !== FRAME_HEARTBEAT) {
      throw new CodecError(ReplyCode.FRAME_ERROR, `FRAME_ERROR - unknown frame type ${type}`);
    }
    if (size > this.limit - FRAME_OVERHEAD) {
      throw new CodecError(ReplyCode.FRAME_ERROR, `FRAME_ERROR - frame size ${size + FRAME_OVERHEAD} exceeds frame_max ${this.limit}`);
    }
  }

  private dispatch(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    switch (type) {
      case FRAME_METHOD:
        this.sink.onMethod(channel, decodeMethod(buf, start, end));
        return;
      case FRAME_HEADER:
        this.dispatchHeader(channel, buf, start, end);
        return;
      case FRAME_BODY:
        // A frame assembled across reads fills its own buffer exactly: hand it over without another view.
        this.sink.onBody(channel, start === 0 && end === buf.length ? buf : buf.subarray(start, end));
        return;
      default:
        // 0-9-1 §4.2.7: heartbeat frames carry no payload; RabbitMQ rejects any other heartbeat as a frame error.
        if (end !== start) {
          const text = `FRAME_ERROR - heartbeat frame with ${end - start} payload bytes`;
          throw new CodecError(ReplyCode.FRAME_ERROR, text);
        }
        this.sink.onHeartbeat(channel);
    }
  }

  private dispatchHeader(channel: number, buf: Buffer, start: number, end: number): void {
    if (end - start < MIN_HEADER_PAYLOAD) {
      throw new CodecError(
        ReplyCode.FRAME_ERROR,
        `FRAME_ERROR - content header payload of ${end - start} bytes is shorter than ${MIN_HEADER_PAYLOAD}`,
      );
    }
    const classId = buf.readUInt16BE(start);
    const high = buf.readUInt32BE(start + 4);
    const bodySize = high * TWO_POW_32 + buf.readUInt32BE(start + 8);
    if (bodySize > MAX_LONGLONG) {
      throw new CodecError(ReplyCode.SYNTAX_ERROR, 'SYNTAX_ERROR - content body size exceeds 2^53-1', classId, 0);
    }
    this.sink.onHeader(channel, classId, bodySize, buf.subarray(start + 12, end));
  }

  /** Scratch for a method frame spanning reads, grown to the largest such frame seen and reused after that. */
  private methodScratch(size: number): Buffer {
    if (this.scratch.length < size) this.scratch = Buffer.allocUnsafe(Math.max(size, 512));
    return this.scratch;
  }
}

function checkFrameMax(value: number): number {
  if (!Number.isInteger(value) || value < FRAME_MIN_SIZE || value > 0xffff_ffff) {
    throw new RangeError(`codec: frameMax must be an integer in [${FRAME_MIN_SIZE}, 2^32-1], got ${value}`);
  }
  return value;
}

function badFrameEnd(octet: number): CodecError {
  const text = `FRAME_ERROR - bad frame end octet 0x${octet.toString(16).padStart(2, '0')}`;
  return new CodecError(ReplyCode.FRAME_ERROR, text);
}
