import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ClassicLevel } from 'classic-level';
import {
  describeMessageStoreConformance,
  describeMetadataStoreConformance,
  recoverAll,
} from '../../test/conformance/storage-conformance.js';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dir.js';
import { checkMessageRecord, messageRecordOf, messageRecordPayload } from '../message-record.js';
import { StorageError } from '../storage-error.js';
import { LevelDatabase, type LevelBatchFn } from './level-database.js';
import { BODIES_PREFIX, FORMAT_KEY, hex16, queuePrefix, rangeEnd } from './level-keys.js';
import { LevelMessageStore, type LevelMessageStoreOptions } from './level-message-store.js';
import { decodeBodyPointer, isBodyPointer } from './body-pointer.js';
import { bodySegmentFileName } from './body-segment.js';
import { LevelMetadataStore } from './level-metadata-store.js';
import { openLevelStorage } from './open-level-storage.js';
import { decodeCounters } from './queue-counters.js';

/** A batch function that fails whenever `writeFault` returns an error (a hand-written fake, not a mock). */
function faultyBatch(writeFault: () => Error | undefined): LevelBatchFn {
  return (db, ops, options) => {
    const error = writeFault();
    return error === undefined ? db.batch(ops, options) : Promise.reject(error);
  };
}

/** The LevelDB backend's conformance harness; `options` picks where records go (inline, or the body log). */
function levelHarness(options: LevelMessageStoreOptions): Parameters<typeof describeMessageStoreConformance>[1] {
  return {
    persistent: true,
    async create() {
      const dir = await makeTempDir();
      const opened: LevelMessageStore[] = [];
      let last: LevelDatabase | undefined;
      return {
        async open(openOptions = {}) {
          const { writeFault } = openOptions;
          last = new LevelDatabase(dir, writeFault && { batchFn: faultyBatch(writeFault) });
          const store = new LevelMessageStore(last, options);
          await store.open();
          opened.push(store);
          return store;
        },
        committedBatches: () => last!.stats.batches,
        async damage(queueId, seq) {
          // Straight into the open database or segment file, bypassing the store: what a flipped bit on disk reads as.
          const key = `${queuePrefix(queueId)}m!${hex16(seq)}`;
          const value = await last!.db.get(key);
          if (isBodyPointer(value!)) {
            const pointer = decodeBodyPointer(value!);
            const file = await open(join(dir, 'bodies', bodySegmentFileName(pointer.segment)), 'r+');
            const byte = Buffer.alloc(1);
            const at = pointer.offset + pointer.length - 1;
            await file.read(byte, 0, 1, at);
            byte[0]! ^= 0x01;
            await file.write(byte, 0, 1, at);
            await file.close();
            return;
          }
          value![value!.length - 1]! ^= 0x01;
          await last!.db.put(key, value!, { sync: true });
        },
        async dispose() {
          for (const store of opened) await store.close();
          await removeTempDir(dir);
        },
      };
    },
  };
}

describeMessageStoreConformance('LevelDB', levelHarness({}));
// Every record in the body log, in segments small enough to roll within a test, dropped as soon as they are dead.
describeMessageStoreConformance(
  'LevelDB, every record in the body log',
  levelHarness({ bodyLogMinBytes: 0, bodySegmentBytes: 4096, bodyCollectDelayMs: 0 }),
);

describeMetadataStoreConformance('LevelDB', {
  persistent: true,
  async create() {
    const dir = await makeTempDir();
    const opened: LevelMetadataStore[] = [];
    return {
      async open() {
        const store = new LevelMetadataStore(new LevelDatabase(dir));
        await store.open();
        opened.push(store);
        return store;
      },
      async dispose() {
        for (const store of opened) await store.close();
        await removeTempDir(dir);
      },
    };
  },
});

/** Opens `dir` with plain classic-level, the way an operator (or a bug) would touch it behind Warren's back. */
async function withRawLevel(dir: string, fn: (db: ClassicLevel<string, Buffer>) => Promise<void>): Promise<void> {
  const db = new ClassicLevel<string, Buffer>(dir, { valueEncoding: 'buffer' });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

const data = (text: string): Buffer => messageRecordOf(Buffer.from(text));

describe('LevelDB storage', () => {
  let dir: string;
  const toClose: Array<{ close(): Promise<void> }> = [];

  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    for (const closable of toClose.splice(0)) await closable.close();
    await removeTempDir(dir);
  });

  async function open(path = dir) {
    const storage = await openLevelStorage(path);
    toClose.push(storage);
    return storage;
  }

  describe('opening', () => {
    it('refuses a directory holding other files, naming it', async () => {
      await writeFile(join(dir, 'notes.txt'), 'not a database');
      const error = await openLevelStorage(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'NOT_A_WARREN_STORE', path: dir });
      expect((error as Error).message).toContain(dir);
    });

    it('refuses a LevelDB database that is not a Warren store', async () => {
      await withRawLevel(dir, (db) => db.put('someone-else', data('x')));
      await expect(openLevelStorage(dir)).rejects.toMatchObject({ code: 'NOT_A_WARREN_STORE', path: dir });
    });

    it('refuses a file in place of the directory', async () => {
      const file = join(dir, 'file');
      await writeFile(file, 'x');
      await expect(openLevelStorage(file)).rejects.toMatchObject({ code: 'NOT_A_WARREN_STORE', path: file });
    });

    it('reports LOCKED, naming the directory, when it is already open', async () => {
      await open();
      const error = await openLevelStorage(dir).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'LOCKED', path: dir });
      expect((error as Error).message).toContain(dir);
    });

    it('creates the format marker in a missing directory and adopts an empty LevelDB without one', async () => {
      const fresh = join(dir, 'nested', 'data');
      const storage = await openLevelStorage(fresh);
      await storage.close();
      await withRawLevel(fresh, async (db) => expect((await db.get(FORMAT_KEY))?.toString()).toBe('warren-storage/3'));
      const empty = join(dir, 'empty');
      await withRawLevel(empty, async () => undefined);
      await (await openLevelStorage(empty)).close();
    });

    it('shares one database between messages and metadata, and one batch per turn', async () => {
      const storage = await open();
      const before = storage.database.stats.batches;
      await Promise.all([
        storage.metadata.apply([{ type: 'put', kind: 'queue', key: '/q', value: data('queue') }]),
        storage.messages.enqueue([{ queueId: '/q', seq: 1, data: data('m') }]),
      ]);
      expect(storage.database.stats.batches - before).toBe(1);
      await storage.close();
      const again = await open();
      expect((await again.metadata.load()).map((r) => r.key)).toEqual(['/q']);
      expect((await recoverAll(again.messages, '/q')).map((m) => m.seq)).toEqual([1]);
    });
  });

  describe('integrity', () => {
    it('reports a queue that lost a message behind the store’s back, with expected and found', async () => {
      const storage = await open();
      await storage.messages.enqueue([1, 2, 3, 4, 5].map((seq) => ({ queueId: 'a', seq, data: data(`a${seq}`) })));
      await storage.messages.enqueue([1, 2].map((seq) => ({ queueId: 'b', seq, data: data(`b${seq}`) })));
      expect((await storage.messages.verifyIntegrity()).ok).toBe(true);
      await storage.close();

      await withRawLevel(dir, async (db) => {
        const keys = await db.keys({ gte: 'q!a!m!', lt: 'q!a!m"' }).all();
        expect(keys).toHaveLength(5);
        await db.del(keys[2]!);
      });

      const reopened = await open();
      expect(await reopened.messages.verifyIntegrity()).toEqual({
        ok: false,
        queues: [{ queueId: 'a', expected: 5, found: 4 }],
        errors: [],
        quarantined: [],
      });
      // Still readable, so an operator can salvage what is left.
      expect((await recoverAll(reopened.messages, 'a')).map((m) => m.seq)).toEqual([1, 2, 4, 5]);
      // A rescan after new writes still sees the loss.
      await reopened.messages.enqueue([{ queueId: 'b', seq: 3, data: data('b3') }]);
      expect((await reopened.messages.verifyIntegrity()).queues).toEqual([{ queueId: 'a', expected: 5, found: 4 }]);
    });

    it('reports a missing shared body and refuses to recover the queue silently', async () => {
      const storage = await open();
      const body = messageRecordOf(Buffer.alloc(5000, 1));
      await storage.messages.enqueue(['a', 'b'].map((queueId) => ({ queueId, seq: 1, data: body })));
      await storage.close();
      await withRawLevel(dir, async (db) => {
        const bodies = await db.keys({ gte: BODIES_PREFIX, lt: rangeEnd(BODIES_PREFIX) }).all();
        expect(bodies).toHaveLength(1);
        await db.del(bodies[0]!);
      });
      const reopened = await open();
      const report = await reopened.messages.verifyIntegrity();
      expect(report.ok).toBe(false);
      expect(report.errors).toEqual([expect.stringContaining('missing')]);
      await expect(recoverAll(reopened.messages, 'a')).rejects.toMatchObject({ code: 'CORRUPTED' });
    });
  });

  describe('checksums', () => {
    it('opens a format-1 store: its records are served as they were (sealed), new ones are checked', async () => {
      // What Warren wrote before checksums: marker /1, 33-byte counters, bare message bytes.
      const v1Counters = Buffer.alloc(33);
      v1Counters[0] = 1;
      [3, 2, 0, 1].forEach((n, i) => v1Counters.writeDoubleBE(n, 1 + 8 * i));
      await withRawLevel(dir, async (db) => {
        await db.put(FORMAT_KEY, Buffer.from('warren-storage/1'));
        await db.put('q!old!meta', v1Counters);
        await db.put(`q!old!m!${hex16(1)}`, Buffer.from('legacy-1'));
        // Bare bytes that happen to look like a body-log pointer (format byte 0x02, 17 bytes): still a record.
        await db.put(`q!old!m!${hex16(2)}`, Buffer.from('\u0002legacy-2 16bytes'));
      });
      const storage = await open();
      expect(await storage.messages.verifyIntegrity()).toMatchObject({ ok: true });
      await storage.messages.enqueue([{ queueId: 'old', seq: 3, data: data('new-3') }]);
      const recovered = await recoverAll(storage.messages, 'old');
      expect(recovered.map((m) => [m.seq, messageRecordPayload(m.data).toString(), checkMessageRecord(m.data)])).toEqual([
        [1, 'legacy-1', undefined],
        [2, '\u0002legacy-2 16bytes', undefined],
        [3, 'new-3', undefined],
      ]);
      // Delivered up to 1 (format-1 watermark) is kept.
      expect(recovered.map((m) => m.mayHaveBeenDelivered)).toEqual([true, false, false]);
      await storage.close();
      await withRawLevel(dir, async (db) => expect((await db.get(FORMAT_KEY))?.toString()).toBe('warren-storage/3'));
      const again = await open();
      expect((await recoverAll(again.messages, 'old')).map((m) => m.seq)).toEqual([1, 2, 3]);
    });

    it('quarantines every queue entry of a damaged shared body', async () => {
      const storage = await open();
      const body = messageRecordOf(Buffer.alloc(6000, 3));
      await storage.messages.enqueue(['a', 'b'].map((queueId) => ({ queueId, seq: 1, data: body })));
      await storage.messages.enqueue([{ queueId: 'a', seq: 2, data: data('intact') }]);
      await storage.close();
      await withRawLevel(dir, async (db) => {
        const [key] = await db.keys({ gte: BODIES_PREFIX, lt: rangeEnd(BODIES_PREFIX) }).all();
        const value = (await db.get(key!))!;
        value[3000]! ^= 0x10;
        await db.put(key!, value);
      });
      const again = await open();
      expect((await recoverAll(again.messages, 'a')).map((m) => m.seq)).toEqual([2]);
      expect(await recoverAll(again.messages, 'b')).toEqual([]);
      expect((await again.messages.verifyIntegrity()).quarantined.map((q) => [q.queueId, q.seq])).toEqual([
        ['a', 1],
        ['b', 1],
      ]);
    });
  });

  describe('delivered watermark', () => {
    it('is on disk ahead of a delivery before the delivery may leave, one wait per half reserve', async () => {
      const storage = await openLevelStorage(dir, { deliveryReserve: 8 });
      toClose.push(storage);
      const store = storage.messages;
      await store.enqueue(Array.from({ length: 20 }, (_, i) => ({ queueId: 'q', seq: i, data: data(`m${i}`) })));
      const onDisk = async (): Promise<number> => decodeCounters((await storage.database.db.get('q!q!meta'))!, 'q').deliveredHwm;
      const waits: number[] = [];
      for (let seq = 0; seq < 20; seq++) {
        const cover = store.coverDelivery('q', seq);
        if (cover !== undefined) {
          waits.push(seq);
          await cover;
        }
        // What a crash right after this delivery would find.
        expect(await onDisk()).toBeGreaterThanOrEqual(seq);
        store.markDelivered('q', [seq]);
      }
      // The first delivery waits; later reserves are renewed at half way, so at most one wait per half reserve
      // (none when the renewal commits before the previous reserve runs out).
      expect(waits[0]).toBe(0);
      expect(waits.length).toBeLessThanOrEqual(20 / 4);
      await storage.close();
      await withRawLevel(dir, async (db) => expect(decodeCounters((await db.get('q!q!meta'))!, 'q').deliveredHwm).toBe(19));
    });
  });

  describe('shared bodies', () => {
    it('stores a fanout body once and deletes it with the last reference', async () => {
      const storage = await open();
      const body = messageRecordOf(Buffer.alloc(10_000, 7));
      await storage.messages.enqueue(['a', 'b', 'c'].map((queueId) => ({ queueId, seq: 1, data: body })));
      await storage.messages.remove('a', [1]);
      await storage.close();
      await withRawLevel(dir, async (db) => {
        expect(await db.keys({ gte: BODIES_PREFIX, lt: rangeEnd(BODIES_PREFIX) }).all()).toHaveLength(1);
        const values = await db.values({ gte: 'q!', lt: 'q"' }).all();
        // Counters (3 × 41 B) + two empty references: the 10 kB body is not copied per queue.
        expect(values.reduce((sum, v) => sum + v.length, 0)).toBeLessThan(200);
      });
      const again = await open();
      await again.messages.remove('b', [1]);
      await again.messages.deleteQueue('c');
      await again.close();
      await withRawLevel(dir, async (db) => {
        expect(await db.keys({ gte: BODIES_PREFIX, lt: rangeEnd(BODIES_PREFIX) }).all()).toEqual([]);
      });
    });
  });

  describe('faults', () => {
    it('rejects writes queued behind a failed batch and comes back consistent after reopen', async () => {
      let failNext = false;
      const database = new LevelDatabase(dir, {
        batchFn: (db, ops, options) => {
          if (!failNext) return db.batch(ops, options);
          failNext = false;
          // Fail after a delay, so later calls queue up behind this in-flight batch.
          return new Promise((_, reject) => setTimeout(() => reject(new Error('IO error: device gone')), 20));
        },
      });
      const store = new LevelMessageStore(database);
      await store.open();
      toClose.push(store);
      await store.enqueue([{ queueId: 'q', seq: 1, data: data('1') }]);
      failNext = true;
      const first = store.enqueue([{ queueId: 'q', seq: 2, data: data('2') }]);
      await new Promise((resolve) => setImmediate(resolve));
      const queued = store.enqueue([{ queueId: 'q', seq: 3, data: data('3') }]);
      const removal = store.remove('q', [1]);
      await expect(first).rejects.toMatchObject({ code: 'IO_ERROR', path: dir });
      await expect(queued).rejects.toMatchObject({ code: 'IO_ERROR' });
      await expect(removal).rejects.toMatchObject({ code: 'IO_ERROR' });
      await store.reopen();
      expect((await recoverAll(store, 'q')).map((m) => m.seq)).toEqual([1]);
      expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
    });

    it('faults when the handle is closed underneath it, and reopen() recovers', async () => {
      const storage = await open();
      await storage.messages.enqueue([{ queueId: 'q', seq: 1, data: data('1') }]);
      await storage.database.db.close();
      await expect(storage.messages.enqueue([{ queueId: 'q', seq: 2, data: data('2') }])).rejects.toBeInstanceOf(StorageError);
      expect(storage.messages.health.status).toBe('faulted');
      await expect(storage.metadata.load()).rejects.toBeInstanceOf(StorageError);
      await storage.messages.reopen();
      expect((await recoverAll(storage.messages, 'q')).map((m) => m.seq)).toEqual([1]);
      await storage.messages.enqueue([{ queueId: 'q', seq: 2, data: data('2') }]);
      expect(await storage.metadata.load()).toEqual([]);
    });
  });
});
