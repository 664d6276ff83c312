import { checkMessageRecord, messageRecordOf } from '../message-record.js';
import type { StoredMessage } from '../message-store.js';
import { StorageError } from '../storage-error.js';
import type { WarrenLevel } from './level-database.js';
import { fromLevelError } from './level-errors.js';
import { bodyKey, rangeEnd } from './level-keys.js';
import type { LevelQueueState } from './level-queue-state.js';
import type { SharedBodyRegistry } from './shared-body-registry.js';
import type { BodyLog } from './body-log.js';

// nextv size: 1,000 is as fast as larger sizes (measured with bench/restart-time.mjs) and bounds memory per step.
const READ_CHUNK = 1_000;

/** Swallows the rejection of a read-ahead that is abandoned (early break, error). */
const ignore = (): undefined => undefined;

/**
 * Streams one queue's messages from disk in seq order for recover(), resolving shared bodies and delivery marks.
 * Skips seqs no longer in `state.live` (removed after the iterator's snapshot was taken); a missing shared body is
 * reported as `CORRUPTED` rather than silently serving fewer messages. Every record's checksum is verified (LevelDB
 * checks its write-ahead log but not, by default, the blocks of its table files): a damaged one is not yielded but
 * passed to `quarantine`, as is one whose body-log record cannot be read. Records older than the queue's `checksumFromSeq` (format 1) come back sealed.
 */
export async function* readQueue(
  db: WarrenLevel,
  state: LevelQueueState,
  bodies: SharedBodyRegistry,
  log: BodyLog,
  path: string,
  quarantine: (seq: number, reason: string) => void,
): AsyncGenerator<StoredMessage> {
  const { queueId, messagePrefix: prefix } = state;
  const seqEnd = prefix.length + 16;
  const iterator = db.iterator({ gte: prefix, lt: rangeEnd(prefix) });
  // Read-ahead: the next chunk is read on the thread pool while the caller consumes this one.
  let pending: Promise<Array<[string, Buffer]>> | undefined = iterator.nextv(READ_CHUNK);
  try {
    for (;;) {
      const entries = await pending!;
      pending = undefined;
      if (entries.length === 0) return;
      pending = iterator.nextv(READ_CHUNK);
      const shared = state.shared === undefined ? undefined : await loadBodies(db, entries, seqEnd, bodies);
      // Records in the body log: read for the whole chunk at once (entries keep their pointers, `values` the records).
      const values: Array<Buffer | undefined> = entries.map(([, value]) => value);
      // Records stored before checksums (format 1) are raw messages, some of which start like a pointer.
      const unreadable = await log.resolve(
        values,
        (e) => parseInt(entries[e]![0].slice(prefix.length, seqEnd), 16) >= state.counters.checksumFromSeq,
      );
      for (let e = 0; e < entries.length; e++) {
        const key = entries[e]![0];
        const seq = parseInt(key.slice(prefix.length, seqEnd), 16);
        if (!state.live.has(seq)) continue;
        const reason = unreadable?.get(e);
        if (reason !== undefined) {
          quarantine(seq, reason);
          continue;
        }
        let data = values[e]!;
        if (key.length > seqEnd) {
          const body = shared?.get(parseInt(key.slice(seqEnd + 1), 16));
          if (body === undefined) {
            throw new StorageError('CORRUPTED', `storage: shared body of ${queueId}/${seq} is missing`, { path });
          }
          data = body;
        }
        if (seq < state.counters.checksumFromSeq) {
          data = messageRecordOf(data);
        } else {
          const damage = checkMessageRecord(data);
          if (damage !== undefined) {
            quarantine(seq, damage);
            continue;
          }
        }
        const deliveryCount = state.deliveryCountOf(seq);
        yield { queueId, seq, data, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 };
      }
    }
  } catch (error) {
    throw fromLevelError(error, 'cannot read', path);
  } finally {
    // An iterator cannot close with a read in flight: let the read-ahead finish first.
    if (pending) await pending.then(ignore, ignore);
    await iterator.close();
  }
}

/** The shared bodies one chunk references: from the registry's cache, the rest with one getMany. */
async function loadBodies(
  db: WarrenLevel,
  entries: ReadonlyArray<[string, Buffer]>,
  seqEnd: number,
  registry: SharedBodyRegistry,
): Promise<Map<number, Buffer>> {
  const found = new Map<number, Buffer>();
  const missing = new Set<number>();
  for (const [key] of entries) {
    if (key.length <= seqEnd) continue;
    const id = parseInt(key.slice(seqEnd + 1), 16);
    if (found.has(id)) continue;
    const cached = registry.cached(id);
    if (cached !== undefined) found.set(id, cached);
    else missing.add(id);
  }
  if (missing.size === 0) return found;
  const ids = [...missing];
  const values = await db.getMany(ids.map(bodyKey));
  ids.forEach((id, i) => {
    const value = values[i];
    if (value === undefined) return;
    found.set(id, value);
    registry.remember(id, value);
  });
  return found;
}
