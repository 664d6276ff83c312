import type { LevelDatabase } from './level-database.js';
import { hex16, rangeEnd } from './level-keys.js';
import type { LevelQueueState } from './level-queue-state.js';

/** Options of {@link DrainedRangeCompactor}. */
export interface DrainedRangeCompactorOptions {
  /** Records a queue must have removed since its last compaction before its drained range is compacted (default 50,000). */
  compactAfterRemovals?: number;
  /** Least time between two compaction runs, in ms (default 30,000): compaction rewrites table files, so rarely. */
  compactionIntervalMs?: number;
}

/** What the compactor has done, for tests and diagnostics. */
export interface CompactionStats {
  /** Compaction runs finished (each covers every queue due at its start). */
  runs: number;
  /** `compactRange` calls completed. */
  ranges: number;
  /** Compaction runs that failed (the store keeps working: LevelDB compacts on its own eventually). */
  failures: number;
}

/**
 * Gives the disk back after a backlog drains. LevelDB deletes by writing tombstones; the space of the deleted
 * records returns only once a compaction reaches their table files, which for a queue drained from the head can
 * take a long time (nothing new is written into that key range to trigger one). This asks LevelDB to compact
 * exactly the drained ranges: each queue's message, index and delivery keys below its oldest stored seq (the whole
 * queue range once it is empty or deleted).
 *
 * @remarks
 * Off the hot path: removals only count here; a run starts on a timer (unref'd), at most one at a time and one per
 * interval, and `compactRange` runs on LevelDB's own thread. Failures are counted and otherwise ignored (no data is
 * at stake, only disk space).
 */
export class DrainedRangeCompactor {
  readonly stats: CompactionStats = { runs: 0, ranges: 0, failures: 0 };
  private readonly removals = new Map<LevelQueueState, number>();
  private readonly threshold: number;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastRunAt = 0;
  private isClosed = false;

  constructor(
    private readonly database: LevelDatabase,
    options: DrainedRangeCompactorOptions = {},
  ) {
    this.threshold = Math.max(1, options.compactAfterRemovals ?? 50_000);
    this.intervalMs = Math.max(0, options.compactionIntervalMs ?? 30_000);
  }

  /** `count` records of `state` were removed (acked, purged, deleted with their queue). */
  removed(state: LevelQueueState, count: number): void {
    const total = (this.removals.get(state) ?? 0) + count;
    this.removals.set(state, total);
    if (total >= this.threshold) this.schedule();
  }

  /** Stops scheduling and waits for a run in flight (before the database closes). */
  async close(): Promise<void> {
    this.isClosed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Re-enables scheduling after a close (the store was opened again). */
  open(): void {
    this.isClosed = false;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.running !== undefined || this.isClosed) return;
    const delay = Math.max(0, this.lastRunAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.run().finally(() => {
        this.running = undefined;
        this.lastRunAt = Date.now();
        // Queues that crossed the threshold while this run was going.
        for (const count of this.removals.values()) {
          if (count >= this.threshold) {
            this.schedule();
            break;
          }
        }
      });
    }, delay);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    const due: LevelQueueState[] = [];
    for (const [state, count] of this.removals) if (count >= this.threshold) due.push(state);
    for (const state of due) this.removals.delete(state);
    // The removals counted are group-committed: compacting before their tombstones are written frees nothing.
    try {
      await this.database.flush();
    } catch {
      this.stats.failures++;
      return;
    }
    for (const state of due) {
      if (this.isClosed) return;
      try {
        for (const [start, end] of drainedRanges(state)) {
          await this.database.db.compactRange(start, end);
          this.stats.ranges++;
        }
      } catch {
        this.stats.failures++;
      }
    }
    this.stats.runs++;
  }
}

/** Key ranges of `state` that hold only deleted records: below the oldest stored seq, or all of an empty queue. */
function drainedRanges(state: LevelQueueState): Array<[string, string]> {
  const head = state.live.first(1);
  if (head.length === 0 || state.isDeleting) return [[state.prefix, rangeEnd(state.prefix)]];
  const below = hex16(head[0]!);
  return [state.deliveryPrefix, state.indexPrefix, state.messagePrefix].map((prefix) => [prefix, prefix + below]);
}
