/** A request got no complete reply within its `timeoutMs`. */
export class WarrenTimeoutError extends Error {
  override readonly name = 'WarrenTimeoutError';

  constructor(
    /** The request's pattern, as routed. */
    readonly pattern: string,
    /** The timeout that expired. */
    readonly timeoutMs: number,
  ) {
    super(`transport: no reply to '${pattern}' within ${timeoutMs} ms`);
  }
}

/** Why a publish failed. */
export type WarrenPublishFailure =
  /** Disconnected, and `maxBufferedMessages` messages already wait for the connection. */
  | 'buffer-full'
  /** The client was closed before the message was confirmed. */
  | 'closed'
  /** The broker refused the message (basic.nack), e.g. because it could not store it. */
  | 'nacked'
  /** The connection dropped after a request was sent: its reply address went with it. */
  | 'connection-lost';

/** An emit or request that did not reach the broker, or a request whose reply can no longer arrive. */
export class WarrenPublishError extends Error {
  override readonly name = 'WarrenPublishError';

  constructor(
    readonly reason: WarrenPublishFailure,
    message: string,
  ) {
    super(message);
  }
}

/** A short text for a handler failure (Errors, Nest's `{status, message}` RPC errors, strings), for logs and headers. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') return error.message;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
