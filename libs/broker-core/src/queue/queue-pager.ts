import { Message, type QueueEntry } from './message.js';

/** How much of a queue's ready backlog keeps its bodies in memory; the rest is paged to the store. */
export interface QueueWindow {
  /** Ready messages with bodies in memory (`x-max-in-memory-length`). */
  readonly messages: number;
  /** Body bytes of those (`x-max-in-memory-bytes`). */
  readonly bytes: number;
  /**
   * The message count past which transient bodies are spilled; `messages` when the queue sets
   * `x-max-in-memory-length` (or is lazy), else unlimited, so only `bytes` spills them. Spilling costs a write and a
   * read per message, where paging a stored body costs only the read, and a small body saves little more memory
   * than its queue entry keeps (docs/RELIABILITY.md, "Queues bigger than memory").
   */
  readonly transientMessages?: number;
}

/** The window of a queue that sets neither argument: a few MiB per queue, however deep it grows. */
export const DEFAULT_QUEUE_WINDOW: QueueWindow = Object.freeze({ messages: 1_000, bytes: 8 * 1024 * 1024 });

/**
 * Reads the bodies of paged-out entries back, one result per entry in order (undefined: gone from the store):
 * stored messages through MessageStore.read, spilled transient ones through MessageStore.readSpilled.
 */
export type PageReader = (entries: QueueEntry[]) => Promise<Array<{ readonly data: Buffer } | undefined>>;

// A read-ahead is one batched store read: small enough to come back in a few ms, big enough to amortize the
// round trip even for a window of 0 (lazy queues keep this many loaded ahead of their consumers).
const MIN_READ_BATCH = 64;
const MAX_READ_BATCH = 1_000;
const MIN_READ_BYTES = 256 * 1024;

/**
 * The in-memory window of one queue: counts loaded and paged-out ready entries, drops bodies of durable entries
 * beyond the window, and reads them back ahead of the consumers in batches.
 *
 * @remarks
 * Persistent messages of store-backed queues are paged once their enqueue resolved (the store holds them);
 * other messages once their body was spilled to the store's transient range (queue-spill.ts). Nothing awaits per message: `readAhead` starts one batched read and calls back when it is done,
 * and the queue delivers what is loaded meanwhile. Paging happens at the tail (the newest entries), so in a FIFO
 * queue the loaded entries are a prefix and reads continue from where it ends.
 */
export class QueuePager {
  /**
   * Broker-wide memory pressure (set by the broker's resource check, below the memory alarm): while set, every new
   * entry of every queue pages out as soon as the store holds it, whatever its window.
   */
  static isUnderMemoryPressure = false;

  /** Ready entries with their bodies in memory, and those bodies' bytes. */
  loadedCount = 0;
  loadedBytes = 0;
  /** Ready entries paged out. */
  pagedCount = 0;
  /** Ready messages held in tail segments, with no entry (lazy-ready-list.ts). */
  tailCount = 0;
  /** Ready entries past the window still waiting for their enqueue to resolve (`pageWhenStored`). */
  private markedCount = 0;
  /** Their body bytes: in memory until stored, yet not ahead of the consumers in the window's sense. */
  private markedBytes = 0;
  private isReading = false;

  constructor(readonly window: QueueWindow) {}

  /** An entry entered the ready list (publish, restore, requeue). */
  entered(entry: QueueEntry): void {
    entry.isReady = true;
    if (entry.isPagedOut) this.pagedCount++;
    else {
      this.loadedCount++;
      this.loadedBytes += entry.size;
    }
  }

  /**
   * A new persistent entry of a store-backed queue was appended: decides, in publish order, whether it lies past
   * the window (so the loaded entries are the oldest). It is paged out once the store holds it (`pageOut`).
   * Returns whether it did (the queue then spills a transient body: queue-spill.ts).
   */
  admit(entry: QueueEntry, isSpill = false): boolean {
    const window = this.window;
    if (
      QueuePager.isUnderMemoryPressure ||
      this.pagedCount + this.markedCount + this.tailCount > 0 ||
      this.loadedCount > (isSpill ? (window.transientMessages ?? Infinity) : window.messages) ||
      this.loadedBytes > window.bytes
    ) {
      entry.pageWhenStored = true;
      this.markedCount++;
      this.markedBytes += entry.size;
      return true;
    }
    return false;
  }

  /** An entry left the ready list (delivered, dropped, purged); a read in flight for it is then ignored. */
  left(entry: QueueEntry): void {
    entry.isReady = false;
    if (entry.pageWhenStored) {
      entry.pageWhenStored = false;
      this.markedCount--;
      this.markedBytes -= entry.size;
    }
    if (entry.isPagedOut) this.pagedCount--;
    else {
      this.loadedCount--;
      this.loadedBytes -= entry.size;
    }
  }

  /** A paged-out entry joined a tail segment: it is no longer a ready entry, its message is counted in the tail. */
  collapsed(entry: QueueEntry): void {
    entry.isReady = false;
    this.pagedCount--;
    this.tailCount++;
  }

  /** How many tail messages one load reads (the same bounds as a body read-ahead). */
  get tailBatch(): number {
    return Math.min(MAX_READ_BATCH, Math.max(MIN_READ_BATCH, this.window.messages - this.aheadCount));
  }

  /**
   * How many messages of a stored tail segment one load reads together with their bodies: the tail batch, fewer
   * when that many of `averageBytes` would overrun the window's bytes. 0 (load index records, read bodies after)
   * when the average is unknown (a restored run's first batch) or not even a minimal batch fits.
   */
  tailBodiesBatch(averageBytes: number | undefined): number {
    if (averageBytes === undefined) return 0;
    const room = Math.max(MIN_READ_BYTES, this.window.bytes - this.aheadBytes);
    const count = Math.min(this.tailBatch, Math.floor(room / Math.max(1, averageBytes)));
    return count >= MIN_READ_BATCH ? count : 0;
  }

  /** A tail segment load is in flight (set) or done (cleared): one read at a time, like `readAhead`. */
  set tailLoading(isLoading: boolean) {
    this.isReading = isLoading;
  }

  /** The store holds `entry` durably: drops its body if `admit` put it past the window. Returns whether it did. */
  pageOut(entry: QueueEntry): boolean {
    if (!entry.pageWhenStored || !entry.isReady) return false;
    entry.pageWhenStored = false;
    this.markedCount--;
    this.markedBytes -= entry.size;
    this.loadedCount--;
    this.loadedBytes -= entry.size;
    this.pagedCount++;
    entry.isPagedOut = true;
    // The only place an entry loses its message: the QueueEntry contract says it is never handed out like this.
    entry.message = undefined as unknown as Message;
    return true;
  }

  /**
   * Loaded entries ahead of the consumers: the loaded ones minus those past the window still waiting for their
   * store write (they page out then; under a publish flood they would otherwise shrink every read to the minimum).
   */
  private get aheadCount(): number {
    return this.loadedCount - this.markedCount;
  }

  private get aheadBytes(): number {
    return this.loadedBytes - this.markedBytes;
  }

  /** Whether a read-ahead should start: paged entries wait and the loaded part drained below half the window. */
  get wantsRead(): boolean {
    if (this.pagedCount + this.tailCount === 0 || this.isReading) return false;
    const window = this.window;
    return this.aheadCount * 2 < Math.max(window.messages, MIN_READ_BATCH) && this.aheadBytes * 2 < Math.max(window.bytes, MIN_READ_BYTES);
  }

  /** True while a batch read is in flight. */
  get reading(): boolean {
    return this.isReading;
  }

  /**
   * Starts one batched read of the first paged entries in delivery order (`ready` iterates from the head), unless
   * one is in flight. `done` runs once the bodies are attached, with the entries the store no longer has (removed
   * behind the queue's back or quarantined as damaged): the queue drops those. `failed` gets a read error.
   */
  readAhead(ready: Iterable<QueueEntry>, read: PageReader, done: (lost: QueueEntry[]) => void, failed: (error: unknown) => void): void {
    if (this.isReading || this.pagedCount === 0) return;
    const window = this.window;
    const maxCount = Math.min(MAX_READ_BATCH, Math.max(MIN_READ_BATCH, window.messages - this.aheadCount));
    const maxBytes = Math.max(MIN_READ_BYTES, window.bytes - this.aheadBytes);
    const batch: QueueEntry[] = [];
    let bytes = 0;
    for (const entry of ready) {
      if (!entry.isPagedOut) continue;
      batch.push(entry);
      bytes += entry.size;
      if (batch.length >= maxCount || bytes >= maxBytes || batch.length === this.pagedCount) break;
    }
    if (batch.length === 0) return;
    this.isReading = true;
    read(batch).then(
      (messages) => {
        this.isReading = false;
        done(this.attach(batch, messages));
      },
      (error: unknown) => {
        this.isReading = false;
        failed(error);
      },
    );
  }

  /** Gives the read bodies back to the entries still waiting for them; returns those the store did not have. */
  private attach(batch: QueueEntry[], messages: Array<{ readonly data: Buffer } | undefined>): QueueEntry[] {
    const lost: QueueEntry[] = [];
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i]!;
      if (!entry.isReady || !entry.isPagedOut) continue;
      const stored = messages[i];
      if (stored === undefined) {
        lost.push(entry);
        continue;
      }
      entry.message = Message.fromStorage(stored.data, entry.isPersistent);
      entry.isPagedOut = false;
      this.pagedCount--;
      this.loadedCount++;
      this.loadedBytes += entry.size;
    }
    return lost;
  }
}
