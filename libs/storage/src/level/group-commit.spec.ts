import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { recoverAll } from '../../test/conformance/storage-conformance.js';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dir.js';
import { GroupCommitter, type LevelBatchOp } from './group-committer.js';
import { StorageError } from '../storage-error.js';
import { LevelDatabase, type LevelBatchFn } from './level-database.js';
import { LevelMessageStore } from './level-message-store.js';
import { LevelMetadataStore } from './level-metadata-store.js';
import { messageRecordOf } from '../message-record.js';

interface RecordedBatch {
  readonly ops: LevelBatchOp[];
  readonly sync: boolean;
}

/** A batch function that records what it writes, then writes it (a hand-written spy). */
function recordingBatch(log: RecordedBatch[]): LevelBatchFn {
  return (db, ops, options) => {
    log.push({ ops: [...ops], sync: options.sync });
    return db.batch(ops, options);
  };
}

const data = (n: number): Buffer => messageRecordOf(Buffer.from(`m${n}`));
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LevelDB group commit', () => {
  let dir: string;
  let log: RecordedBatch[];
  let database: LevelDatabase;
  let messages: LevelMessageStore;
  let metadata: LevelMetadataStore;

  async function openWith(maxBatchOps?: number): Promise<void> {
    database = new LevelDatabase(dir, { batchFn: recordingBatch(log), maxBatchOps });
    messages = new LevelMessageStore(database);
    metadata = new LevelMetadataStore(database);
    await messages.open();
    await metadata.open();
  }

  beforeEach(async () => {
    dir = await makeTempDir();
    log = [];
  });
  afterEach(async () => {
    await metadata.close();
    await messages.close();
    await removeTempDir(dir);
  });

  it('syncs batches with enqueues or topology, not removals or delivery marks', async () => {
    await openWith();
    await messages.enqueue([{ queueId: 'q', seq: 1, data: data(1) }]);
    await messages.remove('q', [1]);
    await messages.enqueue([{ queueId: 'q', seq: 2, data: data(2) }]);
    messages.markDelivered('q', [2]);
    await database.flush();
    await metadata.apply([{ type: 'put', kind: 'vhost', key: '/', value: data(0) }]);
    expect(log.map((batch) => batch.sync)).toEqual([true, false, true, false, true]);
  });

  it('writes the counters in the same batch as the messages they count', async () => {
    await openWith();
    await Promise.all([
      messages.enqueue([{ queueId: 'a', seq: 1, data: data(1) }]),
      messages.enqueue([{ queueId: 'b', seq: 1, data: data(1) }]),
      messages.enqueue([{ queueId: 'a', seq: 2, data: data(2) }]),
    ]);
    expect(log).toHaveLength(1);
    expect(log[0]!.ops.map((op) => op.key)).toEqual([
      'q!a!m!0000000000000001',
      'q!b!m!0000000000000001',
      'q!a!m!0000000000000002',
      'q!a!meta',
      'q!b!meta',
      // Every synced batch also carries the next commit epoch (commit-epoch.ts).
      'warren!epoch',
    ]);
  });

  it('persists a delivery mark without any other write', async () => {
    await openWith();
    await messages.enqueue([{ queueId: 'q', seq: 1, data: data(1) }]);
    messages.markDelivered('q', [1]);
    await nextTurn();
    await database.flush();
    expect(log).toHaveLength(2);
    expect(log[1]).toMatchObject({ sync: false, ops: [{ type: 'put', key: 'q!q!meta' }] });
  });

  it('merges calls made while a commit is in flight into the next batch', async () => {
    await openWith();
    const first = messages.enqueue([{ queueId: 'q', seq: 0, data: data(0) }]);
    await nextTurn(); // the first batch is now in flight
    const later: Promise<void>[] = [];
    for (let turn = 1; turn <= 3; turn++) {
      for (let i = 0; i < 100; i++) {
        const seq = turn * 100 + i;
        later.push(messages.enqueue([{ queueId: 'q', seq, data: data(seq) }]));
      }
      await Promise.resolve();
    }
    await Promise.all([first, ...later]);
    expect(log.length).toBeLessThanOrEqual(3);
    expect((await recoverAll(messages, 'q')).length).toBe(301);
  });

  it('seals a group at the size cap without splitting a call', async () => {
    await openWith(100);
    const calls = Array.from({ length: 1000 }, (_, i) => messages.enqueue([{ queueId: `q${i % 3}`, seq: i, data: data(i) }]));
    const big = messages.enqueue(Array.from({ length: 250 }, (_, i) => ({ queueId: 'big', seq: i, data: data(i) })));
    await Promise.all([...calls, big]);
    expect(log.length).toBeGreaterThanOrEqual(10);
    const withBig = log.filter((batch) => batch.ops.some((op) => op.key.startsWith('q!big!m!')));
    expect(withBig).toHaveLength(1);
    expect(withBig[0]!.ops.filter((op) => op.key.startsWith('q!big!m!'))).toHaveLength(250);
    // The cap counts callers' ops; the seal adds up to 3 counters and the commit epoch.
    for (const batch of log.filter((b) => b !== withBig[0])) expect(batch.ops.length).toBeLessThanOrEqual(100 + 3 + 1);
    expect(await messages.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
  });

  it('counts a removal only once when it races its own enqueue', async () => {
    await openWith();
    const enqueued = messages.enqueue([{ queueId: 'q', seq: 1, data: data(1) }]);
    const removed = messages.remove('q', [1, 1]);
    await Promise.all([enqueued, removed]);
    expect(log).toHaveLength(1);
    expect(log[0]!.ops.map((op) => op.key)).toEqual(['q!q!m!0000000000000001', 'q!q!m!0000000000000001', 'q!q!meta', 'warren!epoch']);
    expect(log[0]!.ops.map((op) => op.type)).toEqual(['put', 'del', 'put', 'put']);
    expect(await messages.queueInfo('q')).toEqual({ nextSeq: 2, messageCount: 0 });
  });
});

describe('GroupCommitter write barriers', () => {
  it('writes a batch only once its barrier settled, and fails it and what was queued behind it when the barrier fails', async () => {
    const written: string[][] = [];
    const committer = new GroupCommitter(
      (ops) => {
        written.push(ops.map((op) => op.key));
        return Promise.resolve();
      },
      (error) => new StorageError('IO_ERROR', String(error)),
      1_000,
    );
    let release: (() => void) | undefined;
    let fail: ((error: Error) => void) | undefined;
    let turn = 0;
    committer.addWriteBarrier(() => {
      turn++;
      if (turn === 1) return new Promise<void>((resolve) => (release = resolve));
      if (turn === 2) return undefined;
      return new Promise<void>((_, reject) => (fail = reject));
    });
    const first = committer.group(1);
    first.ops.push({ type: 'del', key: 'a' });
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(written).toEqual([]);
    release!();
    await first.done;
    expect(written).toEqual([['a']]);

    const second = committer.group(1);
    second.ops.push({ type: 'del', key: 'b' });
    await second.done;
    expect(written).toEqual([['a'], ['b']]);

    const third = committer.group(1);
    third.ops.push({ type: 'del', key: 'c' });
    for (let i = 0; i < 3; i++) await nextTurn();
    const fourth = committer.group(1);
    fourth.ops.push({ type: 'del', key: 'd' });
    fail!(new Error('EIO: fdatasync'));
    await expect(third.done).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(fourth.done).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(written).toEqual([['a'], ['b']]);
  });
});
