import type { ReadIndexOptions, StoredIndexEntry } from '@app/storage';
import { Message, type QueueEntry } from './message.js';
import { decodeQueueIndex } from './queue-index-record.js';
import { newQueueEntry, pagedQueueEntry } from './queue-entry.js';
import type { TailSegment } from './lazy-ready-list.js';

const WITH_BODIES: ReadIndexOptions = Object.freeze({ withBodies: true });

/** One loaded batch of a tail segment (LazyFifoReadyList.loaded takes it as it is). */
export interface TailBatch {
  /** New ready entries in seq order: paged out (stored runs: their bodies are read next) or loaded (spilled runs). */
  readonly entries: QueueEntry[];
  /** Messages of the segment this batch accounts for (loaded, or gone from the store). */
  readonly consumed: number;
  /** The segment's cursor after the batch. */
  readonly nextSeq: number;
  /** The store has nothing more for the segment: whatever it still counts is gone. */
  readonly isExhausted: boolean;
}

/** What the loader reads with (the queue's storage and spill, and its TTL rule). */
export interface TailLoaderPorts {
  readonly storageId: string;
  readIndex?(queueId: string, fromSeq: number, limit: number, options?: ReadIndexOptions): Promise<StoredIndexEntry[]>;
  readSpilled?(seqs: number[]): Promise<Array<Buffer | undefined>>;
  /** When a message with this `expiration` expires (0: never), for a run restored at `restoredAt`. */
  expiresAt(expiration: string | undefined, restoredAt: number): number;
}

/**
 * Loads the next batch of a tail segment, `limit` messages at most: a stored run reads its next index records
 * (MessageStore.readIndex: one batched read, then the pager reads their bodies like any paged-out entry's), or
 * with `withBodies` its records where the store reads them in the same pass (loaded entries, no second read); a
 * spilled run reads its next bodies from the transient range (its seqs are contiguous, so no index is needed).
 */
export async function loadTailBatch(segment: TailSegment, limit: number, ports: TailLoaderPorts, withBodies = false): Promise<TailBatch> {
  if (segment.kind === 'spilled') {
    const count = Math.max(1, Math.min(limit, segment.lastSeq - segment.seq + 1));
    const seqs = Array.from({ length: count }, (_, i) => segment.seq + i);
    const bodies = (await ports.readSpilled?.(seqs)) ?? [];
    const entries: QueueEntry[] = [];
    for (let i = 0; i < count; i++) {
      const data = bodies[i];
      // Not there (the store faulted while writing it): gone, like a transient message at a restart.
      if (data !== undefined) entries.push(newQueueEntry(Message.fromStorage(data, segment.isPersistent), seqs[i]!, false, 0, 0));
    }
    return { entries, consumed: count, nextSeq: segment.seq + count, isExhausted: false };
  }
  const asked = Math.max(1, Math.min(limit, segment.count));
  const stored = (await ports.readIndex?.(ports.storageId, segment.seq, asked, withBodies ? WITH_BODIES : undefined)) ?? [];
  const entries: QueueEntry[] = [];
  let nextSeq = segment.seq;
  let isExhausted = stored.length < asked;
  for (const item of stored) {
    if (item.seq > segment.lastSeq) {
      isExhausted = true;
      break;
    }
    nextSeq = item.seq + 1;
    entries.push(entryOf(item, segment, ports));
  }
  return { entries, consumed: entries.length, nextSeq, isExhausted };
}

function entryOf(item: StoredIndexEntry, segment: TailSegment, ports: TailLoaderPorts): QueueEntry {
  // Runs built at run time hold fresh messages; only a recovered one carries the store's delivery flags.
  const redelivered = segment.restoredAt > 0 && item.mayHaveBeenDelivered;
  const facts = item.index && decodeQueueIndex(item.index);
  if (facts !== undefined) {
    return pagedQueueEntry(item.seq, redelivered, 0, ports.expiresAt(facts.expiration, segment.restoredAt), facts.bodySize);
  }
  if (item.data !== undefined) {
    const message = Message.fromStorage(item.data, segment.isPersistent);
    return newQueueEntry(message, item.seq, redelivered, 0, ports.expiresAt(message.expiration, segment.restoredAt));
  }
  // An index record of an unknown version (written by a newer broker): its body, read next, is the truth.
  return pagedQueueEntry(item.seq, redelivered, 0, 0, 0);
}
