import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dir.js';
import { messageRecordOf, messageRecordPayload } from '../message-record.js';
import type { StoredIndexEntry } from '../message-store.js';
import { LevelDatabase } from './level-database.js';
import { hex16, queuePrefix } from './level-keys.js';
import { LevelMessageStore } from './level-message-store.js';

const msg = (seq: number): Buffer => messageRecordOf(Buffer.from(`body ${seq}`));
const idx = (seq: number): Buffer => messageRecordOf(Buffer.from(`index ${seq}`));

describe('LevelMessageStore.recoverIndex', () => {
  let dir: string;
  let store: LevelMessageStore;

  beforeEach(async () => {
    dir = await makeTempDir();
    store = new LevelMessageStore(new LevelDatabase(dir));
    await store.open();
  });

  afterEach(async () => {
    await store.close();
    await removeTempDir(dir);
  });

  async function reopen(): Promise<LevelDatabase> {
    await store.close();
    const database = new LevelDatabase(dir);
    store = new LevelMessageStore(database);
    await store.open();
    return database;
  }

  async function entries(): Promise<StoredIndexEntry[]> {
    const out: StoredIndexEntry[] = [];
    for await (const entry of store.recoverIndex('q')) out.push(entry);
    return out;
  }

  it('reads no body for an intact index, and the body of a message whose index record is damaged', async () => {
    await store.enqueue([1, 2, 3].map((seq) => ({ queueId: 'q', seq, data: msg(seq), index: idx(seq) })));
    const database = await reopen();
    expect((await entries()).map((e) => e.index && messageRecordPayload(e.index).toString())).toEqual(['index 1', 'index 2', 'index 3']);
    expect(store.recordsRead).toBe(0);

    // A flipped bit in the index record of seq 2, behind the store's back.
    const key = `${queuePrefix('q')}i!${hex16(2)}`;
    const value = (await database.db.get(key))!;
    value[value.length - 1]! ^= 0x01;
    await database.db.put(key, value, { sync: true });
    await reopen();
    const recovered = await entries();
    expect(recovered.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(recovered[1]!.index).toBeUndefined();
    expect(recovered[1]!.data!.equals(msg(2))).toBe(true);
    expect(store.recordsRead).toBe(1);
    expect((await store.verifyIntegrity()).ok).toBe(true);
  });

  it('reports an index record left without its message', async () => {
    await store.enqueue([{ queueId: 'q', seq: 1, data: msg(1), index: idx(1) }]);
    const database = await reopen();
    await database.db.del(`${queuePrefix('q')}m!${hex16(1)}`, { sync: true });
    await reopen();
    const report = await store.verifyIntegrity();
    expect(report.errors).toEqual(['index record 1 of queue q has no message']);
  });
});

describe('LevelMessageStore.readIndex with bodies', () => {
  let dir: string;
  let database: LevelDatabase;
  let store: LevelMessageStore;
  // Every third record big enough for the body log, the others in LevelDB itself.
  const record = (seq: number): Buffer => messageRecordOf(Buffer.from(`body ${seq}`.padEnd(seq % 3 === 0 ? 600 : 10, '.')));

  beforeEach(async () => {
    dir = await makeTempDir();
    database = new LevelDatabase(dir);
    store = new LevelMessageStore(database);
    await store.open();
    const seqs = Array.from({ length: 40 }, (_, i) => i + 1);
    await store.enqueue(seqs.map((seq) => ({ queueId: 'q', seq, data: record(seq), index: idx(seq) })));
  });

  afterEach(async () => {
    await store.close();
    await removeTempDir(dir);
  });

  it('returns the records instead of the index records, in seq order, skipping removed seqs', async () => {
    await store.remove('q', [5]);
    const entries = await store.readIndex('q', 0, 10, { withBodies: true });
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
    expect(entries.every((e) => e.index === undefined && e.data!.equals(record(e.seq)))).toBe(true);
    expect(store.recordsRead).toBe(10);
    // Without the option: index records, no record read.
    const indexOnly = await store.readIndex('q', 12, 3);
    expect(indexOnly.map((e) => e.index && messageRecordPayload(e.index).toString())).toEqual(['index 12', 'index 13', 'index 14']);
    expect(store.recordsRead).toBe(10);
  });

  it('gives the index record of a message whose record is missing, so the body read reports it', async () => {
    await database.db.del(`${queuePrefix('q')}m!${hex16(3)}`, { sync: true });
    const entries = await store.readIndex('q', 1, 4, { withBodies: true });
    expect(entries.map((e) => [e.seq, e.data ? 'data' : e.index && messageRecordPayload(e.index).toString()])).toEqual([
      [1, 'data'],
      [2, 'data'],
      [3, 'index 3'],
      [4, 'data'],
    ]);
    expect(await store.read('q', [3])).toEqual([undefined]);
    const { quarantined } = await store.verifyIntegrity({ quick: true });
    expect(quarantined).toEqual([expect.objectContaining({ queueId: 'q', seq: 3 })]);
  });

  it('quarantines a damaged record and leaves it out, as read() does', async () => {
    const key = `${queuePrefix('q')}m!${hex16(2)}`;
    const value = (await database.db.get(key))!;
    value[value.length - 1]! ^= 0x01;
    await database.db.put(key, value, { sync: true });
    const entries = await store.readIndex('q', 1, 4, { withBodies: true });
    expect(entries.map((e) => e.seq)).toEqual([1, 3, 4, 5]);
    const { quarantined } = await store.verifyIntegrity({ quick: true });
    expect(quarantined).toEqual([expect.objectContaining({ queueId: 'q', seq: 2 })]);
  });
});
