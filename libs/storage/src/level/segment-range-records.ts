import { escapeQueueId, hex16, unescapeQueueId } from './level-keys.js';
import type { QueueRange } from './body-segment.js';

/**
 * The body log's segment records in LevelDB (body-log.ts): per segment and queue, the range of seqs the queue
 * appended there, `s!<segment, 16 hex>!<escaped queue id>` → `[lo double][hi double]`.
 */
export const SEGMENTS_PREFIX = 's!';

/** Key of one queue's range in one segment. */
export function segmentKey(segment: number, queueId: string): string {
  return `${SEGMENTS_PREFIX}${hex16(segment)}!${escapeQueueId(queueId)}`;
}

/** The segment and queue of a segment record's key; undefined when it is not one. */
export function parseSegmentKey(key: string): { segment: number; queueId: string } | undefined {
  const at = SEGMENTS_PREFIX.length;
  if (key.length < at + 17 || key[at + 16] !== '!') return undefined;
  const segment = parseInt(key.slice(at, at + 16), 16);
  return Number.isSafeInteger(segment) ? { segment, queueId: unescapeQueueId(key.slice(at + 17)) } : undefined;
}

/** The value of a segment record: the seq range, two big-endian doubles. */
export function encodeRange(range: QueueRange): Buffer {
  const value = Buffer.allocUnsafe(16);
  value.writeDoubleBE(range.lo, 0);
  value.writeDoubleBE(range.hi, 8);
  return value;
}

/** The range a segment record's value holds (not yet dirty); undefined when the value is not one. */
export function decodeRange(value: Buffer): QueueRange | undefined {
  return value.length === 16 ? { lo: value.readDoubleBE(0), hi: value.readDoubleBE(8), isDirty: false } : undefined;
}
