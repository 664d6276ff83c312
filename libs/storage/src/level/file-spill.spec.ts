import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageRecordOf, messageRecordPayload } from '../message-record.js';
import { StorageError } from '../storage-error.js';
import { FileSpill } from './file-spill.js';
import { SPILL_RECORD_HEADER_BYTES } from './spill-segment.js';

const record = (queueId: string, seq: number, size = 0): Buffer => messageRecordOf(Buffer.from(`${queueId}#${seq}${'.'.repeat(size)}`));
const text = (data: Buffer | undefined): string | undefined => data && messageRecordPayload(data).toString().replace(/\.+$/, '');
const seqs = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const entries = (queueId: string, from: number, to: number, size = 0) =>
  seqs(from, to).map((seq) => ({ queueId, seq, data: record(queueId, seq, size) }));

describe('FileSpill (transient paging in segment files)', () => {
  let root: string;
  let dir: string;
  let spill: FileSpill;
  const files = (): string[] => readdirSync(dir).sort();

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'warren-file-spill-'));
    dir = join(root, 'spill');
    spill = new FileSpill(dir, { segmentBytes: 64 * 1024 });
    await spill.wipe();
  });

  afterEach(async () => {
    await spill.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads records back in any order until dropped; unknown seqs and queues read undefined', async () => {
    await spill.write(entries('a', 1, 40));
    await spill.write([...entries('b', 1, 2), ...entries('a', 41, 41)]);
    expect((await spill.read('a', [41, 3, 1, 40, 99, 0])).map(text)).toEqual(['a#41', 'a#3', 'a#1', 'a#40', undefined, undefined]);
    expect((await spill.read('b', [2, 1])).map(text)).toEqual(['b#2', 'b#1']);
    expect(await spill.read('nope', [1])).toEqual([undefined]);
    await spill.drop('a', [40, 2, 2, 77]);
    await spill.drop('nope', [1]);
    expect((await spill.read('a', [1, 2, 3, 40, 41])).map(text)).toEqual(['a#1', undefined, 'a#3', undefined, 'a#41']);
    expect(await spill.count()).toBe(41 - 2 + 2);
  });

  it('reads what a write still in flight will hold, and a drop issued before the write finished wins', async () => {
    const writing = spill.write(entries('q', 1, 3));
    const reading = spill.read('q', [1, 2, 3]);
    await spill.drop('q', [2]);
    expect((await reading).map(text)).toEqual(['q#1', 'q#2', 'q#3']);
    await writing;
    expect((await spill.read('q', [1, 2, 3])).map(text)).toEqual(['q#1', undefined, 'q#3']);
  });

  it('the batches of one turn go out as one write, and each caller hears its outcome', async () => {
    const before = spill.writeCalls;
    await Promise.all(Array.from({ length: 10 }, (_, q) => spill.write(entries(`q${q}`, 1, 5))));
    expect(spill.writeCalls).toBe(before + 1);
    for (let q = 0; q < 10; q++) expect((await spill.read(`q${q}`, seqs(1, 5))).map(text)).toEqual(seqs(1, 5).map((seq) => `q${q}#${seq}`));
    await spill.write(entries('q0', 6, 6));
    expect(spill.writeCalls).toBe(before + 2);
  });

  it('finds records written out of seq order and across full 32-record runs', async () => {
    await spill.write(entries('q', 100, 170));
    await spill.write(entries('q', 40, 60));
    await spill.write(entries('q', 5, 5));
    const all = [...seqs(100, 170), ...seqs(40, 60), 5];
    expect((await spill.read('q', all)).map(text)).toEqual(all.map((seq) => `q#${seq}`));
    expect(await spill.read('q', [99, 61, 6, 4])).toEqual([undefined, undefined, undefined, undefined]);
    // Every bit of a full run (seq 131 is bit 31 of the run from 100).
    await spill.drop('q', [131, 100, 132]);
    expect((await spill.read('q', [130, 131, 132, 133])).map(text)).toEqual(['q#130', undefined, undefined, 'q#133']);
    expect(await spill.count()).toBe(71 + 21 + 1 - 3);
  });

  it('a seq written again replaces its earlier record (as a put over a key would)', async () => {
    await spill.write(entries('q', 1, 10));
    await spill.write([{ queueId: 'q', seq: 5, data: messageRecordOf(Buffer.from('again')) }]);
    expect((await spill.read('q', [4, 5, 6])).map(text)).toEqual(['q#4', 'again', 'q#6']);
    expect(await spill.count()).toBe(10);
    await spill.drop('q', [5]);
    expect(await spill.read('q', [5])).toEqual([undefined]);
  });

  it('unlinks a segment once all its records are dropped, in any order', async () => {
    // ~1 KiB records, 64 KiB segments: 200 records fill 4 files.
    for (let from = 1; from <= 200; from += 20) await spill.write(entries('q', from, from + 19, 1000));
    expect(spill.segmentCount).toBeGreaterThanOrEqual(3);
    const before = files().length;
    expect(before).toBe(spill.segmentCount);
    // Drop the first ~half out of order: the first segment goes, the rest stays readable.
    await spill.drop('q', seqs(1, 100).reverse());
    await spill.settled();
    expect(files().length).toBeLessThan(before);
    expect((await spill.read('q', [100, 101, 200])).map(text)).toEqual([undefined, 'q#101', 'q#200']);
    await spill.drop('q', seqs(101, 200));
    await spill.settled();
    expect(files()).toEqual([]);
    expect(await spill.count()).toBe(0);
    // Writing again opens a new segment.
    await spill.write(entries('q', 201, 201));
    expect((await spill.read('q', [201])).map(text)).toEqual(['q#201']);
    expect(files()).toHaveLength(1);
  });

  it('keeps queues apart: many queues interleaved in one batch, each drained on its own', async () => {
    const batch = [];
    for (let seq = 1; seq <= 50; seq++) for (let q = 0; q < 20; q++) batch.push({ queueId: `q${q}`, seq, data: record(`q${q}`, seq) });
    await spill.write(batch);
    for (let q = 0; q < 20; q++) {
      expect((await spill.read(`q${q}`, seqs(1, 50))).map(text)).toEqual(seqs(1, 50).map((seq) => `q${q}#${seq}`));
      await spill.drop(`q${q}`, seqs(1, 50));
    }
    await spill.settled();
    expect(await spill.count()).toBe(0);
    expect(files()).toEqual([]);
  });

  it('does not serve a damaged or short record, and serves the rest', async () => {
    await spill.write(entries('q', 1, 5, 100));
    const [file] = files();
    const path = join(dir, file!);
    const recordBytes = SPILL_RECORD_HEADER_BYTES + record('q', 1, 100).length;
    const handle = await open(path, 'r+');
    try {
      // A flipped byte in the body of seq 2, then a cut in the middle of seq 5.
      await handle.write(Buffer.from([0xff]), 0, 1, recordBytes + SPILL_RECORD_HEADER_BYTES + 20);
      await handle.truncate(4 * recordBytes + 30);
    } finally {
      await handle.close();
    }
    expect((await spill.read('q', seqs(1, 5))).map(text)).toEqual(['q#1', undefined, 'q#3', 'q#4', undefined]);
  });

  it('a damaged seq loses only its record, a damaged length the rest of its run', async () => {
    await spill.write(entries('q', 1, 3));
    await spill.write(entries('q', 4, 6));
    const [file] = files();
    const recordBytes = SPILL_RECORD_HEADER_BYTES + record('q', 1).length;
    const handle = await open(join(dir, file!), 'r+');
    try {
      await handle.write(Buffer.from([0, 0, 0, 9]), 0, 4, 4); // seq 1 now claims to be seq 9
      await handle.write(Buffer.from([0, 0, 0, 1]), 0, 4, 4 * recordBytes + 8); // seq 5's length: 1 byte
    } finally {
      await handle.close();
    }
    expect((await spill.read('q', seqs(1, 6))).map(text)).toEqual([undefined, 'q#2', 'q#3', 'q#4', undefined, undefined]);
  });

  it('a failed write rejects every batch of its turn with a StorageError and leaves nothing readable', async () => {
    rmSync(dir, { recursive: true, force: true });
    const outcomes = await Promise.allSettled([spill.write(entries('q', 1, 3)), spill.write(entries('r', 1, 1))]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as StorageError;
      expect(error).toBeInstanceOf(StorageError);
      expect(error.code).toBe('IO_ERROR');
    }
    expect(await spill.read('q', [1, 2, 3])).toEqual([undefined, undefined, undefined]);
    expect(await spill.read('r', [1])).toEqual([undefined]);
    expect(await spill.count()).toBe(0);
  });

  it('wipe() removes the segments a previous run left and forgets every record; foreign files stay', async () => {
    await spill.write(entries('q', 1, 3));
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    const leftover = new FileSpill(dir);
    // A crashed run's files: the new instance has never heard of them.
    await leftover.wipe();
    expect(files()).toEqual(['notes.txt']);
    await spill.wipe();
    expect(await spill.read('q', [1])).toEqual([undefined]);
    expect(await spill.count()).toBe(0);
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  it('drains 100,000 records through many segments back to an empty directory', async () => {
    const big = new FileSpill(join(root, 'big'), { segmentBytes: 256 * 1024 });
    await big.wipe();
    try {
      for (let from = 1; from <= 100_000; from += 10_000) await big.write(entries('q', from, from + 9_999));
      expect(await big.count()).toBe(100_000);
      expect((await big.read('q', [1, 50_000, 100_000])).map(text)).toEqual(['q#1', 'q#50000', 'q#100000']);
      for (let from = 1; from <= 100_000; from += 10_000) {
        const batch = seqs(from, from + 9_999);
        expect((await big.read('q', batch)).every((data) => data !== undefined)).toBe(true);
        await big.drop('q', batch);
      }
      await big.settled();
      expect(await big.count()).toBe(0);
      expect(readdirSync(join(root, 'big'))).toEqual([]);
    } finally {
      await big.close();
    }
  });
});
