import { CodecError } from './codec-error.js';
import { ReplyCode } from './generated/constants.js';

const TWO_POW_32 = 0x1_0000_0000;

/**
 * Encoded size of a shortstr (length octet + UTF-8 bytes); throws SYNTAX_ERROR (502) when it exceeds 255 bytes.
 */
export function shortstrSize(value: string): number {
  const length = Buffer.byteLength(value, 'utf8');
  if (length > 255) throw shortstrTooLong(length);
  return 1 + length;
}

/** Writes a shortstr at offset and returns the offset after it; the target must have room (size it first). */
export function writeShortstr(target: Buffer, offset: number, value: string): number {
  // Writing first and back-filling the length octet avoids measuring the string a second time on the hot path.
  const length = value.length === 0 ? 0 : target.write(value, offset + 1, 'utf8');
  if (length > 255) throw shortstrTooLong(length);
  // Buffer#write truncates silently when the target is too small; only a write that filled the target can be short.
  if (length === target.length - offset - 1 && Buffer.byteLength(value, 'utf8') !== length) {
    throw new RangeError(`codec: target too small for a shortstr at offset ${offset}`);
  }
  target.writeUInt8(length, offset);
  return offset + 1 + length;
}

/** Writes a longstr (32-bit length + bytes) and returns the offset after it. */
export function writeLongstr(target: Buffer, offset: number, value: Buffer): number {
  const p = target.writeUInt32BE(value.length, offset);
  if (value.copy(target, p) !== value.length) {
    throw new RangeError(`codec: target too small for a longstr at offset ${offset}`);
  }
  return p + value.length;
}

/**
 * Writes an unsigned 64-bit integer from a JS number; anything but an integer in [0, 2^53-1] is a SYNTAX_ERROR
 * (502), since it could not have been decoded either.
 */
export function writeLonglong(target: Buffer, offset: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    const text = `SYNTAX_ERROR - longlong value ${value} is not an integer in [0, 2^53-1]`;
    throw new CodecError(ReplyCode.SYNTAX_ERROR, text);
  }
  // Two 32-bit writes instead of writeBigUInt64BE: avoids a BigInt allocation per delivery tag.
  target.writeUInt32BE(Math.floor(value / TWO_POW_32), offset);
  return target.writeUInt32BE(value >>> 0, offset + 4);
}

/** Writes an unsigned 64-bit integer given as a number (see writeLonglong) or a bigint in [0, 2^64-1] (else 502). */
export function writeLonglongExact(target: Buffer, offset: number, value: number | bigint): number {
  if (typeof value === 'number') return writeLonglong(target, offset, value);
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw new CodecError(ReplyCode.SYNTAX_ERROR, `SYNTAX_ERROR - longlong value ${value} is not an integer in [0, 2^64-1]`);
  }
  return target.writeBigUInt64BE(value, offset);
}

function shortstrTooLong(length: number): CodecError {
  return new CodecError(ReplyCode.SYNTAX_ERROR, `SYNTAX_ERROR - shortstr of ${length} bytes exceeds 255`);
}
