import type { StorageError } from '../storage-error.js';

/** One LevelDB batch operation as Warren writes it: string keys, Buffer values. */
export type LevelBatchOp = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };

/** Writes one batch; `sync` means fsync before resolving. */
export type BatchWriter = (ops: LevelBatchOp[], sync: boolean) => Promise<void>;

/** Counters of committed batches, for tests and the storage benchmark. */
export interface CommitStats {
  /** Batches written successfully. */
  batches: number;
  /** Of those, how many were synced. */
  syncedBatches: number;
  /** Operations written in those batches. */
  ops: number;
}

/**
 * Ops accepted from many calls that will be written as one atomic batch. Callers push their ops synchronously
 * and return `done`; every caller of a group shares that one promise (no allocation per call).
 */
export class CommitGroup {
  /** The batch being built; callers push, seal hooks append counters. */
  readonly ops: LevelBatchOp[] = [];
  /** Set by anything a confirm waits on (enqueues, topology, delivered watermarks); removals leave it false. */
  needsSync = false;
  /** Set when the group stops taking ops: anything pushed from now on goes into a later batch. */
  isSealed = false;
  /** Settles when the batch is written (or failed, or was abandoned after an earlier failure). */
  readonly done: Promise<void>;
  /** Called by the committer only. */
  resolve!: () => void;
  /** Called by the committer only. */
  reject!: (error: StorageError) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A group nobody awaits (only delivery marks) must not crash the process with an unhandled rejection; callers
    // that await `done` still see the rejection.
    this.done.catch(() => undefined);
  }
}

/**
 * Group commit: one batch in flight at a time; everything accepted meanwhile
 * is written as the next batch when it completes, or on the next event-loop turn when idle. One synced batch of
 * 100–1000 messages costs about what a single synced put does (docs/BENCHMARKS.md), so this is what makes
 * fsync-per-confirm affordable.
 *
 * Invariants: `group()` is called synchronously by the code that pushes into the returned group, so the seal
 * hooks (which append per-queue counters) see in-memory state that matches exactly the groups sealed so far.
 */
export class GroupCommitter {
  readonly stats: CommitStats = { batches: 0, syncedBatches: 0, ops: 0 };
  private openGroup: CommitGroup | undefined;
  private readonly sealed: CommitGroup[] = [];
  private writing: CommitGroup | undefined;
  private isScheduled = false;
  private readonly sealHooks = new Set<(ops: LevelBatchOp[]) => void>();
  private readonly barriers = new Set<() => Promise<void> | undefined>();

  /**
   * @param write writes one batch (the database's batch function or a test seam)
   * @param onWriteError turns a failed write into the fault every pending caller is rejected with
   * @param maxOps a group that would grow beyond this is sealed first (one call's ops are never split)
   */
  constructor(
    private readonly write: BatchWriter,
    private readonly onWriteError: (error: unknown) => StorageError,
    private readonly maxOps: number,
  ) {}

  /** Registers a hook that appends ops when a group is sealed; returns the unregister function. */
  addSealHook(hook: (ops: LevelBatchOp[]) => void): () => void {
    this.sealHooks.add(hook);
    return () => this.sealHooks.delete(hook);
  }

  /**
   * Registers a barrier every batch waits for before it is written (the body log makes the records a batch points
   * at durable first); it returns undefined when there is nothing to wait for. A rejection fails the batch.
   */
  addWriteBarrier(barrier: () => Promise<void> | undefined): () => void {
    this.barriers.add(barrier);
    return () => this.barriers.delete(barrier);
  }

  /** The group the caller's `opCount` ops go into; push them before returning to the event loop. */
  group(opCount: number): CommitGroup {
    const current = this.openGroup;
    if (current !== undefined && current.ops.length > 0 && current.ops.length + opCount > this.maxOps) {
      // Size cap: keep batches bounded so one huge group does not stall every confirm behind it.
      this.sealed.push(this.seal(current));
      this.openGroup = undefined;
      this.pump();
    }
    return this.ensureOpen();
  }

  /** Makes sure the open group gets flushed even if nobody adds ops to it (seal hooks may still add some). */
  touch(): void {
    this.ensureOpen();
  }

  /** Resolves when every group accepted so far is written; rejects if one of them failed. */
  flush(): Promise<void> {
    const last = this.openGroup ?? this.sealed[this.sealed.length - 1] ?? this.writing;
    if (last === undefined) return Promise.resolve();
    if (!this.isScheduled) this.pump();
    return last.done;
  }

  /** True when nothing is open, queued or being written. */
  get isIdle(): boolean {
    return this.openGroup === undefined && this.sealed.length === 0 && this.writing === undefined;
  }

  private ensureOpen(): CommitGroup {
    if (this.openGroup === undefined) {
      this.openGroup = new CommitGroup();
      if (this.writing === undefined && !this.isScheduled) {
        this.isScheduled = true;
        // setImmediate, not a microtask: runs after every I/O callback of this loop iteration, so publishes that
        // arrived in several socket reads of one poll phase share one fsync.
        setImmediate(() => {
          this.isScheduled = false;
          this.pump();
        });
      }
    }
    return this.openGroup;
  }

  /** What the next batch waits for: undefined (most batches), one barrier's promise, or all of them. */
  private barrier(): Promise<void> | undefined {
    let waits: Array<Promise<void>> | undefined;
    for (const barrier of this.barriers) {
      const wait = barrier();
      if (wait !== undefined) (waits ??= []).push(wait);
    }
    if (waits === undefined) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  private seal(group: CommitGroup): CommitGroup {
    group.isSealed = true;
    for (const hook of this.sealHooks) hook(group.ops);
    return group;
  }

  private pump(): void {
    if (this.writing !== undefined) return;
    let group = this.sealed.shift();
    if (group === undefined && this.openGroup !== undefined) {
      group = this.seal(this.openGroup);
      this.openGroup = undefined;
    }
    if (group === undefined) return;
    if (group.ops.length === 0) {
      group.resolve();
      this.pump();
      return;
    }
    const current = group;
    this.writing = current;
    let pending: Promise<void>;
    try {
      const barrier = this.barrier();
      pending =
        barrier === undefined ? this.write(current.ops, current.needsSync) : barrier.then(() => this.write(current.ops, current.needsSync));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      () => {
        this.stats.batches++;
        if (current.needsSync) this.stats.syncedBatches++;
        this.stats.ops += current.ops.length;
        this.writing = undefined;
        current.resolve();
        // Whatever accumulated during this write goes out now: that is the group commit.
        this.pump();
      },
      (error: unknown) => {
        this.writing = undefined;
        const fault = this.onWriteError(error);
        current.reject(fault);
        // Later groups were built on in-memory state that assumed this one succeeded: none of them may be
        // written. The owner reloads that state from disk on reopen.
        for (const g of this.sealed.splice(0)) g.reject(fault);
        this.openGroup?.reject(fault);
        this.openGroup = undefined;
      },
    );
  }
}
