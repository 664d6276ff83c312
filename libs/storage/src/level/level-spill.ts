import { checkMessageRecord } from '../message-record.js';
import type { EnqueueEntry } from '../message-store.js';
import type { LevelDatabase } from './level-database.js';
import { fromLevelError } from './level-errors.js';
import { SPILL_PREFIX, escapeQueueId, hex16, rangeEnd } from './level-keys.js';

const RESOLVED = Promise.resolve();

/** Key prefix of one queue's spilled records. */
function spillPrefix(queueId: string): string {
  return `${SPILL_PREFIX}${escapeQueueId(queueId)}!`;
}

/**
 * Transient paging for the LevelDB store (MessageStore.spill): bodies that must not survive a restart, under
 * `t!<queue>!<seq>`, outside every range the start-up scan, the counters and the integrity check look at. Written
 * through the shared group commit without a sync (nothing is promised after a crash), and wiped at open, so a crash
 * can leave none behind for the next start.
 */
export class LevelSpill {
  constructor(private readonly database: LevelDatabase) {}

  /** Drops every spilled record (at open, before anything can spill). */
  async wipe(): Promise<void> {
    const range = { gte: SPILL_PREFIX, lt: rangeEnd(SPILL_PREFIX) };
    try {
      // Usually there is nothing (a clean shutdown drops nothing but leaves nothing either way after a drain); a
      // compaction would also move the write-ahead log into tables, which only leftovers are worth.
      if ((await this.database.db.keys({ ...range, limit: 1 }).all()).length === 0) return;
      await this.database.db.clear(range);
      await this.database.db.compactRange(SPILL_PREFIX, rangeEnd(SPILL_PREFIX));
    } catch (error) {
      throw fromLevelError(error, 'cannot write', this.database.path);
    }
  }

  /** Spilled records present right now (tests: none after a restart). */
  async count(): Promise<number> {
    await this.database.flush();
    let count = 0;
    for await (const key of this.database.db.keys({ gte: SPILL_PREFIX, lt: rangeEnd(SPILL_PREFIX) })) if (key) count++;
    return count;
  }

  write(entries: ReadonlyArray<EnqueueEntry>): Promise<void> {
    if (entries.length === 0) return RESOLVED;
    const group = this.database.beginWrite(entries.length);
    for (const { queueId, seq, data } of entries) group.ops.push({ type: 'put', key: spillPrefix(queueId) + hex16(seq), value: data });
    return group.done;
  }

  async read(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<Buffer | undefined>> {
    if (seqs.length === 0) return [];
    const prefix = spillPrefix(queueId);
    let values: Array<Buffer | undefined>;
    try {
      values = await this.database.db.getMany(seqs.map((seq) => prefix + hex16(seq)));
    } catch (error) {
      throw fromLevelError(error, 'cannot read', this.database.path);
    }
    // Transient: a damaged record is simply not served (the broker drops the message), nothing to quarantine.
    return values.map((value) => (value !== undefined && checkMessageRecord(value) === undefined ? value : undefined));
  }

  drop(queueId: string, seqs: ReadonlyArray<number>): Promise<void> {
    if (seqs.length === 0) return RESOLVED;
    const prefix = spillPrefix(queueId);
    const group = this.database.beginWrite(seqs.length);
    for (const seq of seqs) group.ops.push({ type: 'del', key: prefix + hex16(seq) });
    return group.done;
  }
}
