import { ClassicLevel } from 'classic-level';
import type { LevelBatchOp } from './group-committer.js';
import type { LevelBatchFn, WarrenLevel } from './level-database.js';

/**
 * classic-level's own `_batch(operations, options)`: abstract-level's private API, which its public `batch()` calls
 * once it has prepared every operation; classic-level hands the array straight to its native binding, which reads
 * only `type`, `key` and `value` (a string or a Buffer) of each operation and `sync` of the options.
 */
type PrivateBatch = (this: WarrenLevel, operations: LevelBatchOp[], options: { sync: boolean }) => Promise<void>;

/**
 * classic-level's `_batch`, or undefined when this version does not have one of the shape relied on (then every
 * batch goes through the public `db.batch()`). Checked once, at load.
 */
export const privateBatch: PrivateBatch | undefined = findPrivateBatch();

function findPrivateBatch(): PrivateBatch | undefined {
  const prototype = ClassicLevel.prototype as unknown as Record<string, unknown>;
  const candidate = Object.hasOwn(prototype, '_batch') ? prototype['_batch'] : undefined;
  return typeof candidate === 'function' && candidate.length === 2 ? (candidate as PrivateBatch) : undefined;
}

/**
 * Whether a batch for `db` can skip abstract-level's preparation and give the same result: the database is open
 * (anything else goes the public way, which defers while opening and rejects when closed with the library's own
 * errors), no prewrite hook and no `write` listener need the per-operation work, and the encodings are Warren's
 * (`utf8` keys, `buffer` values), for which abstract-level passes a string key and a Buffer value through unchanged.
 */
export function canWriteDirectly(db: WarrenLevel): boolean {
  return (
    privateBatch !== undefined &&
    db.status === 'open' &&
    // `noop`: abstract-level's own flag for a hook with no functions (not in its typings; absent means unknown).
    (db.hooks.prewrite as unknown as { noop?: unknown }).noop === true &&
    db.listenerCount('write') === 0 &&
    db.keyEncoding().name === 'utf8' &&
    db.valueEncoding().name === 'buffer'
  );
}

/**
 * Writes a group commit's batch (docs/BENCHMARKS.md, "5 million side by side"): abstract-level's `db.batch(array)`
 * clones every operation, type-checks and encodes its key and value, and looks up hooks and events, which cost more
 * main-thread time than LevelDB's write itself when a drain deletes tens of thousands of acked messages a second.
 * Warren's operations are already what the native binding takes (string keys, Buffer values), so they go to
 * classic-level's own `_batch` directly; the public path remains the fallback. direct-batch.spec.ts fails if the
 * library's internals change shape. What is no longer checked at run time is each value's type (the binding
 * writes anything but a string or bytes as an empty value): {@link LevelBatchOp}'s types are that check.
 */
export const writeBatch: LevelBatchFn = (db, ops, options) => {
  if (canWriteDirectly(db)) return (db as WarrenLevel & { _batch: PrivateBatch })._batch(ops, { sync: options.sync });
  return db.batch(ops, options);
};
