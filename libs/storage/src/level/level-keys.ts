/**
 * Key layout of the one LevelDB database behind a Warren data directory. Keys are UTF-8 strings and LevelDB
 * orders them bytewise, so each record family is a contiguous range:
 *
 * - `warren!format`                     store-format marker, checked at open
 * - `warren!epoch`                      commit epoch of the last synced batch (see commit-epoch.ts)
 * - `meta!<kind>!<key>`                 topology record (value opaque)
 * - `q!<queue>!meta`                    queue counters (see queue-counters.ts)
 * - `q!<queue>!d!<seq>`                 delivery count of a redelivered message (uint32), only for count ≥ 2
 * - `q!<queue>!i!<seq>`                 the message's index record (EnqueueEntry.index: a few dozen bytes the broker
 *                                       recovers its queue from without reading bodies), when one was given
 * - `q!<queue>!m!<seq>`                 message, value = the message record (format byte, CRC-32, message bytes)
 * - `q!<queue>!m!<seq>!<bodyId>`        message whose bytes live in a shared body (value empty)
 * - `b!<bodyId>`                        shared body, value = the message record
 * - `q!<queue>!m!<seq>` (17 bytes, 0x02) pointer to the message record in the body log (body-pointer.ts)
 * - `s!<segment>!<queue>`               seq range the queue appended to body-log segment `<segment>` (body-log.ts)
 * - `t!<queue>!<seq>`                   spilled transient body of older versions, wiped at open
 *
 * `<queue>` is the queue id with `%` and `!` percent-escaped: without that, queue `a` would own the key range of
 * queue `a!m`. `<seq>` and `<bodyId>` are 16 lower-case hex digits so key order is numeric order.
 */

/** Marker record key; its absence in a non-empty database means "not a Warren store". */
export const FORMAT_KEY = 'warren!format';
/**
 * Marker value of this layout; bump on incompatible changes. Format 2 added message checksums (message-record.ts)
 * and version-2 counters; format 3 body-log pointers (body-pointer.ts) and segment records (`s!`). Stores of
 * formats 1 and 2 are upgraded in place at open (their records are read as they are); the new marker keeps an older
 * Warren, which would misread the new records, from opening the store.
 */
export const FORMAT_VALUE = 'warren-storage/3';
/** Marker value of stores written before the body log; still opened (and upgraded). */
export const FORMAT_VALUE_V2 = 'warren-storage/2';
/** Marker value of stores written before message checksums; still opened (and upgraded). */
export const FORMAT_VALUE_V1 = 'warren-storage/1';
/** Commit-epoch record key, put into every synced batch (commit-epoch.ts); absent in a store never synced. */
export const EPOCH_KEY = 'warren!epoch';

/** One past the last key starting with `prefix` (whose last char is `!`): `!` + 1 is `"`. */
export function rangeEnd(prefix: string): string {
  return prefix.slice(0, -1) + '"';
}

/** Escapes a queue id so it contains no `!`. */
export function escapeQueueId(queueId: string): string {
  // Fast path: real queue ids almost never contain either character.
  if (!queueId.includes('%') && !queueId.includes('!')) return queueId;
  return queueId.replaceAll('%', '%25').replaceAll('!', '%21');
}

/** Inverse of {@link escapeQueueId}. */
export function unescapeQueueId(escaped: string): string {
  if (!escaped.includes('%')) return escaped;
  return escaped.replaceAll('%21', '!').replaceAll('%25', '%');
}

/** 16 hex digits; seqs and body ids are safe integers (< 2^53), so 14 would do, 16 keeps room. */
export function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** Prefix of everything belonging to one queue. */
export function queuePrefix(queueId: string): string {
  return `q!${escapeQueueId(queueId)}!`;
}

/** Range of all queue records. */
export const QUEUES_PREFIX = 'q!';
/** Range of all shared bodies. */
export const BODIES_PREFIX = 'b!';
/** Range of transient bodies older versions spilled into LevelDB (level-spill.ts wipes them at open). */
export const SPILL_PREFIX = 't!';
/** Range of all topology records. */
export const METADATA_PREFIX = 'meta!';

/** Infix after the queue prefix for messages. */
export const MESSAGE_INFIX = 'm!';
/** Infix after the queue prefix for index records. */
export const INDEX_INFIX = 'i!';
/** Infix after the queue prefix for delivery counts. */
export const DELIVERY_INFIX = 'd!';
/** Suffix after the queue prefix for counters. */
export const COUNTERS_SUFFIX = 'meta';

/** Key of a shared body. */
export function bodyKey(bodyId: number): string {
  return BODIES_PREFIX + hex16(bodyId);
}

/** Key of a topology record; the key itself needs no escaping because it is the last component. */
export function metadataKey(kind: string, key: string): string {
  return `${METADATA_PREFIX}${kind}!${key}`;
}

/** What a key under `q!` is. */
export type ParsedQueueKey =
  | { readonly kind: 'message'; readonly queueId: string; readonly seq: number; readonly bodyId?: number }
  | { readonly kind: 'delivery'; readonly queueId: string; readonly seq: number }
  | { readonly kind: 'index'; readonly queueId: string; readonly seq: number }
  | { readonly kind: 'counters'; readonly queueId: string }
  | { readonly kind: 'unknown'; readonly key: string };

const HEX16 = /^[0-9a-f]{16}$/;

/** Parses a key under `q!`; used by the start-up scan and the integrity check, never per message at runtime. */
export function parseQueueKey(key: string): ParsedQueueKey {
  const end = key.indexOf('!', 2);
  if (!key.startsWith(QUEUES_PREFIX) || end < 0) return { kind: 'unknown', key };
  const queueId = unescapeQueueId(key.slice(2, end));
  const rest = key.slice(end + 1);
  if (rest === COUNTERS_SUFFIX) return { kind: 'counters', queueId };
  const seqHex = rest.slice(2, 18);
  if (rest.length < 18 || !HEX16.test(seqHex)) return { kind: 'unknown', key };
  const seq = parseInt(seqHex, 16);
  if (rest.startsWith(DELIVERY_INFIX) && rest.length === 18) return { kind: 'delivery', queueId, seq };
  if (rest.startsWith(INDEX_INFIX) && rest.length === 18) return { kind: 'index', queueId, seq };
  if (!rest.startsWith(MESSAGE_INFIX)) return { kind: 'unknown', key };
  if (rest.length === 18) return { kind: 'message', queueId, seq };
  const bodyHex = rest.slice(19);
  if (rest[18] !== '!' || !HEX16.test(bodyHex)) return { kind: 'unknown', key };
  return { kind: 'message', queueId, seq, bodyId: parseInt(bodyHex, 16) };
}
