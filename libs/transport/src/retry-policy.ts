/** How a failed event is retried before it is dead-lettered. */
export interface RetryOptions {
  /** Retries after the first attempt; 0 dead-letters on the first failure. Default 3. */
  maxRetries?: number;
  /**
   * Explicit delay before each retry (index 0 = first retry); the last entry repeats. Overrides the exponential
   * settings below. A delay of 0 republishes straight to the group's queue, without a delay queue.
   */
  delaysMs?: readonly number[];
  /** Delay before the first retry when `delaysMs` is not given. Default 1000 ms. */
  initialDelayMs?: number;
  /** Growth per retry. Default 2 (1 s, 2 s, 4 s, …). */
  factor?: number;
  /** Cap on any retry delay. Default 60 000 ms. */
  maxDelayMs?: number;
}

/** What to do with a message whose handler failed. */
export type RetryDecision = { kind: 'retry'; delayMs: number; retryCount: number } | { kind: 'dead-letter'; retryCount: number };

/**
 * The retry schedule of a consumer group. Delays are deterministic (no jitter) because each distinct delay is one
 * delay queue (`<group>.retry.<delayMs>`), declared up front: jitter would make the set of queues unbounded.
 */
export class RetryPolicy {
  readonly maxRetries: number;
  private readonly schedule: readonly number[];

  constructor(options: RetryOptions = {}) {
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries ?? 3));
    if (options.delaysMs && options.delaysMs.length > 0) {
      this.schedule = options.delaysMs.map((ms) => Math.max(0, Math.round(ms)));
    } else {
      const initial = Math.max(0, options.initialDelayMs ?? 1000);
      const factor = Math.max(1, options.factor ?? 2);
      const max = Math.max(initial, options.maxDelayMs ?? 60_000);
      this.schedule = Array.from({ length: Math.max(1, this.maxRetries) }, (_, i) => Math.round(Math.min(max, initial * factor ** i)));
    }
  }

  /** The delay before retry number `retry` (1-based). */
  delayBeforeRetry(retry: number): number {
    return this.schedule[Math.min(retry, this.schedule.length) - 1];
  }

  /** Decides the fate of a message that failed after `retryCount` earlier retries. */
  decide(retryCount: number): RetryDecision {
    if (retryCount >= this.maxRetries) return { kind: 'dead-letter', retryCount };
    const next = retryCount + 1;
    return { kind: 'retry', delayMs: this.delayBeforeRetry(next), retryCount: next };
  }

  /** The distinct non-zero delays this policy can ask for: one delay queue each. */
  delayQueueDelays(): number[] {
    const delays = new Set<number>();
    for (let retry = 1; retry <= this.maxRetries; retry++) {
      const delay = this.delayBeforeRetry(retry);
      if (delay > 0) delays.add(delay);
    }
    return [...delays].sort((a, b) => a - b);
  }
}
