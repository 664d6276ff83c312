/**
 * What went wrong in a storage backend, as far as the broker needs to know to react.
 *
 * - `IO_ERROR`: a read or write failed; retrying on the same handle may keep failing.
 * - `DISK_FULL`: the device has no space left; raise the disk alarm, reopen once space returns.
 * - `CORRUPTED`: the backend found damaged data; do not serve from it.
 * - `LOCKED`: another process (or another handle in this one) has the store open.
 * - `CLOSED`: the store was used before `open()` or after `close()`.
 * - `NOT_A_WARREN_STORE`: the location holds something that is not a Warren store (of this format version).
 */
export type StorageErrorCode = 'IO_ERROR' | 'DISK_FULL' | 'CORRUPTED' | 'LOCKED' | 'CLOSED' | 'NOT_A_WARREN_STORE';

/** A storage failure the broker reacts to (nack pending confirms, raise an alarm); never a protocol error. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  /** Machine-readable category; branch on this, not on the message. */
  readonly code: StorageErrorCode;
  /** The data directory (or other location) involved, when there is one. */
  readonly path?: string;

  /** Creates an error; `cause` keeps the backend's original error for logs. */
  constructor(code: StorageErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.path !== undefined) this.path = options.path;
  }
}

// LevelDB reports ENOSPC only as text inside an IO error ("… No space left on device"), as does Node's fs.
const NO_SPACE = /no space left|ENOSPC|disk full/i;

/**
 * Wraps any write failure as a StorageError: an existing StorageError passes through, "no space" texts become
 * `DISK_FULL`, everything else `IO_ERROR`. Backends with richer error codes map those first.
 */
export function storageErrorFrom(error: unknown, context: string, path?: string): StorageError {
  if (error instanceof StorageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code: StorageErrorCode = NO_SPACE.test(message) ? 'DISK_FULL' : 'IO_ERROR';
  return new StorageError(code, `storage: ${context}: ${message}`, { path, cause: error });
}
