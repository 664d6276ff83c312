import { crc32 } from 'node:zlib';

/**
 * The envelope of every message a {@link MessageStore} stores: a format byte and a CRC-32 of the payload in front
 * of the payload (the broker's encoded message, opaque to storage). The broker builds the record once per message
 * ({@link allocateMessageRecord}, write the payload, {@link sealMessageRecord}), however many queues it reaches;
 * stores check the checksum when they read a record back, so a byte flipped on disk (in a LevelDB table file, which
 * LevelDB itself does not verify on read) is caught instead of served.
 *
 * Layout: `[format = 0x01][CRC-32 (zlib, IEEE), uint32 BE, of the payload][payload…]`.
 */
export const MESSAGE_RECORD_HEADER_BYTES = 5;
/** Format byte of a record carrying a CRC-32; a later format (another checksum) would take another value. */
export const MESSAGE_RECORD_FORMAT_CRC32 = 0x01;

/** A record with room for `payloadBytes` after the header; write the payload at the header's end, then seal it. */
export function allocateMessageRecord(payloadBytes: number): Buffer {
  const record = Buffer.allocUnsafe(MESSAGE_RECORD_HEADER_BYTES + payloadBytes);
  record[0] = MESSAGE_RECORD_FORMAT_CRC32;
  return record;
}

/** Computes the payload's checksum into the header (once per message, never per queue or delivery); returns `record`. */
export function sealMessageRecord(record: Buffer): Buffer {
  record[0] = MESSAGE_RECORD_FORMAT_CRC32;
  record.writeUInt32BE(crc32(record.subarray(MESSAGE_RECORD_HEADER_BYTES)), 1);
  return record;
}

/** A sealed record holding a copy of `payload` (tests, rare paths, and records written before checksums). */
export function messageRecordOf(payload: Uint8Array): Buffer {
  const record = allocateMessageRecord(payload.length);
  record.set(payload, MESSAGE_RECORD_HEADER_BYTES);
  return sealMessageRecord(record);
}

/** The payload of a record, as a view (no copy). */
export function messageRecordPayload(record: Buffer): Buffer {
  return record.subarray(MESSAGE_RECORD_HEADER_BYTES);
}

/** True when `data` starts like a record; the cheap check enqueue() makes (the checksum is verified on read). */
export function isMessageRecord(data: Uint8Array): boolean {
  return data.length >= MESSAGE_RECORD_HEADER_BYTES && data[0] === MESSAGE_RECORD_FORMAT_CRC32;
}

/** Why a record read back is not intact, or undefined when it is. */
export function checkMessageRecord(record: Uint8Array): string | undefined {
  if (record.length < MESSAGE_RECORD_HEADER_BYTES) return `record of ${record.length} bytes is shorter than its header`;
  if (record[0] !== MESSAGE_RECORD_FORMAT_CRC32) return `unknown record format ${record[0]}`;
  const view = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  const stored = view.readUInt32BE(1);
  const actual = crc32(view.subarray(MESSAGE_RECORD_HEADER_BYTES));
  if (stored !== actual) {
    return `checksum mismatch (stored ${stored.toString(16).padStart(8, '0')}, computed ${actual.toString(16).padStart(8, '0')})`;
  }
  return undefined;
}
