import { isUtf8 } from 'node:buffer';
import { CodecError } from './codec-error.js';
import { ReplyCode } from './generated/constants.js';

/** What a {@link WireReader} is decoding, for error texts. */
export enum ReaderContext {
  Method = 0,
  Properties = 1,
  FieldTable = 2,
}

const EMPTY = Buffer.alloc(0);
const TWO_POW_32 = 0x1_0000_0000;
/** Upper 32 bits of a longlong whose value still fits in a JS number (2^53 - 1). */
const MAX_SAFE_HIGH = 0x1f_ffff;

/**
 * Bounds-checked cursor over one frame payload, shared by the generated method decoders, field tables and content
 * properties.
 *
 * @remarks
 * Invariants: one module-level instance per entry point is reused for every decode (no per-frame allocation), so a
 * reader must never be used re-entrantly; decoding is synchronous and calls no user code. Reading past `end`
 * throws FRAME_ERROR (501) naming the method being decoded.
 */
export class WireReader {
  /** Buffer being read; never retained after a decode (strings and byte arrays are copied out). */
  buf: Buffer = EMPTY;
  /** Next byte to read. */
  pos = 0;
  /** Exclusive limit; nested tables and arrays narrow it while they are read. */
  end = 0;
  /** Class of the method being decoded (60 for content properties), carried into errors. */
  classId = 0;
  /** Method being decoded, carried into errors. */
  methodId = 0;
  /** What is being decoded, for error texts. */
  context: ReaderContext = ReaderContext.Method;

  /** Points the reader at buf[pos..end) before a decode. */
  reset(buf: Buffer, pos: number, end: number, classId: number, methodId: number, context: ReaderContext): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.classId = classId;
    this.methodId = methodId;
    this.context = context;
  }

  /** Drops the reference to the decoded buffer so a reused reader does not keep a socket chunk alive. */
  release(): void {
    this.buf = EMPTY;
  }

  /** Reads an unsigned 8-bit integer. */
  octet(): number {
    const p = this.pos;
    if (p >= this.end) this.truncated();
    this.pos = p + 1;
    return this.buf[p];
  }

  /** Reads an unsigned 16-bit big-endian integer. */
  short(): number {
    const p = this.pos;
    if (p + 2 > this.end) this.truncated();
    this.pos = p + 2;
    return this.buf.readUInt16BE(p);
  }

  /** Reads an unsigned 32-bit big-endian integer. */
  long(): number {
    const p = this.pos;
    if (p + 4 > this.end) this.truncated();
    this.pos = p + 4;
    return this.buf.readUInt32BE(p);
  }

  /** Reads an unsigned 64-bit integer as a JS number; values above 2^53-1 are a SYNTAX_ERROR (502). */
  longlong(): number {
    const p = this.pos;
    if (p + 8 > this.end) this.truncated();
    this.pos = p + 8;
    const high = this.buf.readUInt32BE(p);
    // Two 32-bit reads instead of readBigUInt64BE: avoids a BigInt allocation per delivery tag.
    if (high > MAX_SAFE_HIGH) {
      throw this.error(ReplyCode.SYNTAX_ERROR, `SYNTAX_ERROR - longlong value exceeds 2^53-1 ${this.where()}`);
    }
    return high * TWO_POW_32 + this.buf.readUInt32BE(p + 4);
  }

  /**
   * Reads an unsigned 64-bit integer exactly: a number up to 2^53-1, a bigint above (Go's amqp091 sends timestamps
   * of `time.Unix(rand.Int63())`). For values that are not counters, where a BigInt now and then costs nothing.
   */
  longlongExact(): number | bigint {
    const p = this.pos;
    if (p + 8 > this.end) this.truncated();
    this.pos = p + 8;
    const high = this.buf.readUInt32BE(p);
    if (high > MAX_SAFE_HIGH) return this.buf.readBigUInt64BE(p);
    return high * TWO_POW_32 + this.buf.readUInt32BE(p + 4);
  }

  /** Reads a shortstr as UTF-8; invalid UTF-8 is a FRAME_ERROR (501), as RabbitMQ treats it. */
  shortstr(): string {
    const p = this.pos;
    if (p >= this.end) this.truncated();
    const start = p + 1;
    const stop = start + this.buf[p];
    if (stop > this.end) this.truncated();
    this.pos = stop;
    return this.utf8(start, stop);
  }

  /** Reads a longstr as a copy, so the result never aliases the decoder's reused scratch buffer or a socket chunk. */
  longstr(): Buffer {
    const stop = this.bytesEnd();
    const start = this.pos;
    this.pos = stop;
    return copyBytes(this.buf, start, stop);
  }

  /** Reads a 32-bit length prefix and returns where the bytes it announces end, after checking they are present. */
  bytesEnd(): number {
    const length = this.long();
    const stop = this.pos + length;
    if (stop > this.end) this.truncated();
    return stop;
  }

  /** Decodes buf[start..stop) as UTF-8, throwing FRAME_ERROR (501) when it is not valid UTF-8. */
  utf8(start: number, stop: number): string {
    if (start === stop) return '';
    const buf = this.buf;
    // Names, routing keys and tags are nearly always ASCII: scanning ≤ 255 bytes is cheaper than a validating decode.
    for (let i = start; i < stop; i++) {
      if (buf[i] >= 0x80) {
        if (!isUtf8(buf.subarray(start, stop))) {
          throw this.error(ReplyCode.FRAME_ERROR, `FRAME_ERROR - invalid UTF-8 in shortstr ${this.where()}`);
        }
        return buf.toString('utf8', start, stop);
      }
    }
    return buf.toString('latin1', start, stop);
  }

  /** Throws FRAME_ERROR (501) unless every byte up to `end` was consumed. */
  done(): void {
    if (this.pos !== this.end) {
      throw this.error(ReplyCode.FRAME_ERROR, `FRAME_ERROR - ${this.end - this.pos} trailing bytes after the ${this.subject()}`);
    }
  }

  /** Throws FRAME_ERROR (501) for a read past `end`. */
  truncated(): never {
    throw this.error(ReplyCode.FRAME_ERROR, `FRAME_ERROR - truncated ${this.subject()}`);
  }

  /** Builds a CodecError carrying the ids of the method being decoded. */
  error(code: ReplyCode, text: string): CodecError {
    return new CodecError(code, text, this.classId, this.methodId);
  }

  /** Names what is being decoded, for error texts (built only on the error path). */
  subject(): string {
    switch (this.context) {
      case ReaderContext.Method:
        return `arguments of method ${this.classId}.${this.methodId}`;
      case ReaderContext.Properties:
        return 'content header properties';
      default:
        return 'field table';
    }
  }

  /** `in <subject>`, for error texts. */
  where(): string {
    return `in ${this.subject()}`;
  }
}

/** Copies buf[start..stop) into a Buffer of its own. */
export function copyBytes(buf: Buffer, start: number, stop: number): Buffer {
  const out = Buffer.allocUnsafe(stop - start);
  buf.copy(out, 0, start, stop);
  return out;
}
