import { reportToStderr, runGuarded } from '../background-task.js';
import type { QueueEntry } from './message.js';
import { QueuePager, type QueueWindow } from './queue-pager.js';
import type { QueueHooks, QueueStorage } from './queue-ports.js';
import { QueueSpill, type QueueSpillStore } from './queue-spill.js';
import type { TailSegment } from './lazy-ready-list.js';
import type { QueueBacklog } from './queue-backlog.js';
import type { QueueMessageTtl } from './queue-message-ttl.js';
import { loadTailBatch } from './queue-tail-loader.js';

// A failed page read (store faulted) is retried after this long, so consumers of a paged queue resume by themselves.
const READ_RETRY_MS = 1_000;

/** What {@link QueueBodies} reads from its queue (the Queue itself). */
export interface QueueBodiesHost {
  readonly name: string;
  readonly storageId: string;
  /** Where its persistent messages are stored and read back (none for shared queues: see Queue.messageStore). */
  readonly messageStore?: QueueStorage;
  readonly isDeleted: boolean;
  readonly hooks?: QueueHooks;
  dispatch(): void;
}

/**
 * Where a queue's ready bodies are: the in-memory window (queue-pager.ts), stored persistent bodies read back from
 * the store, transient ones spilled to its transient range (queue-spill.ts), the read-ahead with its retry after a
 * failed read, and the `basic.get` callers waiting for the head. The queue tells it when entries enter and leave.
 */
export class QueueBodies {
  /** Counts loaded and paged-out ready entries and decides what pages out. */
  readonly pager: QueuePager;
  private spill?: QueueSpill;
  private readRetryTimer?: NodeJS.Timeout;
  /** `headLoaded()` callers waiting for the read in flight. */
  private headWaiters: Array<() => void> | undefined;
  /**
   * The queue's ready list (read-ahead picks the first paged-out entries in delivery order; tail segments) and its
   * message TTL (deadlines of loaded tail entries). Built after the bodies, which they count entries through, so
   * set once by `attach`: plain fields, read per page-out without a call.
   */
  private backlog!: QueueBacklog;
  private ttl!: QueueMessageTtl;

  constructor(
    private readonly host: QueueBodiesHost,
    window: QueueWindow,
    /** A read-ahead attached its bodies; `lost` are the entries the store no longer has (drop them). */
    private readonly loaded: (lost: QueueEntry[]) => void,
  ) {
    this.pager = new QueuePager(window);
  }

  /** Completes the wiring with the queue's ready list and message TTL (the queue's constructor, once). */
  attach(backlog: QueueBacklog, ttl: QueueMessageTtl): void {
    this.backlog = backlog;
    this.ttl = ttl;
  }

  /** Lets bodies the store does not hold durably page out too (transient paging). */
  attachSpill(store: QueueSpillStore): void {
    this.spill = new QueueSpill(this.host.storageId, store, (entry) => {
      if (this.pager.pageOut(entry)) this.backlog.pagedOut();
    });
  }

  /** Whether the store holds `entry` durably (a persistent message of a store-backed queue). */
  isStored(entry: QueueEntry): boolean {
    return this.host.messageStore !== undefined && entry.isPersistent;
  }

  /** A new entry was appended: past the window, a stored one pages out once stored, another is spilled now. */
  entered(entry: QueueEntry): void {
    this.pager.entered(entry);
    if (this.isStored(entry)) this.pager.admit(entry);
    else if (this.spill && !this.host.isDeleted && this.pager.admit(entry, true)) this.spill.write(entry);
  }

  /**
   * An entry left the ready list. With its body still in memory a transient record written (or being written) for
   * it is not needed; a paged-out one keeps its record until `forgotten` (a dead letter reads it first).
   */
  left(entry: QueueEntry): void {
    if (entry.pageWhenStored && this.spill && !this.isStored(entry)) this.spill.drop(entry.seq);
    this.pager.left(entry);
  }

  /** An entry was purged from the ready list: nothing will read its transient record. */
  purged(entry: QueueEntry): void {
    if (this.spill && (entry.isPagedOut || entry.pageWhenStored) && !this.isStored(entry)) this.spill.drop(entry.seq);
    this.pager.left(entry);
  }

  /** A spilled tail segment was purged: nothing will read its transient records. */
  purgedSpilled(segment: TailSegment): void {
    for (let seq = segment.seq; seq <= segment.lastSeq; seq++) this.spill?.drop(seq);
  }

  /** A message left the queue for good: its transient record, if its body was still paged out, goes. */
  forgotten(entry: QueueEntry): void {
    if (entry.isPagedOut && !this.isStored(entry)) this.spill?.drop(entry.seq);
  }

  /** Reads paged-out bodies back: stored ones and spilled transient ones, one store read each. */
  read(entries: QueueEntry[]): Promise<Array<{ readonly data: Buffer } | undefined>> {
    const stored: number[] = [];
    const spilled: number[] = [];
    for (const entry of entries) (this.isStored(entry) ? stored : spilled).push(entry.seq);
    const storedRead = stored.length > 0 ? this.host.messageStore!.read(this.host.storageId, stored) : undefined;
    const spilledRead = spilled.length > 0 && this.spill ? this.spill.read(spilled) : undefined;
    return Promise.all([storedRead, spilledRead]).then(([storedMessages, spilledData]) => {
      let s = 0;
      let t = 0;
      return entries.map((entry) => {
        if (this.isStored(entry)) return storedMessages?.[s++];
        const data = spilledData?.[t++];
        return data && { data };
      });
    });
  }

  /** See Queue.headLoaded. */
  headLoaded(head: QueueEntry | undefined): Promise<void> | undefined {
    if (!head?.isPagedOut || this.host.isDeleted || this.readRetryTimer) return undefined;
    this.readAhead();
    return new Promise<void>((resolve) => (this.headWaiters ??= []).push(resolve));
  }

  /** Starts a batched read of paged-out bodies ahead of the consumers (one at a time); dispatches when loaded. */
  readAhead(): void {
    const host = this.host;
    if ((!host.messageStore && !this.spill) || host.isDeleted || this.pager.reading || this.readRetryTimer) return;
    const segment = this.backlog.tailSegmentToLoad();
    if (segment !== undefined) {
      // Only while the window wants more (or the head is in it): a batch that came with its bodies (or a spilled
      // run's) leaves no paged-out entry before the segment, so nothing else would stop the next load from pulling
      // the whole run in.
      if (this.pager.wantsRead || this.backlog.list.peek()?.isPagedOut) this.loadTail(segment);
      return;
    }
    this.pager.readAhead(
      this.backlog.list,
      (entries) => this.read(entries),
      (lost) => {
        this.loaded(lost);
        this.wakeHeadWaiters();
      },
      (error) => this.readFailed(error),
    );
  }

  /** Spills of this queue the tail loader reads (transient runs), if any. */
  private readSpilledTail = (seqs: number[]): Promise<Array<Buffer | undefined>> => this.spill!.read(seqs);

  /**
   * Loads the next batch of a tail segment (its index records, or with them its bodies when their size is known
   * and fits the window, or its spilled bodies), then reads on: the bodies of entries indexed only are read next,
   * and `basic.get` callers wait until they are.
   */
  private loadTail(segment: TailSegment): void {
    const host = this.host;
    const pager = this.pager;
    pager.tailLoading = true;
    const storage = host.messageStore;
    const average = segment.kind === 'stored' && !segment.bytesEstimated && segment.count > 0 ? segment.bytes / segment.count : undefined;
    const bodiesBatch = storage ? pager.tailBodiesBatch(average) : 0;
    const withBodies = bodiesBatch > 0;
    loadTailBatch(
      segment,
      withBodies ? bodiesBatch : pager.tailBatch,
      {
        storageId: host.storageId,
        readIndex: storage && ((queueId, fromSeq, limit, options) => storage.readIndex(queueId, fromSeq, limit, options)),
        readSpilled: this.spill && this.readSpilledTail,
        expiresAt: (expiration, restoredAt) => this.ttl.tailExpiresAt(expiration, restoredAt),
      },
      withBodies,
    ).then(
      (batch) => {
        pager.tailLoading = false;
        if (host.isDeleted) return this.wakeHeadWaiters();
        this.backlog.tailLoaded(segment, batch);
        if (batch.entries.some((entry) => entry.expiresAt > 0)) this.ttl.schedule();
        // On to the bodies of the entries just indexed, or the next batch while the window wants one (a spilled
        // run's batch came with its bodies): never the whole tail at once.
        if (pager.pagedCount > 0 || pager.wantsRead) this.readAhead();
        // A batch that came with its bodies is delivered now, not after the next read just started (a store may have
        // ignored withBodies: then its entries are paged out and the waiters wait for their read like any other).
        if (!pager.reading || (batch.entries.length > 0 && batch.entries.every((entry) => !entry.isPagedOut))) {
          this.loaded([]);
          this.wakeHeadWaiters();
        }
      },
      (error: unknown) => {
        pager.tailLoading = false;
        this.readFailed(error);
      },
    );
  }

  /** A read failed (store faulted): report it, answer waiting gets, and try again after a while. */
  private readFailed(error: unknown): void {
    const host = this.host;
    (host.hooks?.reportError ?? reportToStderr)(`queue '${host.name}' page read`, error);
    this.wakeHeadWaiters();
    this.readRetryTimer = setTimeout(() => {
      this.readRetryTimer = undefined;
      runGuarded(`queue '${host.name}' page read`, () => host.dispatch(), host.hooks?.reportError);
    }, READ_RETRY_MS);
    this.readRetryTimer.unref();
  }

  /** Releases the retry timer (queue deleted, broker shutdown). */
  dispose(): void {
    clearTimeout(this.readRetryTimer);
  }

  private wakeHeadWaiters(): void {
    const waiters = this.headWaiters;
    this.headWaiters = undefined;
    if (waiters) for (const wake of waiters) wake();
  }
}
