import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { recoverAll } from '../../test/conformance/storage-conformance.js';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dir.js';
import { waitFor } from '../../../../test/support/wait-for.js';
import { messageRecordOf, messageRecordPayload } from '../message-record.js';
import { BODY_POINTER_BYTES, decodeBodyPointer, isBodyPointer } from './body-pointer.js';
import { bodySegmentFileName } from './body-segment.js';
import type { LevelBatchOp } from './group-committer.js';
import { LevelDatabase, type LevelBatchFn } from './level-database.js';
import { hex16, queuePrefix } from './level-keys.js';
import { LevelMessageStore, type LevelMessageStoreOptions } from './level-message-store.js';

const KIB = 1024;
const record = (queueId: string, seq: number, size = KIB): Buffer => messageRecordOf(Buffer.from(`${queueId}#${seq}`.padEnd(size, '.')));
const text = (data: Buffer | undefined): string | undefined => data && messageRecordPayload(data).toString().replace(/\.+$/, '');
const seqs = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const entries = (queueId: string, from: number, to: number, size = KIB) =>
  seqs(from, to).map((seq) => ({ queueId, seq, data: record(queueId, seq, size) }));

describe('LevelMessageStore body log (persistent records in segment files)', () => {
  let dir: string;
  let database: LevelDatabase;
  let store: LevelMessageStore;
  const bodyFiles = (): string[] => readdirSync(join(dir, 'bodies')).sort();

  async function open(options: LevelMessageStoreOptions = {}, batchFn?: LevelBatchFn): Promise<void> {
    database = new LevelDatabase(dir, batchFn && { batchFn });
    store = new LevelMessageStore(database, { bodySegmentBytes: 64 * KIB, bodyCollectDelayMs: 0, ...options });
    await store.open();
  }

  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await store.close();
    await removeTempDir(dir);
  });

  it('keeps a 17-byte pointer in LevelDB and the record in a segment file, small records in LevelDB itself', async () => {
    await open();
    await store.enqueue([...entries('q', 1, 3), ...entries('q', 4, 4, 100)]);
    const values = await database.db.getMany(seqs(1, 4).map((seq) => `${queuePrefix('q')}m!${hex16(seq)}`));
    expect(values.slice(0, 3).every((value) => value !== undefined && isBodyPointer(value) && value.length === BODY_POINTER_BYTES)).toBe(
      true,
    );
    expect(isBodyPointer(values[3]!)).toBe(false);
    expect(bodyFiles()).toEqual([bodySegmentFileName(1)]);
    expect((await store.read('q', [3, 1, 4, 2])).map((m) => text(m?.data))).toEqual(['q#3', 'q#1', 'q#4', 'q#2']);
  });

  it('appends each queue to its own lane of segments, a deleted queue’s lane going to the next queue', async () => {
    await open({ bodyLanes: 2 });
    const segmentsOf = async (queueId: string, from: number, to: number): Promise<Set<number>> => {
      const values = await database.db.getMany(seqs(from, to).map((seq) => `${queuePrefix(queueId)}m!${hex16(seq)}`));
      return new Set(values.map((value) => decodeBodyPointer(value!).segment));
    };
    // Interleaved in every commit group, yet each queue's records lie together in its own segments.
    for (let from = 1; from <= 200; from += 20) await store.enqueue([...entries('a', from, from + 19), ...entries('b', from, from + 19)]);
    const a = await segmentsOf('a', 1, 200);
    const b = await segmentsOf('b', 1, 200);
    expect(a.size).toBeGreaterThanOrEqual(3); // 200 KiB in 64 KiB segments
    expect([...a].filter((segment) => b.has(segment))).toEqual([]);
    // Two lanes, two queues: once `a` is deleted, the next queue (`d`) gets its lane, not `b`'s.
    await store.deleteQueue('a');
    for (let from = 1; from <= 100; from += 20)
      await store.enqueue([...entries('d', from, from + 19), ...entries('b', from + 200, from + 219)]);
    const d = await segmentsOf('d', 1, 100);
    const later = await segmentsOf('b', 201, 300);
    expect([...d].filter((segment) => later.has(segment))).toEqual([]);
    expect((await store.read('d', seqs(1, 100))).map((m) => text(m?.data))).toEqual(seqs(1, 100).map((seq) => `d#${seq}`));
  });

  it('writes every record before the batch that points at it', async () => {
    const checked: string[] = [];
    // A hand-written spy on the batch function: at the moment LevelDB gets a pointer, its record is in the file.
    const batchFn: LevelBatchFn = (db, ops: LevelBatchOp[], options) => {
      for (const op of ops) {
        if (op.type !== 'put' || !isBodyPointer(op.value)) continue;
        const pointer = decodeBodyPointer(op.value);
        const file = readFileSync(join(dir, 'bodies', bodySegmentFileName(pointer.segment)));
        const stored = file.subarray(pointer.offset, pointer.offset + pointer.length);
        checked.push(text(stored)!);
      }
      return db.batch(ops, options);
    };
    await open({}, batchFn);
    await Promise.all([store.enqueue(entries('a', 1, 50)), store.enqueue(entries('b', 1, 50))]);
    await store.enqueue(entries('a', 51, 200));
    expect(checked).toHaveLength(250);
    expect(new Set(checked)).toEqual(new Set([...seqs(1, 200).map((seq) => `a#${seq}`), ...seqs(1, 50).map((seq) => `b#${seq}`)]));
  });

  it('rolls segments, and gives a drained backlog its disk back: each file goes once no queue stores a seq in it', async () => {
    await open();
    for (let from = 1; from <= 400; from += 50) await store.enqueue([...entries('a', from, from + 49), ...entries('b', from, from + 49)]);
    expect(bodyFiles().length).toBeGreaterThanOrEqual(12); // 800 KiB in 64 KiB segments
    // One message of `a` left unacknowledged keeps the segment it is in, and only that one.
    await store.remove(
      'a',
      seqs(1, 400).filter((seq) => seq !== 150),
    );
    await store.remove('b', seqs(1, 400));
    await waitFor(() => store.bodySegmentCount === 1, { timeoutMs: 10_000 });
    await waitFor(() => bodyFiles().length === 1, { timeoutMs: 10_000 });
    expect((await store.read('a', [150])).map((m) => text(m?.data))).toEqual(['a#150']);
    await store.remove('a', [150]);
    await waitFor(() => bodyFiles().length === 0, { timeoutMs: 10_000 });
    // Appends go on in a new segment.
    await store.enqueue(entries('a', 401, 402));
    expect((await store.read('a', [401, 402])).map((m) => text(m?.data))).toEqual(['a#401', 'a#402']);
  });

  it('drops segments whose records are removed before they are even written, without a fault', async () => {
    await open();
    for (let round = 0; round < 20; round++) {
      const from = round * 100 + 1;
      // Not awaited: the removal lands while the records are still being written (or not yet), and the collection
      // may run in between.
      const enqueued = store.enqueue(entries('fast', from, from + 99));
      const removed = store.remove('fast', seqs(from, from + 99));
      await Promise.all([enqueued, removed]);
    }
    expect(store.health).toEqual({ status: 'ok' });
    await store.enqueue(entries('fast', 5000, 5000));
    expect((await store.read('fast', [5000])).map((m) => text(m?.data))).toEqual(['fast#5000']);
    await store.remove('fast', [5000]);
    // At most the segment still taking appends is left (it goes once dead and 1/16 full, or at the next open).
    await waitFor(() => bodyFiles().length <= 1 && store.bodySegmentCount <= 1, { timeoutMs: 10_000 });
  });

  it('keeps at most bodyReadHandles files open for reads, reopening closed ones as needed', async () => {
    await open({ bodyReadHandles: 2 });
    await store.enqueue(entries('q', 1, 400));
    await store.close();
    await open({ bodyReadHandles: 2 });
    const openBodyFiles = (): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(join(dir, 'bodies'));
        } catch {
          return false; // closed while listed
        }
      }).length;
    expect(bodyFiles().length).toBeGreaterThanOrEqual(6);
    for (let round = 0; round < 2; round++) {
      for (let from = 1; from <= 400; from += 25) {
        expect((await store.read('q', seqs(from, from + 24))).map((m) => text(m?.data))).toEqual(
          seqs(from, from + 24).map((seq) => `q#${seq}`),
        );
        expect(openBodyFiles()).toBeLessThanOrEqual(2);
      }
    }
  });

  it('drops a deleted queue’s segments', async () => {
    await open();
    await store.enqueue(entries('gone', 1, 200));
    await store.enqueue(entries('kept', 1, 3));
    await store.deleteQueue('gone');
    await waitFor(() => store.bodySegmentCount === 1, { timeoutMs: 10_000 });
    expect((await recoverAll(store, 'kept')).map((m) => text(m.data))).toEqual(['kept#1', 'kept#2', 'kept#3']);
  });

  it('reads records of earlier runs after a restart, and appends to a new segment', async () => {
    await open();
    await store.enqueue(entries('q', 1, 100));
    const before = bodyFiles();
    await store.close();
    await open();
    await store.enqueue(entries('q', 101, 110));
    expect(bodyFiles().slice(0, before.length)).toEqual(before);
    expect(bodyFiles().length).toBe(before.length + 1);
    expect((await recoverAll(store, 'q')).map((m) => text(m.data))).toEqual(seqs(1, 110).map((seq) => `q#${seq}`));
    expect((await store.readIndex('q', 95, 10)).map((e) => e.seq)).toEqual(seqs(95, 104));
  });

  it('removes at open a segment file no committed record names (a crash’s leftover), and reports one that is gone', async () => {
    await open();
    await store.enqueue(entries('q', 1, 100));
    await store.close();
    writeFileSync(join(dir, 'bodies', bodySegmentFileName(99)), 'written before a crash, never committed');
    await unlink(join(dir, 'bodies', bodySegmentFileName(1)));
    await open();
    expect(store.bodyOrphansRemoved).toBe(1);
    expect(bodyFiles()).not.toContain(bodySegmentFileName(99));
    const report = await store.verifyIntegrity({ quick: true });
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([expect.stringMatching(/^body segment 1 is missing/)]);
    // Messages in the lost segment are quarantined, never served as something else; the others still are.
    const read = await store.read('q', seqs(1, 100));
    expect(read.filter((m) => m !== undefined).length).toBeGreaterThan(0);
    const lost = read.findIndex((m) => m === undefined);
    expect(lost).toBe(0);
    expect((await store.verifyIntegrity({ quick: true })).quarantined).toContainEqual(expect.objectContaining({ queueId: 'q', seq: 1 }));
    // A new segment does not take the missing one's number.
    await store.enqueue(entries('q', 101, 101));
    expect(bodyFiles()).not.toContain(bodySegmentFileName(1));
    // Once no queue stores a seq in the missing segment (the lost messages removed), it is no longer reported.
    await store.remove('q', seqs(1, 100));
    await waitFor(async () => (await store.verifyIntegrity({ quick: true })).ok, { timeoutMs: 10_000 });
    await store.close();
    await open();
    expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
  });

  it('quarantines a message whose pointer claims more than its segment holds, without reading (or allocating) that much', async () => {
    await open();
    await store.enqueue(entries('q', 1, 3));
    const key = `${queuePrefix('q')}m!${hex16(2)}`;
    const pointer = (await database.db.get(key))!;
    pointer.writeUInt32BE(0xfffffff0, 9); // the length field
    await database.db.put(key, pointer, { sync: true });
    const read = await store.read('q', [1, 2, 3]);
    expect(read.map((m) => text(m?.data))).toEqual(['q#1', undefined, 'q#3']);
    const { quarantined } = await store.verifyIntegrity({ quick: true });
    expect(quarantined).toEqual([expect.objectContaining({ queueId: 'q', seq: 2, reason: expect.stringMatching(/truncated/) })]);
  });

  it('refuses to open a data directory whose database is gone while its bodies are not', async () => {
    await open();
    await store.enqueue(entries('q', 1, 3));
    await store.close();
    for (const name of readdirSync(dir)) if (name !== 'bodies') await rm(join(dir, name), { recursive: true });
    database = new LevelDatabase(dir);
    store = new LevelMessageStore(database);
    await expect(store.open()).rejects.toMatchObject({ code: 'CORRUPTED' });
  });
});
