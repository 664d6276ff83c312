import { checkMessageRecord } from '../message-record.js';
import type { StoredIndexEntry } from '../message-store.js';
import type { WarrenLevel } from './level-database.js';
import { fromLevelError } from './level-errors.js';
import { rangeEnd } from './level-keys.js';
import { readSeqValues } from './level-seq-read.js';
import { readMessages } from './level-message-reader.js';
import { readQueue } from './level-queue-reader.js';
import type { LevelQueueState } from './level-queue-state.js';
import type { SharedBodyRegistry } from './shared-body-registry.js';
import type { BodyLog } from './body-log.js';

// Index records are a few dozen bytes: a bigger step than the body reader's, still bounded per step.
const READ_CHUNK = 5_000;

/** Swallows the rejection of a read-ahead that is abandoned (early break, error). */
const ignore = (): undefined => undefined;

/**
 * Streams one queue's index records (`q!<queue>!i!<seq>`) in seq order for recoverIndex(): the small values only,
 * never the bodies. A live seq whose index record fails its checksum comes back with its full record instead (read
 * with one getMany per step, checked and quarantined like recover() does). A queue holding messages stored without
 * index records (by a version before them) is streamed by the body reader instead, once: the records it yields
 * carry `data`.
 */
export async function* readQueueIndex(
  db: WarrenLevel,
  state: LevelQueueState,
  bodies: SharedBodyRegistry,
  log: BodyLog,
  path: string,
  quarantine: (seq: number, reason: string) => void,
): AsyncGenerator<StoredIndexEntry> {
  if (state.indexed.size < state.live.size) {
    yield* readQueue(db, state, bodies, log, path, quarantine);
    return;
  }
  const { queueId, indexPrefix: prefix } = state;
  const iterator = db.iterator({ gte: prefix, lt: rangeEnd(prefix) });
  let pending: Promise<Array<[string, Buffer]>> | undefined = iterator.nextv(READ_CHUNK);
  try {
    for (;;) {
      const entries = await pending!;
      pending = undefined;
      if (entries.length === 0) return;
      pending = iterator.nextv(READ_CHUNK);
      const out: Array<StoredIndexEntry | number> = [];
      const damaged: number[] = [];
      for (const [key, value] of entries) {
        const seq = parseInt(key.slice(prefix.length), 16);
        if (!state.live.has(seq) || state.quarantined?.has(seq)) continue;
        if (checkMessageRecord(value) !== undefined) {
          damaged.push(seq);
          out.push(seq);
          continue;
        }
        const deliveryCount = state.deliveryCountOf(seq);
        out.push({ queueId, seq, index: value, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 });
      }
      // A damaged index record costs one body read: the message itself may be intact.
      const repaired = new Map<number, StoredIndexEntry>();
      if (damaged.length > 0) {
        const { messages } = await readMessages(db, state, bodies, log, damaged, quarantine);
        messages.forEach((message, i) => message && repaired.set(damaged[i]!, message));
      }
      for (const item of out) {
        if (typeof item !== 'number') yield item;
        else if (repaired.has(item)) yield repaired.get(item)!;
      }
    }
  } catch (error) {
    throw fromLevelError(error, 'cannot read', path);
  } finally {
    if (pending) await pending.then(ignore, ignore);
    await iterator.close();
  }
}

/**
 * One batch of a queue's index records for readIndex(): the first `limit` live seqs ≥ `fromSeq` (from the in-memory
 * live set, no key scan), their index records with one iterator or getMany (level-seq-read.ts), and (no intact index record: stored by an older
 * version, or damaged) their full records with one more, checked and quarantined like recover() does. The caller
 * flushed accepted writes first, so every live seq asked for is on disk.
 *
 * With `withBodies`, the full records instead of the index records (readMessages: the pointers with one iterator,
 * then the body log): the caller would read them next anyway, and this spares the index iterator, its value per
 * message and a round trip (docs/BENCHMARKS.md, "Tail loads with their bodies").
 */
export async function readIndexBatch(
  db: WarrenLevel,
  state: LevelQueueState,
  bodies: SharedBodyRegistry,
  log: BodyLog,
  fromSeq: number,
  limit: number,
  quarantine: (seq: number, reason: string) => void,
  withBodies = false,
): Promise<StoredIndexEntry[]> {
  const out: StoredIndexEntry[] = [];
  // Quarantined seqs are skipped, so ask again until `limit` or the end (quarantined ones are rare).
  for (let from = fromSeq; out.length < limit;) {
    const batch = state.live.from(from, limit - out.length);
    const last = batch.at(-1);
    if (last === undefined) break;
    const seqs = batch.filter((seq) => !state.quarantined?.has(seq));
    from = last + 1;
    if (seqs.length === 0) continue;
    const found = new Map<number, StoredIndexEntry>();
    if (withBodies) {
      const { messages, notYetWritten } = await readMessages(db, state, bodies, log, seqs, quarantine);
      messages.forEach((message, i) => message && found.set(seqs[i]!, message));
      // No record (its group not written yet, or the record missing): its index record, as without bodies; the
      // queue then reads the body with read(), which reports a missing record rather than passing over it.
      const missing = notYetWritten.map((i) => seqs[i]!);
      if (missing.length > 0) await readIndexRecords(db, state, missing, found);
    } else {
      const fallback = await readIndexRecords(db, state, seqs, found);
      if (fallback.length > 0) {
        const { messages } = await readMessages(db, state, bodies, log, fallback, quarantine);
        messages.forEach((message, i) => message && found.set(fallback[i]!, message));
      }
    }
    // Removed while the read was in flight: as if it had never been stored.
    for (const seq of seqs) if (found.has(seq) && state.live.has(seq)) out.push(found.get(seq)!);
  }
  return out;
}

/** Puts the intact index records of `seqs` into `found`; returns the seqs without one (absent or damaged). */
async function readIndexRecords(
  db: WarrenLevel,
  state: LevelQueueState,
  seqs: number[],
  found: Map<number, StoredIndexEntry>,
): Promise<number[]> {
  const values = await readSeqValues(db, state.indexPrefix, seqs);
  const without: number[] = [];
  for (let i = 0; i < seqs.length; i++) {
    const seq = seqs[i]!;
    const value = values[i];
    if (value === undefined || checkMessageRecord(value) !== undefined) {
      without.push(seq);
      continue;
    }
    const deliveryCount = state.deliveryCountOf(seq);
    found.set(seq, { queueId: state.queueId, seq, index: value, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 });
  }
  return without;
}
