import { copyFile, mkdir, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ClassicLevel } from 'classic-level';
import { recoverAll } from '../../test/conformance/storage-conformance.js';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dir.js';
import { EPOCH_FILE, readEpochFile } from './commit-epoch.js';
import { LevelDatabase, type LevelBatchFn } from './level-database.js';
import { EPOCH_KEY, FORMAT_KEY } from './level-keys.js';
import { LevelMessageStore } from './level-message-store.js';
import { openLevelStorage, type LevelStorage } from './open-level-storage.js';
import { messageRecordOf } from '../message-record.js';

const data = (n: number): Buffer => messageRecordOf(Buffer.from(`message ${n} `.padEnd(100, '.')));

/** The newest LevelDB write-ahead log in `dir`. */
async function newestLog(dir: string): Promise<string> {
  const logs = (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
  expect(logs.length).toBeGreaterThan(0);
  return join(dir, logs[logs.length - 1]!);
}

describe('commit epochs (WAL truncation detection)', () => {
  let dir: string;
  const toClose: LevelStorage[] = [];

  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    for (const storage of toClose.splice(0)) await storage.close();
    await removeTempDir(dir);
  });

  async function open(options: { batchFn?: LevelBatchFn } = {}): Promise<LevelStorage> {
    const storage = await openLevelStorage(dir, options);
    toClose.push(storage);
    return storage;
  }

  async function close(storage: LevelStorage): Promise<void> {
    toClose.splice(toClose.indexOf(storage), 1);
    await storage.close();
  }

  /** Enqueues seqs 1..count into queue `q`, one synced batch each; returns the store's epoch afterwards. */
  async function writeBatches(storage: LevelStorage, count: number): Promise<number> {
    for (let seq = 1; seq <= count; seq++) await storage.messages.enqueue([{ queueId: 'q', seq, data: data(seq) }]);
    return storage.database.commitEpoch;
  }

  it('starts a fresh store at epoch 0 and leaves the sidecar exact after a clean close', async () => {
    const storage = await open();
    expect(storage.database.commitEpoch).toBe(0);
    expect(await readEpochFile(dir)).toBe(0);
    const epoch = await writeBatches(storage, 5);
    expect(epoch).toBe(5);
    // Unsynced batches (removals) carry no epoch.
    await storage.messages.remove('q', [1]);
    expect(storage.database.commitEpoch).toBe(5);
    await close(storage);
    expect(await readEpochFile(dir)).toBe(5);
    const again = await open();
    expect(again.database.commitEpoch).toBe(5);
    expect((await recoverAll(again.messages, 'q')).map((m) => m.seq)).toEqual([2, 3, 4, 5]);
  });

  it('detects a write-ahead log truncated in the middle, which the counters alone cannot', async () => {
    const storage = await open();
    await writeBatches(storage, 40);
    await close(storage);
    const log = await newestLog(dir);
    await truncate(log, Math.floor((await stat(log)).size / 2));

    const error = await openLevelStorage(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CORRUPTED', path: dir });
    expect((error as Error).message).toContain(`the data directory ${dir} is damaged`);
    expect((error as Error).message).toContain('committed writes are missing');
    expect((error as Error).message).toContain(EPOCH_FILE);
    // Refused again on the next attempt: nothing was written in between that could hide the loss.
    await expect(openLevelStorage(dir)).rejects.toMatchObject({ code: 'CORRUPTED' });

    // Negative control, and the documented way to accept the loss: without the sidecar the store opens, the
    // counters match (they were cut with their batches), and fewer messages come back.
    await unlink(join(dir, EPOCH_FILE));
    const accepted = await open();
    expect(await accepted.messages.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
    const left = (await recoverAll(accepted.messages, 'q')).length;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(40);
  });

  it('detects a log cut to nothing rather than adopting the empty database as a new store', async () => {
    const storage = await open();
    await writeBatches(storage, 3);
    await close(storage);
    await truncate(await newestLog(dir), 0);
    await expect(openLevelStorage(dir)).rejects.toMatchObject({ code: 'CORRUPTED', path: dir });
  });

  it('accepts a sidecar that lags behind the database (a crash before its update) and catches it up', async () => {
    const storage = await open();
    await writeBatches(storage, 3);
    await close(storage);
    const lagging = join(dir, '..', `${EPOCH_FILE}-copy-${process.pid}`);
    await copyFile(join(dir, EPOCH_FILE), lagging);
    const more = await open();
    await more.messages.enqueue([{ queueId: 'q', seq: 10, data: data(10) }]);
    await close(more);
    await copyFile(lagging, join(dir, EPOCH_FILE));
    await unlink(lagging);
    expect(await readEpochFile(dir)).toBe(3);

    const reopened = await open();
    expect(reopened.database.commitEpoch).toBe(4);
    expect(await readEpochFile(dir)).toBe(4);
    expect((await recoverAll(reopened.messages, 'q')).map((m) => m.seq)).toEqual([1, 2, 3, 10]);
  });

  it('treats a missing or unreadable sidecar as unknown and rewrites it', async () => {
    const storage = await open();
    await writeBatches(storage, 2);
    await close(storage);
    await unlink(join(dir, EPOCH_FILE));
    await close(await open());
    expect(await readEpochFile(dir)).toBe(2);
    // A torn write (power loss) or garbage fails the format/CRC check instead of reading as a high epoch.
    const line = await readFile(join(dir, EPOCH_FILE), 'latin1');
    await writeFile(join(dir, EPOCH_FILE), line.replace('0000000000000002', '0000000000000009'));
    expect(await readEpochFile(dir)).toBeUndefined();
    await close(await open());
    await writeFile(join(dir, EPOCH_FILE), '');
    await close(await open());
    expect(await readEpochFile(dir)).toBe(2);
  });

  it('never lets the sidecar get ahead of a synced batch that is still in flight', async () => {
    let gate: (() => void) | undefined;
    const storage = await open({
      // Writes the batch, then holds its completion until the test opens the gate.
      batchFn: async (db, ops, options) => {
        await db.batch(ops, options);
        if (ops.some((op) => op.key === 'q!q!m!0000000000000002')) await new Promise<void>((resolve) => (gate = resolve));
      },
    });
    await storage.messages.enqueue([{ queueId: 'q', seq: 1, data: data(1) }]);
    const second = storage.messages.enqueue([{ queueId: 'q', seq: 2, data: data(2) }]);
    for (let turn = 0; gate === undefined; turn++) {
      expect(turn).toBeLessThan(10_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Epoch 2 is in the WAL but not yet reported durable: the sidecar catches up to 1 and stops there.
    expect(storage.database.commitEpoch).toBe(1);
    for (let turn = 0; (await readEpochFile(dir)) !== 1; turn++) {
      expect(turn).toBeLessThan(10_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(await readEpochFile(dir)).toBe(1);
    gate!();
    await second;
    expect(storage.database.commitEpoch).toBe(2);
  });

  it('refuses a sidecar without a database and an unreadable epoch record, naming the directory', async () => {
    const nested = join(dir, 'data');
    await mkdir(nested);
    await writeFile(join(nested, EPOCH_FILE), 'anything');
    const error = await openLevelStorage(nested).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CORRUPTED', path: nested });
    expect((error as Error).message).toContain(`${nested} is damaged`);

    const store = join(dir, 'store');
    await close(toClose[toClose.push(await openLevelStorage(store)) - 1]!);
    const raw = new ClassicLevel<string, Buffer>(store, { valueEncoding: 'buffer' });
    await raw.put(EPOCH_KEY, Buffer.from('bad'));
    await raw.close();
    const unreadable = await openLevelStorage(store).catch((e: unknown) => e);
    expect(unreadable).toMatchObject({ code: 'CORRUPTED', path: store });
    expect((unreadable as Error).message).toContain('commit epoch record is unreadable');
  });

  it('calls a Warren store that lost its format marker damaged, not foreign', async () => {
    const storage = await open();
    await writeBatches(storage, 2);
    await close(storage);
    const raw = new ClassicLevel<string, Buffer>(dir, { valueEncoding: 'buffer' });
    await raw.del(FORMAT_KEY);
    await raw.close();
    const error = await openLevelStorage(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CORRUPTED', path: dir });
    expect((error as Error).message).toContain('format marker is missing');
  });

  it('keeps counting across a reopen after a write fault, and the failed batch never reaches the sidecar', async () => {
    let failing = false;
    const database = new LevelDatabase(dir, {
      batchFn: (db, ops, options) => (failing ? Promise.reject(new Error('IO error: No space left on device')) : db.batch(ops, options)),
    });
    const store = new LevelMessageStore(database);
    await store.open();
    try {
      await store.enqueue([{ queueId: 'q', seq: 1, data: data(1) }]);
      failing = true;
      await expect(store.enqueue([{ queueId: 'q', seq: 2, data: data(2) }])).rejects.toMatchObject({ code: 'DISK_FULL' });
      expect(database.commitEpoch).toBe(1);
      failing = false;
      await store.reopen();
      expect(await readEpochFile(dir)).toBe(1);
      await store.enqueue([{ queueId: 'q', seq: 3, data: data(3) }]);
      expect(database.commitEpoch).toBe(2);
    } finally {
      await store.close();
    }
    expect(await readEpochFile(dir)).toBe(2);
  });
});
