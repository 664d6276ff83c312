import type { CommitStats } from './group-committer.js';

/** Options of {@link IntegrityPacer} (part of LevelMessageStoreOptions). */
export interface IntegrityPacerOptions {
  /**
   * How long no batch may have been written before a background integrity check starts, in ms (default 1,000): a
   * drain or a publish flood writes a batch every few milliseconds, an idle broker none.
   */
  integrityQuietMs?: number;
  /** Longest a background check waits for such a quiet moment before it starts anyway, in ms (default 600,000). */
  integrityMaxDeferMs?: number;
  /** Pause between two slices of a running background check while batches are being written, in ms (default 10). */
  integrityPauseMs?: number;
}

/**
 * Keeps the background integrity check (verifyIntegrity({ background: true }), run once after every start) out of
 * the way of a drain: it reads every message key, and on a broker restarted with millions of messages it competed
 * with the consumers being fed (docs/BENCHMARKS.md, "5 million side by side"). The check starts only once no
 * batch has been written for a while (or after a bound, so a broker that is never quiet still gets checked), and
 * then reads in small slices with a pause between two slices whenever batches were written meanwhile.
 *
 * @remarks
 * Why wait before rather than only pause during: the check reads one snapshot, and LevelDB keeps every record
 * deleted after a snapshot until the snapshot is released; a check spread thinly over a whole drain would keep the
 * drained records (and their compaction) around for all of it. Both waits throw what `assertOpen` throws once the
 * store closes, so closing ends a waiting check within one poll.
 */
export class IntegrityPacer {
  private readonly quietMs: number;
  private readonly maxDeferMs: number;
  private readonly pauseMs: number;
  private batchesAtLastSlice = 0;

  /**
   * @param stats the committer's counters: a change in `batches` means something was written
   * @param isIdle whether no group is open, sealed or being written
   * @param assertOpen throws when the store is closed (or faulted)
   */
  constructor(
    private readonly stats: Readonly<CommitStats>,
    private readonly isIdle: () => boolean,
    private readonly assertOpen: () => void,
    options: IntegrityPacerOptions = {},
  ) {
    this.quietMs = Math.max(0, options.integrityQuietMs ?? 1_000);
    this.maxDeferMs = Math.max(0, options.integrityMaxDeferMs ?? 600_000);
    this.pauseMs = Math.max(0, options.integrityPauseMs ?? 10);
  }

  /** Resolves once no batch has been written for `integrityQuietMs`, or after `integrityMaxDeferMs`. */
  async whenQuiet(): Promise<void> {
    const deadline = Date.now() + this.maxDeferMs;
    const poll = Math.max(1, Math.min(50, this.quietMs / 4));
    let batches = this.stats.batches;
    let quietSince = Date.now();
    for (;;) {
      this.assertOpen();
      const now = Date.now();
      if (this.stats.batches !== batches || !this.isIdle()) {
        batches = this.stats.batches;
        quietSince = now;
      } else if (now - quietSince >= this.quietMs) {
        break;
      }
      if (now >= deadline) break;
      await sleep(poll);
    }
    this.batchesAtLastSlice = this.stats.batches;
  }

  /**
   * Called between two slices of the scan: a pause when batches were written since the last slice (a drain or a
   * flood is running), undefined (go on at once) otherwise.
   */
  readonly between = (): Promise<void> | undefined => {
    this.assertOpen();
    const batches = this.stats.batches;
    const busy = batches !== this.batchesAtLastSlice || !this.isIdle();
    this.batchesAtLastSlice = batches;
    return busy && this.pauseMs > 0 ? sleep(this.pauseMs).then(this.assertOpen) : undefined;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
