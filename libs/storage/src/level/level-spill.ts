import type { LevelDatabase } from './level-database.js';
import { fromLevelError } from './level-errors.js';
import { SPILL_PREFIX, rangeEnd } from './level-keys.js';

/**
 * Drops transient records an older Warren spilled into LevelDB itself (`t!<queue>!<seq>`, before file-spill.ts)
 * and left behind in a crash: garbage now, outside every range the start-up scan, the counters and the integrity
 * check look at, so nothing else would ever remove them.
 */
export async function wipeLevelSpill(database: LevelDatabase): Promise<void> {
  const range = { gte: SPILL_PREFIX, lt: rangeEnd(SPILL_PREFIX) };
  try {
    // Usually there is nothing; a compaction would also move the write-ahead log into tables, which only leftovers
    // are worth.
    if ((await database.db.keys({ ...range, limit: 1 }).all()).length === 0) return;
    await database.db.clear(range);
    await database.db.compactRange(SPILL_PREFIX, rangeEnd(SPILL_PREFIX));
  } catch (error) {
    throw fromLevelError(error, 'cannot write', database.path);
  }
}
