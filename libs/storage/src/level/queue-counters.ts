import { StorageError } from '../storage-error.js';

/**
 * Per-queue counters, written in the same batch as the messages they count, so that a recount at start-up can
 * detect records LevelDB lost without telling us (a truncated or bit-flipped WAL).
 */
export interface QueueCounters {
  /** One above the highest seq ever enqueued. */
  nextSeq: number;
  /** Messages ever enqueued. */
  enqueued: number;
  /** Messages ever removed (only live ones count, so `enqueued − removed` = messages stored). */
  removed: number;
  /**
   * Delivered-up-to watermark, −1 if none: every stored seq ≤ this may have been delivered. Reserved ahead of the
   * deliveries (coverDelivery), lowered to the exact highest delivered seq at a clean close.
   */
  deliveredHwm: number;
  /**
   * First seq whose record carries a checksum (message-record.ts): 0 for queues created since, the `nextSeq` of
   * the time for a queue written by a store of format 1 (its older records are read as they are). −1 while unknown
   * (a version-1 record just decoded: the scan fills it in).
   */
  checksumFromSeq: number;
}

const LAYOUT_VERSION = 2;
// version byte + 5 float64: a fixed binary layout, because JSON on every batch would cost a parse/stringify per
// touched queue and make the record size vary.
const ENCODED_BYTES = 1 + 5 * 8;
// Version 1 (format warren-storage/1): the same without checksumFromSeq.
const V1_BYTES = 1 + 4 * 8;

/** Fresh counters for a queue the store has not seen. */
export function emptyCounters(): QueueCounters {
  return { nextSeq: 0, enqueued: 0, removed: 0, deliveredHwm: -1, checksumFromSeq: 0 };
}

/** Encodes counters into their 41-byte record. */
export function encodeCounters(counters: QueueCounters): Buffer {
  const buf = Buffer.allocUnsafe(ENCODED_BYTES);
  buf[0] = LAYOUT_VERSION;
  buf.writeDoubleBE(counters.nextSeq, 1);
  buf.writeDoubleBE(counters.enqueued, 9);
  buf.writeDoubleBE(counters.removed, 17);
  buf.writeDoubleBE(counters.deliveredHwm, 25);
  buf.writeDoubleBE(counters.checksumFromSeq, 33);
  return buf;
}

/** Decodes a counters record (this version or version 1); throws StorageError `CORRUPTED` if it is not one. */
export function decodeCounters(buf: Uint8Array, queueId: string): QueueCounters {
  const isV1 = buf.length === V1_BYTES && buf[0] === 1;
  if (!isV1 && (buf.length !== ENCODED_BYTES || buf[0] !== LAYOUT_VERSION)) {
    throw new StorageError('CORRUPTED', `storage: counters of queue "${queueId}" are unreadable`);
  }
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const counters = {
    nextSeq: view.readDoubleBE(1),
    enqueued: view.readDoubleBE(9),
    removed: view.readDoubleBE(17),
    deliveredHwm: view.readDoubleBE(25),
    checksumFromSeq: isV1 ? -1 : view.readDoubleBE(33),
  };
  if (!Object.values(counters).every(Number.isSafeInteger)) {
    throw new StorageError('CORRUPTED', `storage: counters of queue "${queueId}" hold non-integers`);
  }
  return counters;
}

/** Encodes a delivery count record (uint32 BE). */
export function encodeDeliveryCount(count: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf.writeUInt32BE(Math.min(count, 0xffffffff), 0);
  return buf;
}

/** Decodes a delivery count record; undefined if it is not one. */
export function decodeDeliveryCount(buf: Uint8Array): number | undefined {
  if (buf.length !== 4) return undefined;
  return Buffer.from(buf.buffer, buf.byteOffset, 4).readUInt32BE(0);
}
