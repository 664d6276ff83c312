import { isUtf8 } from 'node:buffer';
import type { CodecError } from './codec-error.js';
import { ReplyCode } from './generated/constants.js';
import { defaultNumberTag, longstrBuffers, MAX_FIELD_DEPTH, TypedFieldValue, type FieldTable, type FieldValue } from './field-value.js';
import { copyBytes, type WireReader } from './wire-reader.js';

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * Reads a field table (length prefix + entries) at the reader's position; used by the generated method decoders and the
 * content properties so errors carry their class and method ids.
 */
export function readTableFrom(r: WireReader, depth: number): FieldTable {
  if (depth > MAX_FIELD_DEPTH) throw tooDeep(r);
  const stop = r.bytesEnd();
  const outer = r.end;
  // Narrow the limit so an entry cannot run past the table's own length into the next argument.
  r.end = stop;
  const table: FieldTable = {};
  while (r.pos < stop) {
    const key = r.shortstr();
    const value = readValue(r, r.octet(), depth);
    // A plain assignment of '__proto__' would replace the table's prototype instead of adding an entry.
    if (key === '__proto__') {
      Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      table[key] = value;
    }
  }
  r.end = outer;
  return table;
}

function readArray(r: WireReader, depth: number): FieldValue[] {
  if (depth > MAX_FIELD_DEPTH) throw tooDeep(r);
  const stop = r.bytesEnd();
  const outer = r.end;
  r.end = stop;
  const array: FieldValue[] = [];
  while (r.pos < stop) array.push(readValue(r, r.octet(), depth));
  r.end = outer;
  return array;
}

function readValue(r: WireReader, tag: number, depth: number): FieldValue {
  const buf = r.buf;
  switch (tag) {
    case 0x74: {
      // 't'
      const octet = r.octet();
      return octet === 0 ? false : octet === 1 ? true : new TypedFieldValue('t', octet);
    }
    case 0x62: // 'b'
      return new TypedFieldValue('b', buf.readInt8(advance(r, 1)));
    case 0x42: // 'B'
      return new TypedFieldValue('B', r.octet());
    case 0x73: // 's'
      return new TypedFieldValue('s', buf.readInt16BE(advance(r, 2)));
    case 0x75: // 'u'
      return new TypedFieldValue('u', r.short());
    case 0x49: // 'I'
      return buf.readInt32BE(advance(r, 4));
    case 0x69: // 'i'
      return new TypedFieldValue('i', r.long());
    case 0x6c: {
      // 'l'
      const p = advance(r, 8);
      const n = buf.readInt32BE(p) * TWO_POW_32 + buf.readUInt32BE(p + 4);
      if (!Number.isSafeInteger(n)) return buf.readBigInt64BE(p);
      return n >= INT32_MIN && n <= INT32_MAX ? new TypedFieldValue('l', n) : n;
    }
    case 0x66: // 'f'
      return new TypedFieldValue('f', buf.readFloatBE(advance(r, 4)));
    case 0x64: {
      // 'd'
      const n = buf.readDoubleBE(advance(r, 8));
      return defaultNumberTag(n) === 'd' ? n : new TypedFieldValue('d', n);
    }
    case 0x44: {
      // 'D'
      const p = advance(r, 5);
      return new TypedFieldValue('D', { scale: buf[p], value: buf.readInt32BE(p + 1) });
    }
    case 0x53: {
      // 'S'
      const stop = r.bytesEnd();
      const start = r.pos;
      r.pos = stop;
      if (isUtf8(buf.subarray(start, stop))) return buf.toString('utf8', start, stop);
      const bytes = copyBytes(buf, start, stop);
      longstrBuffers.add(bytes);
      return bytes;
    }
    case 0x78: {
      // 'x'
      const stop = r.bytesEnd();
      const start = r.pos;
      r.pos = stop;
      return copyBytes(buf, start, stop);
    }
    case 0x41: // 'A'
      return readArray(r, depth + 1);
    case 0x54: {
      // 'T'
      const p = advance(r, 8);
      const n = buf.readUInt32BE(p) * TWO_POW_32 + buf.readUInt32BE(p + 4);
      return new TypedFieldValue('T', Number.isSafeInteger(n) ? n : buf.readBigUInt64BE(p));
    }
    case 0x46: // 'F'
      return readTableFrom(r, depth + 1);
    case 0x56: // 'V'
      return null;
    default:
      throw r.error(ReplyCode.SYNTAX_ERROR, `SYNTAX_ERROR - unknown field type ${describeTag(tag)}`);
  }
}

/** Claims n bytes at the reader's position and returns where they start. */
function advance(r: WireReader, n: number): number {
  const p = r.pos;
  if (p + n > r.end) r.truncated();
  r.pos = p + n;
  return p;
}

function tooDeep(r: WireReader): CodecError {
  return r.error(ReplyCode.SYNTAX_ERROR, `SYNTAX_ERROR - field table nested deeper than ${MAX_FIELD_DEPTH} levels`);
}

function describeTag(tag: number): string {
  return tag >= 0x20 && tag < 0x7f ? `'${String.fromCharCode(tag)}'` : `0x${tag.toString(16).padStart(2, '0')}`;
}
