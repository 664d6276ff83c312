import { MESSAGE_RECORD_FORMAT_CRC32, MESSAGE_RECORD_HEADER_BYTES } from '../message-record.js';

/**
 * The value of a message key (`q!<queue>!m!<seq>`) whose record lives in the body log (body-log.ts):
 * `[format = 0x02][segment uint32][offset uint32][length uint32][the record's CRC-32 uint32]`, all big-endian.
 *
 * The format byte differs from a message record's (message-record.ts, 0x01), so a reader tells the two apart by
 * their first byte and stores written before the body log keep being read as they are. The record's own checksum
 * is repeated here: a record read back must carry it, so a pointer damaged into pointing at another intact record
 * is caught rather than serving that record.
 */
export const BODY_POINTER_FORMAT = 0x02;
/** Bytes of a pointer. */
export const BODY_POINTER_BYTES = 17;

/** Where a record is in the body log. */
export interface BodyPointer {
  readonly segment: number;
  readonly offset: number;
  readonly length: number;
  readonly crc: number;
}

/** The pointer value for `record` (a sealed message record) stored in `segment` at `offset`. */
export function encodeBodyPointer(segment: number, offset: number, record: Buffer): Buffer {
  const pointer = Buffer.allocUnsafe(BODY_POINTER_BYTES);
  pointer[0] = BODY_POINTER_FORMAT;
  pointer.writeUInt32BE(segment, 1);
  pointer.writeUInt32BE(offset, 5);
  pointer.writeUInt32BE(record.length, 9);
  // The record's header holds its CRC-32 at bytes 1–4 (message-record.ts).
  record.copy(pointer, 13, 1, MESSAGE_RECORD_HEADER_BYTES);
  return pointer;
}

/** True when a message key's value is a pointer rather than the record itself. */
export function isBodyPointer(value: Uint8Array): boolean {
  return value.length === BODY_POINTER_BYTES && value[0] === BODY_POINTER_FORMAT;
}

/** Decodes a value {@link isBodyPointer} accepted. */
export function decodeBodyPointer(value: Buffer): BodyPointer {
  return { segment: value.readUInt32BE(1), offset: value.readUInt32BE(5), length: value.readUInt32BE(9), crc: value.readUInt32BE(13) };
}

/** Why `record`, read for `pointer`, is not the record it points at; undefined when it is (its own checksum aside). */
export function pointerMismatch(pointer: BodyPointer, record: Buffer): string | undefined {
  if (record.length !== pointer.length) {
    return `body record in segment ${pointer.segment} at ${pointer.offset} is truncated (${record.length} of ${pointer.length} bytes)`;
  }
  if (record[0] !== MESSAGE_RECORD_FORMAT_CRC32 || record.readUInt32BE(1) !== pointer.crc) {
    return `body record in segment ${pointer.segment} at ${pointer.offset} is not the one its pointer names`;
  }
  return undefined;
}
