import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dir.js';
import { messageRecordOf } from '../message-record.js';
import { LevelDatabase } from './level-database.js';
import { queuePrefix, rangeEnd } from './level-keys.js';
import { LevelMessageStore } from './level-message-store.js';

const COUNT = 4_000;
// Random bytes: LevelDB compresses its tables, and constant bodies would shrink to nothing.
const bodies = Array.from({ length: COUNT }, () => messageRecordOf(randomBytes(1024)));
const body = (seq: number): Buffer => bodies[seq % COUNT]!;

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('DrainedRangeCompactor (through LevelMessageStore)', () => {
  let dir: string;
  let database: LevelDatabase;
  let store: LevelMessageStore;

  beforeEach(async () => {
    dir = await makeTempDir();
    database = new LevelDatabase(dir);
    // Records stay in LevelDB (no body log): its compaction of the drained key range is what is measured.
    store = new LevelMessageStore(database, { compactAfterRemovals: 1_000, compactionIntervalMs: 0, bodyLogMinBytes: Infinity });
    await store.open();
  });

  afterEach(async () => {
    await store.close();
    await removeTempDir(dir);
  });

  it('compacts the drained key range of a queue, giving the disk back without waiting for LevelDB', async () => {
    for (let seq = 0; seq < COUNT; seq += 500) {
      await store.enqueue(
        Array.from({ length: 500 }, (_, i) => ({
          queueId: 'q',
          seq: seq + i,
          data: body(seq + i),
          index: messageRecordOf(Buffer.from(`i${seq + i}`)),
        })),
      );
    }
    const prefix = queuePrefix('q');
    // Into table files first (LevelDB only measures those), as a long-running store would have them.
    await database.db.compactRange(prefix, rangeEnd(prefix));
    const before = await database.db.approximateSize(prefix, rangeEnd(prefix));
    expect(before).toBeGreaterThan(COUNT * 1024);
    expect(store.compaction.ranges).toBe(0);

    // Half drained: only the range below the new head is compacted; the rest stays readable.
    await store.remove(
      'q',
      Array.from({ length: COUNT / 2 }, (_, i) => i),
    );
    await until(() => store.compaction.runs > 0, 'a compaction');
    const half = await database.db.approximateSize(prefix, rangeEnd(prefix));
    expect(half).toBeLessThan(before * 0.75);
    expect((await store.read('q', [COUNT / 2]))[0]?.data.equals(body(COUNT / 2))).toBe(true);

    await store.purge('q');
    // Purged in steps, each counted: the run after the last step compacts the whole (now empty) queue range.
    await until(async () => (await database.db.approximateSize(prefix, rangeEnd(prefix))) < 64 * 1024, 'an empty range');
    await until(() => store.compaction.runs > 1, 'the run after the purge');
    expect(store.compaction.failures).toBe(0);
    expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
  });

  it('does not compact below the threshold', async () => {
    await store.enqueue(Array.from({ length: 100 }, (_, seq) => ({ queueId: 'q', seq, data: body(seq) })));
    await store.remove(
      'q',
      Array.from({ length: 100 }, (_, seq) => seq),
    );
    // The compactor schedules synchronously when a queue crosses the threshold: nothing is pending here.
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.compaction).toEqual({ runs: 0, ranges: 0, failures: 0 });
  });
});
