import { StorageError, storageErrorFrom } from '../storage-error.js';

interface LevelErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

function levelCode(error: unknown): string | undefined {
  const code = (error as LevelErrorLike | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Maps an abstract-level/classic-level error to a StorageError naming `path`. classic-level wraps open failures
 * as `LEVEL_DATABASE_NOT_OPEN` with the real reason (`LEVEL_LOCKED`, `LEVEL_CORRUPTION`, `LEVEL_IO_ERROR`) in
 * `cause`, so the cause is inspected first.
 */
export function fromLevelError(error: unknown, context: string, path: string): StorageError {
  if (error instanceof StorageError) return error;
  const cause = (error as LevelErrorLike | null)?.cause;
  const codes = [levelCode(cause), levelCode(error)];
  const detail = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  const message = `storage: ${context} ${path}: ${detail}`;
  if (codes.includes('LEVEL_LOCKED')) return new StorageError('LOCKED', message, { path, cause: error });
  if (codes.includes('LEVEL_CORRUPTION')) return new StorageError('CORRUPTED', message, { path, cause: error });
  if (codes[0] === undefined && codes[1] === 'LEVEL_DATABASE_NOT_OPEN' && context !== 'cannot open') {
    // The handle was closed underneath us (not an open failure, which always has a cause).
    return new StorageError('CLOSED', message, { path, cause: error });
  }
  return storageErrorFrom(cause instanceof Error ? cause : error, `${context} ${path}`, path);
}
