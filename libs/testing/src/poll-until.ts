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
 * Calls `check` until it returns (or resolves to) something other than undefined, then resolves with it. After
 * `timeoutMs` it rejects with the error `describeTimeout` builds (called once, at that moment, so it can report
 * current state). A check that throws or rejects ends the wait with that error.
 *
 * The one polling loop of the test kit and of Warren's own tests: waiting for a condition with a generous bound
 * instead of sleeping a fixed time keeps tests deterministic on a busy machine. Polls with one `setTimeout` at a
 * time, and never starts a check before the previous one settled, so nothing is left scheduled once the promise
 * settles (jest's `--detectOpenHandles` stays quiet).
 */
export function pollUntil<T>(
  check: () => T | undefined | PromiseLike<T | undefined>,
  describeTimeout: (timeoutMs: number) => string,
  { timeoutMs = DEFAULT_WAIT_TIMEOUT_MS, intervalMs = 5 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return new Promise<T>((resolve, reject) => {
    const settle = (value: T | undefined): void => {
      if (value !== undefined) resolve(value);
      else if (Date.now() >= deadline) reject(new Error(describeTimeout(timeoutMs)));
      else setTimeout(attempt, intervalMs);
    };
    const attempt = (): void => {
      let result: T | undefined | PromiseLike<T | undefined>;
      try {
        result = check();
      } catch (error) {
        reject(error);
        return;
      }
      if (isPromiseLike(result)) result.then(settle, reject);
      else settle(result);
    };
    attempt();
  });
}

/** What {@link waitFor} waits with: {@link PollOptions} plus a name for the timeout message. */
export interface WaitForOptions extends PollOptions {
  /** What is awaited, for the timeout message (`timed out after 10000 ms waiting for <what>`). */
  what?: string;
}

/** The truthy part of `T`: what {@link waitFor} resolves with. */
export type Truthy<T> = Exclude<T, undefined | null | false | 0 | ''>;

/**
 * Polls `condition` (sync or async) until it returns a truthy value, and resolves with that value; rejects after
 * `timeoutMs` naming `what`. {@link pollUntil} for conditions written as booleans: `waitFor(() => got.length === 3)`.
 */
export function waitFor<T>(condition: () => T | PromiseLike<T>, { what = 'condition', ...poll }: WaitForOptions = {}): Promise<Truthy<T>> {
  const truthy = (value: T): Truthy<T> | undefined => (value ? (value as Truthy<T>) : undefined);
  return pollUntil<Truthy<T>>(
    () => {
      const value = condition();
      return isPromiseLike(value) ? value.then(truthy) : truthy(value);
    },
    (timeoutMs) => `timed out after ${timeoutMs} ms waiting for ${what}`,
    poll,
  );
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | undefined)?.then === 'function';
}
