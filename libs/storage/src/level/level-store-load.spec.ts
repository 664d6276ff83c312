import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ClassicLevel } from 'classic-level';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dir.js';
import { messageRecordOf, messageRecordPayload } from '../message-record.js';
import type { StoredIndexEntry } from '../message-store.js';
import { LevelDatabase } from './level-database.js';
import { hex16, queuePrefix, rangeEnd } from './level-keys.js';
import { SEGMENTS_PREFIX } from './segment-range-records.js';
import { LevelMessageStore } from './level-message-store.js';
import { LIVE_RUNS_KEY } from './level-live-runs.js';

const msg = (seq: number): Buffer => messageRecordOf(Buffer.from(`body ${seq} `.padEnd(200, '.')));
const idx = (seq: number): Buffer => messageRecordOf(Buffer.from(`index ${seq}`));
const OK = { ok: true, queues: [], errors: [], quarantined: [] };

/** Every key the database hands out (iterators, gets) and the range of every value iterator opened, while `fn` runs. */
async function readsDuring(fn: () => Promise<void>): Promise<{ keys: string[]; valueIterators: string[] }> {
  const proto = ClassicLevel.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const keys: string[] = [];
  const valueIterators: string[] = [];
  // Wrappers over abstract-level's methods, installed on ClassicLevel.prototype for the duration of `fn`.
  const originalKeys = proto['keys']!;
  const originalIterator = proto['iterator']!;
  const originalValues = proto['values']!;
  const originalGetMany = proto['getMany']!;
  const originalGet = proto['get']!;
  proto['keys'] = function (this: unknown, ...args: unknown[]) {
    const it = originalKeys.apply(this, args) as { nextv(n: number): Promise<string[]> };
    const nextv = it.nextv.bind(it);
    it.nextv = async (n: number) => {
      const chunk = await nextv(n);
      keys.push(...chunk);
      return chunk;
    };
    return it;
  };
  proto['iterator'] = function (this: unknown, ...args: unknown[]) {
    const options = (args[0] ?? {}) as { gte?: string; lt?: string; values?: boolean };
    const it = originalIterator.apply(this, args) as { nextv(n: number): Promise<Array<[string, Buffer]>> };
    // keys() is built on iterator({ values: false }) and records its keys itself.
    if (options.values === false) return it;
    valueIterators.push(`${options.gte}..${options.lt}`);
    const nextv = it.nextv.bind(it);
    it.nextv = async (n: number) => {
      const chunk = await nextv(n);
      keys.push(...chunk.map(([key]) => key));
      return chunk;
    };
    return it;
  };
  proto['values'] = function (this: unknown, ...args: unknown[]) {
    valueIterators.push('values');
    return originalValues.apply(this, args);
  };
  proto['getMany'] = function (this: unknown, ...args: unknown[]) {
    keys.push(...(args[0] as string[]));
    return originalGetMany.apply(this, args);
  };
  proto['get'] = function (this: unknown, ...args: unknown[]) {
    keys.push(args[0] as string);
    return originalGet.apply(this, args);
  };
  try {
    await fn();
  } finally {
    // The wrappers shadow abstract-level's methods on ClassicLevel.prototype: removing them restores those.
    for (const name of ['keys', 'iterator', 'values', 'getMany', 'get']) delete proto[name];
  }
  return { keys, valueIterators };
}

describe('LevelMessageStore.open', () => {
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

  /** Closes, then removes the runs a clean close saves (level-live-runs.ts), as a crash leaves none, and opens. */
  async function reopenAsAfterCrash(): Promise<LevelDatabase> {
    await store.close();
    const raw = new ClassicLevel<string, Buffer>(dir, { valueEncoding: 'buffer' });
    await raw.open();
    await raw.del(LIVE_RUNS_KEY, { sync: true });
    await raw.close();
    const database = new LevelDatabase(dir);
    store = new LevelMessageStore(database);
    await store.open();
    return database;
  }

  async function entries(queueId: string): Promise<StoredIndexEntry[]> {
    const out: StoredIndexEntry[] = [];
    for await (const entry of store.recoverIndex(queueId)) out.push(entry);
    return out;
  }

  async function fill(queueId: string, count: number, withIndex: boolean): Promise<void> {
    for (let seq = 1; seq <= count; seq += 1_000) {
      const seqs = Array.from({ length: Math.min(1_000, count - seq + 1) }, (_, i) => seq + i);
      await store.enqueue(seqs.map((s) => ({ queueId, seq: s, data: msg(s), index: withIndex ? idx(s) : undefined })));
    }
  }

  it('after a clean close, reads no key per message: the stored seqs come from the runs it saved', async () => {
    await fill('a', 5_000, true);
    await store.remove('a', [1, 2, 4_999]);
    await fill('empty', 2, true);
    await store.remove('empty', [1, 2]);
    await store.close();
    const database = new LevelDatabase(dir);
    store = new LevelMessageStore(database);
    const reads = await readsDuring(() => store.open());
    expect(reads.keys.filter((key) => key.includes('!m!') || key.includes('!i!'))).toEqual([]);
    expect(await store.queueInfo('a')).toEqual({ nextSeq: 5_001, messageCount: 4_997 });
    expect(await store.queueInfo('empty')).toEqual({ nextSeq: 3, messageCount: 0 });
    expect((await store.readIndex('a', 0, 3)).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect((await store.readIndex('a', 4_998, 10)).map((e) => e.seq)).toEqual([4_998, 5_000]);
    expect(await store.verifyIntegrity()).toEqual(OK);
    // Used once: the record is gone, so a crash from here on loads the slower way.
    expect(await database.db.get(LIVE_RUNS_KEY)).toBeUndefined();
    await store.remove('a', [3]);
    await store.close();
    store = new LevelMessageStore(new LevelDatabase(dir));
    await store.open();
    expect(await store.queueInfo('a')).toEqual({ nextSeq: 5_001, messageCount: 4_996 });
  });

  it('after a crash, reads neither a message key nor a message value of a queue its index records account for', async () => {
    await fill('a', 5_000, true);
    await fill('b', 3_000, true);
    await store.remove('a', [1, 2, 4_999]);
    store.markDelivered('b', [1, 2, 3]);
    await reopenAsAfterCrash();
    await store.close();
    const raw = new ClassicLevel<string, Buffer>(dir, { valueEncoding: 'buffer' });
    await raw.open();
    await raw.del(LIVE_RUNS_KEY, { sync: true });
    await raw.close();

    const database = new LevelDatabase(dir);
    store = new LevelMessageStore(database);
    const reads = await readsDuring(() => store.open());
    expect(reads.keys.filter((key) => key.includes('!m!'))).toEqual([]);
    // The one range read with values: the body log's segment records (a few per 64 MiB segment, none per message).
    expect(reads.valueIterators).toEqual([`${SEGMENTS_PREFIX}..${rangeEnd(SEGMENTS_PREFIX)}`]);
    // It did read the index records (the first of each queue twice: the cursor's step into it) and counters.
    expect(new Set(reads.keys.filter((key) => key.includes('!i!'))).size).toBe(4_997 + 3_000);
    expect(reads.keys).toContain(`${queuePrefix('a')}meta`);

    expect(await store.queueInfo('a')).toEqual({ nextSeq: 5_001, messageCount: 4_997 });
    expect(await store.queueInfo('b')).toEqual({ nextSeq: 3_001, messageCount: 3_000 });
    expect(await store.verifyIntegrity({ quick: true })).toEqual(OK);
    const a = await entries('a');
    expect(a).toHaveLength(4_997);
    expect([a[0]!.seq, a.at(-1)!.seq]).toEqual([3, 5_000]);
    expect(messageRecordPayload(a[0]!.index!).toString()).toBe('index 3');
    expect(store.recordsRead).toBe(0);
    expect((await entries('b'))[0]).toMatchObject({ seq: 1, mayHaveBeenDelivered: true });
    expect(await store.verifyIntegrity()).toEqual(OK);
    // New seqs continue after the recovered ones.
    await expect(store.enqueue([{ queueId: 'a', seq: 5_000, data: msg(5_000) }])).rejects.toThrow(RangeError);
  });

  it('scans the message keys of a queue stored without index records (older versions), and only of it', async () => {
    await fill('indexed', 100, true);
    await fill('legacy', 100, false);
    await store.close();
    const database = new LevelDatabase(dir);
    store = new LevelMessageStore(database);
    const reads = await readsDuring(() => store.open());
    const messageKeys = reads.keys.filter((key) => key.includes('!m!'));
    // The cursor's step into the queue reads its first key once more.
    expect(new Set(messageKeys).size).toBe(100);
    expect(messageKeys.every((key) => key.startsWith(queuePrefix('legacy')))).toBe(true);
    expect(await store.queueInfo('legacy')).toEqual({ nextSeq: 101, messageCount: 100 });
    const legacy = await entries('legacy');
    expect(legacy.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(legacy[0]!.data!.equals(msg(1))).toBe(true);
    expect(await store.verifyIntegrity()).toEqual(OK);
  });

  it('serves no message whose record is gone behind its index record: read() quarantines it, the full check reports it', async () => {
    await fill('q', 3, true);
    const database = await reopen();
    await database.db.del(`${queuePrefix('q')}m!${hex16(2)}`, { sync: true });
    await reopen();
    // Open trusts counters and index records: the loss is found lazily.
    expect(await store.verifyIntegrity({ quick: true })).toEqual(OK);
    expect((await entries('q')).map((e) => e.seq)).toEqual([1, 2, 3]);
    const read = await store.read('q', [1, 2, 3]);
    expect(read.map((m) => m?.seq)).toEqual([1, undefined, 3]);
    const quarantined = [{ queueId: 'q', seq: 2, reason: expect.stringContaining('message record missing') }];
    expect((await store.verifyIntegrity({ quick: true })).quarantined).toEqual(quarantined);
    const full = await store.verifyIntegrity();
    expect(full).toEqual({
      ok: false,
      queues: [{ queueId: 'q', expected: 3, found: 2 }],
      errors: ['index record 2 of queue q has no message'],
      quarantined,
    });
    await store.remove('q', [2]);
    expect(await store.verifyIntegrity()).toEqual(OK);
  });

  it('falls back to the message keys when an index record is lost, and recovers that message from its body', async () => {
    await fill('q', 3, true);
    const database = await reopen();
    await database.db.del(`${queuePrefix('q')}i!${hex16(2)}`, { sync: true });
    await reopenAsAfterCrash();
    expect(await store.queueInfo('q')).toEqual({ nextSeq: 4, messageCount: 3 });
    const recovered = await entries('q');
    expect(recovered.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(recovered[1]!.data!.equals(msg(2))).toBe(true);
    expect(await store.verifyIntegrity({ quick: true })).toEqual(OK);
  });

  it('reports at open a queue whose messages and index records were lost together (counters ahead)', async () => {
    await fill('q', 5, true);
    const database = await reopen();
    await database.db.batch(
      [
        { type: 'del', key: `${queuePrefix('q')}m!${hex16(3)}` },
        { type: 'del', key: `${queuePrefix('q')}i!${hex16(3)}` },
      ],
      { sync: true },
    );
    await reopenAsAfterCrash();
    expect(await store.verifyIntegrity({ quick: true })).toEqual({ ...OK, ok: false, queues: [{ queueId: 'q', expected: 5, found: 4 }] });
    expect((await store.verifyIntegrity()).queues).toEqual([{ queueId: 'q', expected: 5, found: 4 }]);
  });
});
