import type { EnqueueEntry } from '@app/storage';
import type { QueueEntry } from './message.js';

/**
 * Where a queue pages bodies that must not survive a restart (a thin view of MessageStore.spill/readSpilled/
 * dropSpilled, so the queue does not depend on a backend).
 */
export interface QueueSpillStore {
  spill(entries: EnqueueEntry[]): Promise<void>;
  readSpilled(queueId: string, seqs: readonly number[]): Promise<Array<Buffer | undefined>>;
  /** Fire-and-forget: a record left behind is wiped at the next start. */
  dropSpilled(queueId: string, seqs: readonly number[]): void;
}

// Spill ids are unique per queue object: a queue deleted and declared again under the same name starts its seqs
// over, and must not meet records of its predecessor that are still being dropped.
let nextIncarnation = 0;

/**
 * Transient paging for one queue: bodies past the in-memory window that the store does not hold durably
 * (transient messages, messages of non-durable queues) are written to the store's transient range and dropped from
 * the heap once written; they are read back ahead of consumers like stored bodies, and gone after a restart.
 *
 * @remarks
 * Writes and drops of one turn go out as one store call each (a microtask), never one per message; nothing awaits.
 * A spilled record is dropped when its body is read back, when its entry leaves the queue for good, or (entries
 * that were delivered before their body left memory) when the entry leaves the ready list.
 */
export class QueueSpill {
  /** The queue's key in the store's transient range. */
  readonly spillId: string;
  private toWrite: QueueEntry[] = [];
  private toDrop: number[] = [];
  private isFlushQueued = false;

  constructor(
    storageId: string,
    private readonly store: QueueSpillStore,
    /** The spilled body of `entry` is written: page it out (QueuePager.pageOut). */
    private readonly written: (entry: QueueEntry) => void,
  ) {
    this.spillId = `${storageId}#${nextIncarnation++}`;
  }

  /** `entry` was admitted past the window (`pageWhenStored`): write its body to the transient range. */
  write(entry: QueueEntry): void {
    this.toWrite.push(entry);
    this.queueFlush();
  }

  /** The transient record of `entry` is no longer needed (or never will be). */
  drop(seq: number): void {
    this.toDrop.push(seq);
    this.queueFlush();
  }

  /** Reads spilled bodies back (one store read); their records are dropped, the bodies now live in memory. */
  read(seqs: number[]): Promise<Array<Buffer | undefined>> {
    return this.store.readSpilled(this.spillId, seqs).then((values) => {
      for (const seq of seqs) this.toDrop.push(seq);
      this.queueFlush();
      return values;
    });
  }

  private queueFlush(): void {
    if (this.isFlushQueued) return;
    this.isFlushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.isFlushQueued = false;
    // Entries that left (or were delivered) before this turn ended need no record.
    const entries = this.toWrite.filter((entry) => entry.isReady && entry.pageWhenStored);
    this.toWrite = [];
    if (entries.length > 0) {
      const spillId = this.spillId;
      const records: EnqueueEntry[] = entries.map((entry) => ({ queueId: spillId, seq: entry.seq, data: entry.message.storageData }));
      this.store.spill(records).then(
        () => {
          for (const entry of entries) this.written(entry);
        },
        // Not written (store faulted): the bodies stay in memory; the memory alarm remains the last resort.
        () => undefined,
      );
    }
    if (this.toDrop.length > 0) {
      this.store.dropSpilled(this.spillId, this.toDrop);
      this.toDrop = [];
    }
  }
}
