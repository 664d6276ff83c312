import { StorageError, storageErrorFrom } from '../storage-error.js';

/**
 * Maps a driver or server error to a StorageError: SQLSTATE class 53 `disk_full` (53100) becomes DISK_FULL,
 * undefined tables or a dropped schema CORRUPTED, everything else (lost connection, refused connection, timeouts)
 * IO_ERROR. `location` is the server and database, never the password.
 */
export function fromPostgresError(error: unknown, context: string, location: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === '53100') return new StorageError('DISK_FULL', `storage: ${context}: ${message}`, { path: location, cause: error });
  if (code === '42P01' || code === '3F000') {
    return new StorageError('CORRUPTED', `storage: ${context}: ${message} (Warren's tables are missing)`, { path: location, cause: error });
  }
  return storageErrorFrom(error, context, location);
}

/** `postgres://user@host:port/db` without the password, for messages and logs. */
export function describePostgresUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    url.password = '';
    url.search = '';
    return url.toString();
  } catch {
    return '(PostgreSQL)';
  }
}

/** Queue ids and metadata keys are any string, but PostgreSQL `text` cannot hold NUL: `%` and NUL are escaped. */
export function encodeText(value: string): string {
  return value.includes('%') || value.includes('\0') ? value.replace(/%/g, '%25').replace(/\0/g, '%00') : value;
}

/** Inverse of {@link encodeText}. */
export function decodeText(value: string): string {
  return value.includes('%') ? value.replace(/%00|%25/g, (escape) => (escape === '%00' ? '\0' : '%')) : value;
}
