/** Receives an error thrown by one run of a timer or background task; the task itself keeps its schedule. */
export type BackgroundErrorReporter = (task: string, error: unknown) => void;

/** The reporter of last resort, for code built without the broker's logger (tests, tools). */
export const reportToStderr: BackgroundErrorReporter = (task, error) => {
  process.stderr.write(`warren: ${task} failed: ${describeError(error)}\n`);
};

/** An error's message (or its string form), for a log line. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs one turn of a timer callback or background task and reports what it throws instead of letting it reach
 * the event loop: an exception escaping a timer is an uncaught exception, which ends the whole broker.
 */
export function runGuarded(task: string, work: () => void, report: BackgroundErrorReporter = reportToStderr): void {
  try {
    work();
  } catch (error) {
    try {
      report(task, error);
    } catch {
      // A reporter that fails (stderr gone) must not turn a logged error back into a crash.
    }
  }
}
