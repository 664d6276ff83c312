import type { QueuePolicy } from './queue-arguments.js';
import type { QueueBodies } from './queue-bodies.js';
import type { QueueStorage } from './queue-ports.js';
import type { TailBatch } from './queue-tail-loader.js';
import { LazyFifoReadyList, type TailSegment } from './lazy-ready-list.js';

// Removals of a purged tail segment go out in slices: one store call each, never one array of millions of seqs.
const REMOVE_SLICE = 50_000;

/**
 * The tail bookkeeping of a queue that keeps its paged-out tail as segments (lazy-ready-list.ts): which messages
 * may join a segment, the restore of a queue from its counters, the loaded batches (with the byte estimate of a
 * restored run) and purging segments from the store.
 */
export class QueueTail {
  /** The queue's ready list. */
  readonly list: LazyFifoReadyList;

  /**
   * Whether a queue keeps its paged-out tail as segments: a FIFO queue whose messages leave only from the head.
   * Priority queues, a queue TTL and drop-head length limits keep an entry per message (they need each message's
   * priority, enqueue time or size at hand); docs/RELIABILITY.md lists them.
   */
  static isFor(policy: QueuePolicy): boolean {
    const hasLimit = policy.maxLength !== undefined || policy.maxLengthBytes !== undefined;
    return !policy.maxPriority && policy.messageTtl === undefined && !(hasLimit && policy.overflow === 'drop-head');
  }

  constructor(private readonly bodies: () => QueueBodies) {
    this.list = new LazyFifoReadyList(
      // Fresh messages without a TTL only: a segment keeps no per-message facts.
      (entry) =>
        entry.expiresAt === 0 && !entry.redelivered && entry.deliveryCount === 0
          ? this.bodies().isStored(entry)
            ? 'stored'
            : 'spilled'
          : undefined,
      (entry) => this.bodies().pager.collapsed(entry),
    );
  }

  /** Appends a queue's stored messages at start-up from its counters alone, as one restored segment. */
  restore(count: number, lastSeq: number): void {
    this.list.appendRestored(count, 0, lastSeq, Date.now());
    this.bodies().pager.tailCount = this.list.tailCount;
  }

  /**
   * A batch of `segment` was loaded: its entries go before it in the ready list, counted by the pager. Returns the
   * change to the queue's byte count (a restored run's estimate when its first batch tells the average size, and
   * the estimate's error when the run ends).
   */
  loaded(segment: TailSegment, batch: TailBatch): number {
    if (segment.isGone) return 0;
    let delta = 0;
    if (segment.bytesEstimated && batch.entries.length > 0) {
      let bytes = 0;
      for (const entry of batch.entries) bytes += entry.size;
      segment.bytes = Math.round((bytes / batch.entries.length) * segment.count);
      delta += segment.bytes;
    }
    segment.bytesEstimated = false;
    delta -= this.list.loaded(segment, batch.entries, batch.consumed, batch.nextSeq, batch.isExhausted);
    const pager = this.bodies().pager;
    pager.tailCount = this.list.tailCount;
    for (const entry of batch.entries) pager.entered(entry);
    return delta;
  }

  /**
   * Purges the segments (queue.purge, delete): their stored messages are removed by seq range (seqs the store does
   * not hold are ignored), their spilled records dropped. Returns how many messages they held.
   */
  purge(storage: QueueStorage | undefined, storageId: string): number {
    let purged = 0;
    for (const segment of this.list.takeSegments()) {
      purged += segment.count;
      if (segment.kind === 'spilled') this.bodies().purgedSpilled(segment);
      else if (storage) {
        for (let start = segment.seq; start <= segment.lastSeq; start += REMOVE_SLICE) {
          const end = Math.min(segment.lastSeq, start + REMOVE_SLICE - 1);
          storage.remove(
            storageId,
            Array.from({ length: end - start + 1 }, (_, i) => start + i),
          );
        }
      }
    }
    this.bodies().pager.tailCount = 0;
    return purged;
  }
}
