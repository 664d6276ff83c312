import type { StorageError } from './storage-error.js';

/**
 * Whether a store can currently be used: the broker's disk/storage alarm and `/health` read this.
 *
 * - `ok`: open and accepting writes.
 * - `faulted`: a write failed; every operation rejects with `error` until `reopen()` succeeds.
 * - `closed`: not opened yet, or closed.
 */
export type StorageHealth =
  { readonly status: 'ok' } | { readonly status: 'faulted'; readonly error: StorageError } | { readonly status: 'closed' };

/** Called once per fault (not per rejected call) so the broker can raise its alarm. */
export type StorageFaultListener = (error: StorageError) => void;
