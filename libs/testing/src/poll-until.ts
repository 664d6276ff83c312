/** How long and how often to poll. */
export interface PollOptions {
  /** Give up after this long (default 10,000 ms: generous, since CI machines are busy). */
  timeoutMs?: number;
  /** Pause between checks (default 5 ms). */
  intervalMs?: number;
}

/** Default bound of every wait in this library. */
export const DEFAULT_WAIT_TIMEOUT_MS = 10_000;

/**
 * Calls `check` until it returns something other than undefined, then resolves with it. After `timeoutMs` it
 * rejects with the error `describeTimeout` builds (called once, at that moment, so it can report current state).
 *
 * Polls with one `setTimeout` at a time, so nothing is left scheduled once the promise settles (jest's
 * `--detectOpenHandles` stays quiet).
 */
export function pollUntil<T>(
  check: () => T | undefined,
  describeTimeout: (timeoutMs: number) => string,
  { timeoutMs = DEFAULT_WAIT_TIMEOUT_MS, intervalMs = 5 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return new Promise<T>((resolve, reject) => {
    const attempt = (): void => {
      let value: T | undefined;
      try {
        value = check();
      } catch (error) {
        reject(error);
        return;
      }
      if (value !== undefined) resolve(value);
      else if (Date.now() >= deadline) reject(new Error(describeTimeout(timeoutMs)));
      else setTimeout(attempt, intervalMs);
    };
    attempt();
  });
}
