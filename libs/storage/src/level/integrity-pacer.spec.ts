import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { waitFor } from '../../../../test/support/wait-for.js';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dir.js';
import type { IntegrityReport } from '../message-store.js';
import { messageRecordOf } from '../message-record.js';
import type { IntegrityPacerOptions } from './integrity-pacer.js';
import { type LevelStorage, openLevelStorage } from './open-level-storage.js';

const OK: IntegrityReport = { ok: true, queues: [], errors: [], quarantined: [] };
const QUIET_MS = 150;
const MESSAGES = 3_000;

/**
 * Removes the oldest message and stores a new one, each in its own batch, until stopped: a steady stream of batches
 * as a drain writes them, with the queue's length unchanged. Resolves `stop()` with the messages removed.
 */
function startAcking(storage: LevelStorage): { stop: () => Promise<number> } {
  let stopped = false;
  let seq = 0;
  const loop = (async () => {
    while (!stopped) {
      await storage.messages.remove('q', [seq]);
      await storage.messages.enqueue([
        { queueId: 'q', seq: MESSAGES + seq, data: messageRecordOf(Buffer.from('n')), index: Buffer.from([1]) },
      ]);
      seq++;
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return seq;
    },
  };
}

/** Tracks when a promise settles. */
function track<T>(promise: Promise<T>): { settledAt: () => number | undefined; promise: Promise<T> } {
  let at: number | undefined;
  const settled = promise.finally(() => (at = Date.now()));
  settled.catch(() => undefined);
  return { settledAt: () => at, promise: settled };
}

describe('the background integrity check yields to a drain (integrity-pacer.ts)', () => {
  let dir: string;
  let storage: LevelStorage | undefined;

  async function open(options: IntegrityPacerOptions): Promise<LevelStorage> {
    storage = await openLevelStorage(dir, options);
    // 3,000 messages with index records: 6,000 keys, several slices of a paced scan.
    const entries = Array.from({ length: MESSAGES }, (_, i) => ({
      queueId: 'q',
      seq: i,
      data: messageRecordOf(Buffer.from(`m${i}`)),
      index: Buffer.from([i & 0xff]),
    }));
    await storage.messages.enqueue(entries);
    return storage;
  }

  beforeEach(async () => {
    dir = await makeTempDir('warren-integrity-pacer');
  });

  afterEach(async () => {
    await storage?.close();
    storage = undefined;
    await removeTempDir(dir);
  });

  it('waits while batches are being written and runs once they stop', async () => {
    const store = await open({ integrityQuietMs: QUIET_MS, integrityMaxDeferMs: 120_000 });
    const acking = startAcking(store);
    const before = store.database.stats.batches;
    const startedAt = Date.now();
    const check = track(store.messages.verifyIntegrity({ background: true }));
    // Several quiet periods long, and many batches: a check that did not wait would have finished by now.
    await waitFor(() => Date.now() - startedAt > 4 * QUIET_MS && store.database.stats.batches > before + 50, { timeoutMs: 30_000 });
    expect(check.settledAt()).toBeUndefined();
    const removed = await acking.stop();
    const stoppedAt = Date.now();
    expect(removed).toBeGreaterThan(25);
    expect(await check.promise).toEqual(OK);
    expect(check.settledAt()!).toBeGreaterThanOrEqual(stoppedAt);
    expect((await store.messages.queueInfo('q'))?.messageCount).toBe(MESSAGES);
  });

  it('starts anyway after integrityMaxDeferMs and finishes, paced, while the drain goes on', async () => {
    const store = await open({ integrityQuietMs: 60_000, integrityMaxDeferMs: 100, integrityPauseMs: 5 });
    const acking = startAcking(store);
    try {
      const check = track(store.messages.verifyIntegrity({ background: true }));
      await waitFor(() => check.settledAt() !== undefined, { timeoutMs: 30_000, what: 'the deferred check to finish' });
      // Counted on one snapshot: the removals racing it do not show up as mismatches.
      expect(await check.promise).toEqual(OK);
    } finally {
      await acking.stop();
    }
  });

  it('does not wait when asked directly (without background)', async () => {
    const store = await open({ integrityQuietMs: 60_000, integrityMaxDeferMs: 60_000 });
    const acking = startAcking(store);
    try {
      expect(await store.messages.verifyIntegrity()).toEqual(OK);
    } finally {
      await acking.stop();
    }
  });

  it('ends a waiting check when the store closes', async () => {
    const store = await open({ integrityQuietMs: 60_000, integrityMaxDeferMs: 60_000 });
    const acking = startAcking(store);
    const check = track(store.messages.verifyIntegrity({ background: true }));
    await waitFor(() => store.database.stats.batches > 20);
    await acking.stop();
    await store.close();
    storage = undefined;
    await expect(check.promise).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
