/**
 * An error the CLI reports as one line on stderr before exiting non-zero: a bad argument, an HTTP error from the
 * admin API (status and RabbitMQ's `reason`), or a connection failure.
 */
export class CliError extends Error {
  constructor(
    message: string,
    /** The process exit code: 1 for failures, 2 for bad usage (as commander uses for its own parse errors: 1). */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A one-line description of any thrown value (the cause chain of fetch errors included: "fetch failed" says nothing). */
export function describeError(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code;
    if (code === 'ECONNREFUSED') return `connection refused (${cause.message.replace(/^connect ECONNREFUSED /, '')})`;
    return describeError(cause);
  }
  return error.message;
}
