import { allocateMessageRecord, messageRecordPayload, sealMessageRecord } from '@app/storage';

/**
 * What a queue needs to hold a stored message without its body (QueueEntry): the store keeps it as the message's
 * index record (`EnqueueEntry.index`), so a restart reads a few dozen bytes per message instead of the backlog.
 */
export interface QueueIndexFacts {
  /** Body bytes (`x-max-length-bytes`, the in-memory window). */
  readonly bodySize: number;
  /** The `priority` property (0 when absent); a queue without `x-max-priority` ignores it. */
  readonly priority: number;
  /** The `expiration` property as published (a per-message TTL restarts from the recovery, as before). */
  readonly expiration: string | undefined;
}

const VERSION = 1;
// version, priority, body size (float64: bodies may exceed 4 GiB in principle), expiration length.
const FIXED_BYTES = 1 + 1 + 8 + 1;

/** The sealed index record of a message (message-record.ts envelope: format byte and CRC-32 first). */
export function encodeQueueIndex(facts: QueueIndexFacts): Buffer {
  const expiration = facts.expiration ?? '';
  const expirationBytes = Buffer.byteLength(expiration);
  const record = allocateMessageRecord(FIXED_BYTES + expirationBytes);
  const payload = messageRecordPayload(record);
  payload[0] = VERSION;
  payload[1] = facts.priority & 0xff;
  payload.writeDoubleBE(facts.bodySize, 2);
  // Absent and empty are the same to expiryFor (Number('') is 0 but an empty expiration is refused at publish).
  payload[10] = facts.expiration === undefined ? 0xff : expirationBytes;
  payload.write(expiration, FIXED_BYTES);
  return sealMessageRecord(record);
}

/** Decodes an index record the store verified; undefined when it is not one this version understands. */
export function decodeQueueIndex(record: Buffer): QueueIndexFacts | undefined {
  const payload = messageRecordPayload(record);
  if (payload.length < FIXED_BYTES || payload[0] !== VERSION) return undefined;
  const bodySize = payload.readDoubleBE(2);
  if (!Number.isSafeInteger(bodySize) || bodySize < 0) return undefined;
  const length = payload[10]!;
  if (length !== 0xff && payload.length !== FIXED_BYTES + length) return undefined;
  const expiration = length === 0xff ? undefined : payload.toString('utf8', FIXED_BYTES, FIXED_BYTES + length);
  return { bodySize, priority: payload[1]!, expiration };
}
