import { CodecError } from './codec-error.js';
import { readTableFrom } from './field-table-reader.js';
import {
  defaultNumberTag,
  longstrBuffers,
  MAX_FIELD_DEPTH,
  TypedFieldValue,
  type Decimal,
  type FieldTable,
  type FieldValue,
} from './field-value.js';
import { ReplyCode } from './generated/constants.js';
import { ReaderContext, WireReader } from './wire-reader.js';
import { shortstrSize, writeShortstr } from './wire-writer.js';

export { MAX_FIELD_DEPTH, TypedFieldValue, type Decimal, type FieldTable, type FieldType, type FieldValue } from './field-value.js';

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const TWO_POW_32 = 0x1_0000_0000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const reader = new WireReader();

/** Encoded size of a table in bytes, including its 4-byte length prefix. */
export function fieldTableSize(table: FieldTable): number {
  return 4 + tableBodySize(table, 0);
}

/** Writes a table (length prefix + entries) at offset and returns the offset after it. */
export function writeFieldTable(target: Buffer, offset: number, table: FieldTable): number {
  return writeTable(target, offset, table, 0);
}

/** Encodes a table, length prefix included, into a buffer of exactly its size. */
export function encodeFieldTable(table: FieldTable): Buffer {
  const out = Buffer.allocUnsafe(fieldTableSize(table));
  writeFieldTable(out, 0, table);
  return out;
}

/** Decodes the table whose length prefix starts at offset, within buf[..end); returns it and the offset after it. */
export function readFieldTable(buf: Buffer, offset: number, end: number): { value: FieldTable; offset: number } {
  reader.reset(buf, offset, end, 0, 0, ReaderContext.FieldTable);
  try {
    const value = readTableFrom(reader, 0);
    return { value, offset: reader.pos };
  } finally {
    reader.release();
  }
}

/** Decodes a buffer holding exactly one table, length prefix included; trailing bytes are a FRAME_ERROR (501). */
export function decodeFieldTable(buf: Buffer): FieldTable {
  reader.reset(buf, 0, buf.length, 0, 0, ReaderContext.FieldTable);
  try {
    const value = readTableFrom(reader, 0);
    reader.done();
    return value;
  } finally {
    reader.release();
  }
}

function tableBodySize(table: FieldTable, depth: number): number {
  if (depth > MAX_FIELD_DEPTH) throw tooDeepToEncode();
  let size = 0;
  for (const key of Object.keys(table)) size += shortstrSize(key) + 1 + valueSize(table[key], depth);
  return size;
}

/** Size of a value's payload, excluding its tag octet. */
function valueSize(value: FieldValue | undefined, depth: number): number {
  switch (typeof value) {
    case 'boolean':
      return 1;
    case 'number':
      return defaultNumberTag(value) === 'I' ? 4 : 8;
    case 'bigint':
      return 8;
    case 'string':
      return 4 + Buffer.byteLength(value, 'utf8');
    case 'undefined':
      return 0;
  }
  if (value === null) return 0;
  if (value instanceof TypedFieldValue) return typedSize(value);
  if (value instanceof Uint8Array) return 4 + value.length;
  if (Array.isArray(value)) {
    if (depth >= MAX_FIELD_DEPTH) throw tooDeepToEncode();
    let size = 4;
    for (const item of value) size += 1 + valueSize(item, depth + 1);
    return size;
  }
  return 4 + tableBodySize(checkPlainObject(value), depth + 1);
}

function typedSize(typed: TypedFieldValue): number {
  switch (typed.type) {
    case 'V':
      return 0;
    case 't':
    case 'b':
    case 'B':
      return 1;
    case 's':
    case 'u':
      return 2;
    case 'I':
    case 'i':
    case 'f':
      return 4;
    case 'D':
      return 5;
    case 'l':
    case 'd':
    case 'T':
      return 8;
    default:
      throw unrepresentable(typed.type, typed.value);
  }
}

function writeTable(target: Buffer, offset: number, table: FieldTable, depth: number): number {
  if (depth > MAX_FIELD_DEPTH) throw tooDeepToEncode();
  // The length prefix is back-filled, so the table is walked once here rather than sized again.
  let p = offset + 4;
  for (const key of Object.keys(table)) {
    p = writeShortstr(target, p, key);
    p = writeValue(target, p, table[key], depth);
  }
  target.writeUInt32BE(p - offset - 4, offset);
  return p;
}

/** Writes a value's tag octet and payload. */
function writeValue(target: Buffer, p: number, value: FieldValue | undefined, depth: number): number {
  switch (typeof value) {
    case 'boolean':
      p = target.writeUInt8(0x74, p);
      return target.writeUInt8(value ? 1 : 0, p);
    case 'number': {
      const tag = defaultNumberTag(value);
      if (tag === 'I') return target.writeInt32BE(value, target.writeUInt8(0x49, p));
      if (tag === 'd') return target.writeDoubleBE(value, target.writeUInt8(0x64, p));
      return writeInt64Number(target, target.writeUInt8(0x6c, p), value);
    }
    case 'bigint':
      return writeBigInt(target, target.writeUInt8(0x6c, p), value, 'l');
    case 'string': {
      p = target.writeUInt8(0x53, p);
      const length = target.write(value, p + 4, 'utf8');
      // Buffer#write truncates silently when the target is too small; only a write that filled the target can be short.
      if (length === target.length - p - 4 && length !== Buffer.byteLength(value, 'utf8')) {
        throw new RangeError('codec: target too small for a field table');
      }
      target.writeUInt32BE(length, p);
      return p + 4 + length;
    }
    case 'undefined':
      return target.writeUInt8(0x56, p);
  }
  if (value === null) return target.writeUInt8(0x56, p);
  if (value instanceof TypedFieldValue) return writeTyped(target, p, value);
  if (value instanceof Uint8Array) {
    p = target.writeUInt8(longstrBuffers.has(value as Buffer) ? 0x53 : 0x78, p);
    p = target.writeUInt32BE(value.length, p);
    target.set(value, p);
    return p + value.length;
  }
  if (Array.isArray(value)) {
    if (depth >= MAX_FIELD_DEPTH) throw tooDeepToEncode();
    const start = target.writeUInt8(0x41, p);
    p = start + 4;
    for (const item of value) p = writeValue(target, p, item, depth + 1);
    target.writeUInt32BE(p - start - 4, start);
    return p;
  }
  return writeTable(target, target.writeUInt8(0x46, p), checkPlainObject(value), depth + 1);
}

function writeTyped(target: Buffer, p: number, typed: TypedFieldValue): number {
  const { type, value } = typed;
  if (type === 'V') return target.writeUInt8(0x56, p);
  p = target.writeUInt8(type.charCodeAt(0), p);
  switch (type) {
    case 'l':
    case 'T':
      if (typeof value === 'bigint') return writeBigInt(target, p, value, type);
      if (type === 'l') {
        return writeInt64Number(target, p, checkInteger(typed, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
      }
      checkInteger(typed, 0, Number.MAX_SAFE_INTEGER);
      target.writeUInt32BE(Math.floor((value as number) / TWO_POW_32), p);
      return target.writeUInt32BE((value as number) >>> 0, p + 4);
    case 't':
    case 'B':
      return target.writeUInt8(checkInteger(typed, 0, 0xff), p);
    case 'b':
      return target.writeInt8(checkInteger(typed, -0x80, 0x7f), p);
    case 's':
      return target.writeInt16BE(checkInteger(typed, -0x8000, 0x7fff), p);
    case 'u':
      return target.writeUInt16BE(checkInteger(typed, 0, 0xffff), p);
    case 'I':
      return target.writeInt32BE(checkInteger(typed, INT32_MIN, INT32_MAX), p);
    case 'i':
      return target.writeUInt32BE(checkInteger(typed, 0, 0xffff_ffff), p);
    case 'f':
      return target.writeFloatBE(checkNumber(typed), p);
    case 'd':
      return target.writeDoubleBE(checkNumber(typed), p);
    case 'D': {
      const decimal = value as Decimal;
      const isValid =
        typeof decimal === 'object' && isIntegerIn(decimal.scale, 0, 0xff) && isIntegerIn(decimal.value, INT32_MIN, INT32_MAX);
      if (!isValid) throw unrepresentable(type, value);
      return target.writeInt32BE(decimal.value, target.writeUInt8(decimal.scale, p));
    }
    default:
      throw unrepresentable(type, value);
  }
}

/** Writes a safe-integer number as a signed 64-bit integer without allocating a BigInt. */
function writeInt64Number(target: Buffer, p: number, value: number): number {
  target.writeInt32BE(Math.floor(value / TWO_POW_32), p);
  return target.writeUInt32BE(value >>> 0, p + 4);
}

function writeBigInt(target: Buffer, p: number, value: bigint, type: 'l' | 'T'): number {
  if (type === 'l' ? value < INT64_MIN || value > INT64_MAX : value < 0n || value > UINT64_MAX) {
    throw unrepresentable(type, value);
  }
  return type === 'l' ? target.writeBigInt64BE(value, p) : target.writeBigUInt64BE(value, p);
}

function checkInteger(typed: TypedFieldValue, min: number, max: number): number {
  if (!isIntegerIn(typed.value, min, max)) throw unrepresentable(typed.type, typed.value);
  return typed.value as number;
}

function checkNumber(typed: TypedFieldValue): number {
  if (typeof typed.value !== 'number') throw unrepresentable(typed.type, typed.value);
  return typed.value;
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Accepts only plain objects as tables, so a Date or Map is refused rather than written as an empty table. */
function checkPlainObject(value: object): FieldTable {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const kind = value.constructor?.name ?? 'non-plain object';
    throw new CodecError(ReplyCode.SYNTAX_ERROR, `SYNTAX_ERROR - cannot encode a ${kind} as a field value`);
  }
  return value as FieldTable;
}

function unrepresentable(type: string, value: unknown): CodecError {
  const text = `SYNTAX_ERROR - cannot encode ${String(value)} as field type '${type}'`;
  return new CodecError(ReplyCode.SYNTAX_ERROR, text);
}

function tooDeepToEncode(): CodecError {
  const text = `SYNTAX_ERROR - field table nested deeper than ${MAX_FIELD_DEPTH} levels`;
  return new CodecError(ReplyCode.SYNTAX_ERROR, text);
}
