import type { SpillSegment } from './spill-segment.js';

/** Records per run at most: a run's live records are one 32-bit mask. */
export const MAX_RUN_RECORDS = 32;

/**
 * Up to 32 records of one queue with consecutive seqs, written back to back by one batch: the unit of the spill's
 * index. `live` is a mask (bit i: seq `firstSeq + i` is live), so the index holds no per-message object.
 */
export interface SpillRun {
  readonly owner: QueueRuns;
  readonly firstSeq: number;
  readonly count: number;
  live: number;
  readonly segment: SpillSegment;
  readonly offset: number;
  readonly length: number;
  /** The batch write in flight: reads wait for it. */
  pending: Promise<void> | undefined;
  /** The batch write failed: nothing of it is served. */
  isFailed: boolean;
}

/** One queue's runs, ordered by `firstSeq` (a seq written again lands in a later run; the earlier bit is cleared). */
export interface QueueRuns {
  readonly queueId: string;
  runs: SpillRun[];
  /** Runs with no live record still in `runs` (removed in bulk). */
  dead: number;
  /** Highest seq written: a write above it cannot replace a live record, so it needs no lookup. */
  maxSeq: number;
}

/** Set bits of a 32-bit mask. */
export function popcount(mask: number): number {
  let bits = mask - ((mask >>> 1) & 0x55555555);
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333);
  return (((bits + (bits >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Index of last run starting at or below `seq` in `runs`, plus one. */
function upperBound(runs: SpillRun[], seq: number): number {
  let low = 0;
  let high = runs.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (runs[middle]!.firstSeq <= seq) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The transient spill's sparse index (file-spill.ts): per queue, its runs in seq order, found by binary search.
 * Memory is one run object per up to 32 records, whatever their size.
 */
export class SpillRunIndex {
  private readonly queues = new Map<string, QueueRuns>();

  /** The runs of `queueId`, if it has a live record. */
  queue(queueId: string): QueueRuns | undefined {
    return this.queues.get(queueId);
  }

  /** Forgets every run. */
  clear(): void {
    this.queues.clear();
  }

  /** Adds a run of `count` live records from `firstSeq`, at `offset` in `segment`. */
  add(queueId: string, firstSeq: number, count: number, segment: SpillSegment, offset: number, length: number): SpillRun {
    let queue = this.queues.get(queueId);
    if (queue === undefined) this.queues.set(queueId, (queue = { queueId, runs: [], dead: 0, maxSeq: -1 }));
    const run: SpillRun = {
      owner: queue,
      firstSeq,
      count,
      live: count === MAX_RUN_RECORDS ? -1 : (1 << count) - 1,
      segment,
      offset,
      length,
      pending: undefined,
      isFailed: false,
    };
    const runs = queue.runs;
    // Written out of order (rare): after every run starting at or below it, so lookups meet the newest first.
    if (runs.length === 0 || runs[runs.length - 1]!.firstSeq <= firstSeq) runs.push(run);
    else runs.splice(upperBound(runs, firstSeq), 0, run);
    queue.maxSeq = Math.max(queue.maxSeq, firstSeq + count - 1);
    return run;
  }

  /** The run of `queue` holding `seq` live, if any. */
  find(queue: QueueRuns, seq: number): SpillRun | undefined {
    const runs = queue.runs;
    // A run spans at most MAX_RUN_RECORDS seqs, so only runs starting that close below `seq` can hold it.
    for (let i = upperBound(runs, seq) - 1; i >= 0 && runs[i]!.firstSeq > seq - MAX_RUN_RECORDS; i--) {
      const run = runs[i]!;
      const bit = seq - run.firstSeq;
      if (bit < run.count && (run.live >>> bit) & 1) return run;
    }
    return undefined;
  }

  /** `run` lost its last live record: a queue with none left is forgotten; dead runs are removed in bulk. */
  runDied(run: SpillRun): void {
    const queue = run.owner;
    if (this.queues.get(queue.queueId) !== queue) return; // cleared since
    queue.dead++;
    if (queue.dead === queue.runs.length) this.queues.delete(queue.queueId);
    else if (queue.dead > 64 && queue.dead * 2 > queue.runs.length) {
      queue.runs = queue.runs.filter((each) => each.live !== 0);
      queue.dead = 0;
    }
  }
}
