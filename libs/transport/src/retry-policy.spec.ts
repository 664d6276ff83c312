import { RetryPolicy } from './retry-policy.js';

describe('RetryPolicy', () => {
  it('retries with exponential delays, then dead-letters', () => {
    const policy = new RetryPolicy({ maxRetries: 3, initialDelayMs: 100, factor: 3 });
    expect(policy.decide(0)).toEqual({ kind: 'retry', delayMs: 100, retryCount: 1 });
    expect(policy.decide(1)).toEqual({ kind: 'retry', delayMs: 300, retryCount: 2 });
    expect(policy.decide(2)).toEqual({ kind: 'retry', delayMs: 900, retryCount: 3 });
    expect(policy.decide(3)).toEqual({ kind: 'dead-letter', retryCount: 3 });
    expect(policy.decide(7)).toEqual({ kind: 'dead-letter', retryCount: 7 });
    expect(policy.delayQueueDelays()).toEqual([100, 300, 900]);
  });

  it('caps exponential delays', () => {
    const policy = new RetryPolicy({ maxRetries: 5, initialDelayMs: 1000, factor: 10, maxDelayMs: 20_000 });
    expect([1, 2, 3, 4, 5].map((n) => policy.delayBeforeRetry(n))).toEqual([1000, 10_000, 20_000, 20_000, 20_000]);
    expect(policy.delayQueueDelays()).toEqual([1000, 10_000, 20_000]);
  });

  it('uses an explicit schedule, repeating its last delay', () => {
    const policy = new RetryPolicy({ maxRetries: 4, delaysMs: [0, 50] });
    expect(policy.decide(0)).toEqual({ kind: 'retry', delayMs: 0, retryCount: 1 });
    expect(policy.decide(1)).toEqual({ kind: 'retry', delayMs: 50, retryCount: 2 });
    expect(policy.decide(3)).toEqual({ kind: 'retry', delayMs: 50, retryCount: 4 });
    // A zero delay needs no delay queue.
    expect(policy.delayQueueDelays()).toEqual([50]);
  });

  it('dead-letters at once with maxRetries 0', () => {
    const policy = new RetryPolicy({ maxRetries: 0 });
    expect(policy.decide(0)).toEqual({ kind: 'dead-letter', retryCount: 0 });
    expect(policy.delayQueueDelays()).toEqual([]);
  });

  it('defaults to 3 retries at 1 s, 2 s, 4 s', () => {
    const policy = new RetryPolicy();
    expect(policy.maxRetries).toBe(3);
    expect(policy.delayQueueDelays()).toEqual([1000, 2000, 4000]);
  });
});
