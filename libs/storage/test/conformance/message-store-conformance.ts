import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { messageRecordOf, messageRecordPayload } from '../../src/message-record.js';
import type { MessageStore } from '../../src/message-store.js';
import { StorageError } from '../../src/storage-error.js';
import { type MessageStoreFactory, type MessageStoreHarness, recoverAll } from './conformance-harness.js';
import { describeIndexConformance } from './message-store-index-conformance.js';
import { describeReadConformance } from './message-store-read-conformance.js';
import { describeSpillConformance } from './message-store-spill-conformance.js';

const msg = (queueId: string, seq: number): Buffer => messageRecordOf(Buffer.from(`${queueId}#${seq}`));
/** The payload of a recovered record, as text. */
const text = (data: Buffer): string => messageRecordPayload(data).toString();

/** Deterministic pseudo-random numbers, so a failing interleaving can be replayed. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Registers the MessageStore conformance cases under `describe(name)`. */
export function describeMessageStoreConformance(name: string, factory: MessageStoreFactory): void {
  describe(`MessageStore conformance: ${name}`, () => {
    let harness: MessageStoreHarness;
    let store: MessageStore;

    beforeEach(async () => {
      harness = await factory.create();
      store = await harness.open();
    });
    afterEach(async () => {
      await harness.dispose();
    });

    /** Simulates a broker restart: a new instance over the same data (or the same instance if not persistent). */
    async function restart(): Promise<MessageStore> {
      if (!factory.persistent) return store;
      await store.close();
      store = await harness.open();
      return store;
    }

    const seqsOf = async (queueId: string): Promise<number[]> => (await recoverAll(store, queueId)).map((m) => m.seq);

    describe('enqueue and recover', () => {
      it('recovers messages in seq order with their data', async () => {
        await store.enqueue([1, 2, 5].map((seq) => ({ queueId: 'q', seq, data: msg('q', seq) })));
        await store.enqueue([{ queueId: 'q', seq: 7, data: msg('q', 7) }]);
        await restart();
        const recovered = await recoverAll(store, 'q');
        expect(recovered.map((m) => m.seq)).toEqual([1, 2, 5, 7]);
        expect(recovered.map((m) => text(m.data))).toEqual(['q#1', 'q#2', 'q#5', 'q#7']);
        expect(recovered.every((m) => m.queueId === 'q' && m.deliveryCount === 0 && !m.mayHaveBeenDelivered)).toBe(true);
      });

      it('resolves an empty enqueue and recovers nothing for an unknown queue', async () => {
        await expect(store.enqueue([])).resolves.toBeUndefined();
        expect(await recoverAll(store, 'nope')).toEqual([]);
        expect(await store.queueIds()).toEqual([]);
      });

      it('streams a large queue in order', async () => {
        const entries = Array.from({ length: 3000 }, (_, i) => ({ queueId: 'big', seq: i, data: msg('big', i) }));
        await store.enqueue(entries.slice(0, 2000));
        await store.enqueue(entries.slice(2000));
        await restart();
        let expected = 0;
        for await (const m of store.recover('big')) {
          expect(m.seq).toBe(expected);
          expect(text(m.data)).toBe(`big#${expected}`);
          expected++;
        }
        expect(expected).toBe(3000);
      });

      it('lets a consumer stop recovering early', async () => {
        await store.enqueue(Array.from({ length: 50 }, (_, i) => ({ queueId: 'q', seq: i, data: msg('q', i) })));
        const seen: number[] = [];
        for await (const m of store.recover('q')) {
          seen.push(m.seq);
          if (seen.length === 3) break;
        }
        expect(seen).toEqual([0, 1, 2]);
        expect(await seqsOf('q')).toHaveLength(50);
      });

      it('rejects a seq that does not grow, and stores nothing of that call', async () => {
        await store.enqueue([{ queueId: 'q', seq: 5, data: msg('q', 5) }]);
        await expect(store.enqueue([{ queueId: 'q', seq: 5, data: msg('q', 5) }])).rejects.toBeInstanceOf(RangeError);
        await expect(
          store.enqueue([
            { queueId: 'other', seq: 1, data: msg('other', 1) },
            { queueId: 'q', seq: 4, data: msg('q', 4) },
          ]),
        ).rejects.toBeInstanceOf(RangeError);
        await expect(
          store.enqueue([
            { queueId: 'r', seq: 3, data: msg('r', 3) },
            { queueId: 'r', seq: 3, data: msg('r', 3) },
          ]),
        ).rejects.toBeInstanceOf(RangeError);
        await expect(store.enqueue([{ queueId: 'q', seq: 6.5, data: msg('q', 6) }])).rejects.toBeInstanceOf(RangeError);
        await expect(store.enqueue([{ queueId: 'q', seq: -1, data: msg('q', 6) }])).rejects.toBeInstanceOf(RangeError);
        expect(await store.queueIds()).toEqual(['q']);
        expect(await seqsOf('q')).toEqual([5]);
        expect(await store.queueInfo('q')).toEqual({ nextSeq: 6, messageCount: 1 });
      });

      it('enqueues into several queues in one call', async () => {
        await store.enqueue([
          { queueId: 'a', seq: 1, data: msg('a', 1) },
          { queueId: 'b', seq: 1, data: msg('b', 1) },
          { queueId: 'a', seq: 2, data: msg('a', 2) },
        ]);
        await restart();
        expect(await store.queueIds()).toEqual(['a', 'b']);
        expect(await seqsOf('a')).toEqual([1, 2]);
        expect(await seqsOf('b')).toEqual([1]);
      });
    });

    describe('remove, purge, deleteQueue', () => {
      beforeEach(async () => {
        await store.enqueue([1, 2, 3, 4].map((seq) => ({ queueId: 'q', seq, data: msg('q', seq) })));
        await store.enqueue([1, 2].map((seq) => ({ queueId: 'keep', seq, data: msg('keep', seq) })));
      });

      it('removes the listed seqs only', async () => {
        await store.remove('q', [2, 4]);
        expect(await seqsOf('q')).toEqual([1, 3]);
        await restart();
        expect(await seqsOf('q')).toEqual([1, 3]);
        expect(await seqsOf('keep')).toEqual([1, 2]);
      });

      it('ignores repeated and unknown removals without disturbing the counters', async () => {
        await store.remove('q', [2]);
        await store.remove('q', [2, 99]);
        await store.remove('unknown', [1]);
        await store.remove('q', []);
        expect(await store.queueInfo('q')).toEqual({ nextSeq: 5, messageCount: 3 });
        await restart();
        expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
      });

      it('purges every message, keeps nextSeq and counts what it removed', async () => {
        await store.remove('q', [1]);
        expect(await store.purge('q')).toBe(3);
        expect(await store.purge('unknown')).toBe(0);
        expect(await seqsOf('q')).toEqual([]);
        expect(await store.queueInfo('q')).toEqual({ nextSeq: 5, messageCount: 0 });
        await expect(store.enqueue([{ queueId: 'q', seq: 4, data: msg('q', 4) }])).rejects.toBeInstanceOf(RangeError);
        await store.enqueue([{ queueId: 'q', seq: 5, data: msg('q', 5) }]);
        await restart();
        expect(await seqsOf('q')).toEqual([5]);
        expect(await store.queueIds()).toContain('q');
        expect(await seqsOf('keep')).toEqual([1, 2]);
        expect((await store.verifyIntegrity()).ok).toBe(true);
      });

      it('purges a queue larger than one batch', async () => {
        const entries = Array.from({ length: 12_000 }, (_, i) => ({ queueId: 'huge', seq: i, data: msg('h', i) }));
        await store.enqueue(entries);
        expect(await store.purge('huge')).toBe(12_000);
        await restart();
        expect(await store.queueInfo('huge')).toEqual({ nextSeq: 12_000, messageCount: 0 });
        expect((await store.verifyIntegrity()).ok).toBe(true);
      });

      it('deletes a queue and nothing else; the id can start again from seq 0', async () => {
        store.markDelivered('q', [1]);
        await store.deleteQueue('q');
        await store.deleteQueue('unknown');
        expect(await store.queueIds()).toEqual(['keep']);
        expect(await store.queueInfo('q')).toBeUndefined();
        await restart();
        expect(await store.queueIds()).toEqual(['keep']);
        expect(await seqsOf('q')).toEqual([]);
        await store.enqueue([{ queueId: 'q', seq: 0, data: msg('q', 0) }]);
        await restart();
        const [again] = await recoverAll(store, 'q');
        expect(again).toMatchObject({ seq: 0, deliveryCount: 0, mayHaveBeenDelivered: false });
        expect((await store.verifyIntegrity()).ok).toBe(true);
      });

      it('does not recover messages removed before recover() was called', async () => {
        const removal = store.remove('q', [1, 3]);
        expect(await seqsOf('q')).toEqual([2, 4]);
        await removal;
      });
    });

    it('keeps many interleaved queues apart, including ids that look like key syntax', async () => {
      const ids = ['a', 'a!m', 'a!m!0000000000000001', 'a%21m', 'a!meta', '%', '!', '', 'vhost/q', 'ü-队列', 'q!x'];
      const model = new Map<string, Map<number, string>>();
      const next = new Map<string, number>();
      const random = lcg(42);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      for (let round = 0; round < 60; round++) {
        const entries = Array.from({ length: 1 + Math.floor(random() * 6) }, () => {
          const queueId = pick(ids);
          const seq = (next.get(queueId) ?? 0) + Math.floor(random() * 3);
          next.set(queueId, seq + 1);
          return { queueId, seq, data: msg(queueId, seq) };
        });
        const calls: Promise<void>[] = [store.enqueue(entries)];
        for (const { queueId, seq } of entries) {
          let stored = model.get(queueId);
          if (stored === undefined) model.set(queueId, (stored = new Map()));
          stored.set(seq, `${queueId}#${seq}`);
        }
        const victim = pick(ids);
        const stored = model.get(victim);
        if (stored !== undefined && stored.size > 0 && random() < 0.6) {
          const seqs = [...stored.keys()].filter(() => random() < 0.5);
          calls.push(store.remove(victim, seqs));
          for (const seq of seqs) stored.delete(seq);
        }
        await Promise.all(calls);
      }
      for (let pass = 0; pass < 2; pass++) {
        expect(await store.queueIds()).toEqual([...model.keys()].sort());
        for (const [queueId, stored] of model) {
          const recovered = await recoverAll(store, queueId);
          expect(recovered.map((m) => [m.seq, text(m.data)])).toEqual([...stored].sort(([x], [y]) => x - y));
          expect((await store.queueInfo(queueId))?.messageCount).toBe(stored.size);
        }
        expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
        await restart();
      }
    });

    it.each([
      ['a large body (stored once)', 8192],
      ['a small body (copied per queue)', 16],
    ])('keeps %s routed to several queues until the last queue removes it', async (_, size) => {
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = (i * 31) & 0xff;
      const body = messageRecordOf(payload);
      await store.enqueue(['a', 'b', 'c'].map((queueId) => ({ queueId, seq: 1, data: body })));
      await store.enqueue([{ queueId: 'a', seq: 2, data: msg('a', 2) }]);
      await store.remove('a', [1]);
      await restart();
      expect((await recoverAll(store, 'b'))[0]?.data.equals(body)).toBe(true);
      await store.remove('b', [1]);
      await restart();
      expect(await recoverAll(store, 'b')).toEqual([]);
      expect((await recoverAll(store, 'c'))[0]?.data.equals(body)).toBe(true);
      await store.deleteQueue('c');
      await restart();
      expect(await seqsOf('a')).toEqual([2]);
      expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
    });

    it('group-commits 1,000 concurrent enqueue calls', async () => {
      const before = harness.committedBatches?.() ?? 0;
      const calls = Array.from({ length: 1000 }, (_, i) => store.enqueue([{ queueId: `q${i % 7}`, seq: i, data: msg('g', i) }]));
      await Promise.all(calls);
      if (harness.committedBatches !== undefined) {
        expect(harness.committedBatches() - before).toBeLessThanOrEqual(5);
      }
      await restart();
      let total = 0;
      for (const queueId of await store.queueIds()) total += (await recoverAll(store, queueId)).length;
      expect(total).toBe(1000);
    });

    it('recovers delivered messages with mayHaveBeenDelivered and a delivery count', async () => {
      await store.enqueue([1, 2, 3, 4].map((seq) => ({ queueId: 'q', seq, data: msg('q', seq) })));
      store.markDelivered('q', [1, 2]);
      store.markDelivered('q', [1]);
      store.markDelivered('q', [99]);
      store.markDelivered('unknown', [1]);
      await restart();
      const recovered = await recoverAll(store, 'q');
      expect(recovered.map((m) => [m.seq, m.deliveryCount, m.mayHaveBeenDelivered])).toEqual([
        [1, 2, true],
        [2, 1, true],
        [3, 0, false],
        [4, 0, false],
      ]);
      await store.remove('q', [1]);
      await restart();
      expect((await store.verifyIntegrity()).ok).toBe(true);
      expect((await recoverAll(store, 'q')).map((m) => m.deliveryCount)).toEqual([1, 0, 0]);
    });

    it('keeps everything across close and open', async () => {
      await store.enqueue([1, 2, 3].map((seq) => ({ queueId: 'a', seq, data: msg('a', seq) })));
      await store.enqueue([10, 11].map((seq) => ({ queueId: 'b', seq, data: msg('b', seq) })));
      await store.remove('a', [2]);
      await store.purge('b');
      store.markDelivered('a', [1]);
      await restart();
      expect(await store.queueIds()).toEqual(['a', 'b']);
      expect(await store.queueInfo('a')).toEqual({ nextSeq: 4, messageCount: 2 });
      expect(await store.queueInfo('b')).toEqual({ nextSeq: 12, messageCount: 0 });
      expect((await recoverAll(store, 'a')).map((m) => [m.seq, m.mayHaveBeenDelivered])).toEqual([
        [1, true],
        [3, false],
      ]);
      expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
    });

    it('rejects a failed write with a StorageError, stores nothing of it, and works again after reopen', async () => {
      let fault: Error | undefined;
      await store.close();
      store = await harness.open({ writeFault: () => fault });
      await store.enqueue([{ queueId: 'q', seq: 1, data: msg('q', 1) }]);
      const faults: StorageError[] = [];
      const unsubscribe = store.onFault((error) => faults.push(error));

      fault = Object.assign(new Error('IO error: /data/000005.log: No space left on device'), {
        code: 'LEVEL_IO_ERROR',
      });
      const failed = store.enqueue([{ queueId: 'q', seq: 2, data: msg('q', 2) }]);
      await expect(failed).rejects.toBeInstanceOf(StorageError);
      await expect(failed).rejects.toMatchObject({ code: 'DISK_FULL' });
      expect(store.health.status).toBe('faulted');
      expect(faults.map((error) => error.code)).toEqual(['DISK_FULL']);
      await expect(store.enqueue([{ queueId: 'q', seq: 3, data: msg('q', 3) }])).rejects.toMatchObject({
        code: 'DISK_FULL',
      });
      await expect(store.remove('q', [1])).rejects.toBeInstanceOf(StorageError);
      store.markDelivered('q', [1]);

      fault = undefined;
      await store.reopen();
      expect(store.health).toEqual({ status: 'ok' });
      expect(await seqsOf('q')).toEqual([1]);
      expect(await store.queueInfo('q')).toEqual({ nextSeq: 2, messageCount: 1 });
      await store.enqueue([{ queueId: 'q', seq: 4, data: msg('q', 4) }]);
      unsubscribe();
      await restart();
      expect(await seqsOf('q')).toEqual([1, 4]);
      expect((await store.verifyIntegrity()).ok).toBe(true);
      expect(faults).toHaveLength(1);
    });

    it('rejects every operation with CLOSED after close', async () => {
      await store.close();
      expect(store.health).toEqual({ status: 'closed' });
      const closed = { code: 'CLOSED' };
      await expect(store.enqueue([{ queueId: 'q', seq: 1, data: msg('q', 1) }])).rejects.toMatchObject(closed);
      await expect(store.remove('q', [1])).rejects.toMatchObject(closed);
      await expect(recoverAll(store, 'q')).rejects.toMatchObject(closed);
      await expect(store.queueIds()).rejects.toMatchObject(closed);
      await expect(store.purge('q')).rejects.toMatchObject(closed);
      await expect(store.verifyIntegrity()).rejects.toMatchObject(closed);
      expect(() => store.markDelivered('q', [1])).not.toThrow();
      await store.close();
    });

    describe('integrity of stored messages', () => {
      it('refuses data that is not a sealed message record', async () => {
        await expect(store.enqueue([{ queueId: 'q', seq: 1, data: Buffer.from('q#1') }])).rejects.toBeInstanceOf(TypeError);
        expect(await store.queueIds()).toEqual([]);
      });

      it('quarantines a message whose record fails its checksum: never served, reported until purged', async () => {
        const records = [1, 2, 3].map((seq) => msg('q', seq));
        await store.enqueue(records.map((data, i) => ({ queueId: 'q', seq: i + 1, data })));
        await restart();
        await harness.damage('q', 2, records[1]!);
        const recovered = await recoverAll(store, 'q');
        expect(recovered.map((m) => [m.seq, text(m.data)])).toEqual([
          [1, 'q#1'],
          [3, 'q#3'],
        ]);
        const report = await store.verifyIntegrity();
        expect(report).toMatchObject({ ok: false, queues: [], errors: [], quarantined: [{ queueId: 'q', seq: 2 }] });
        expect(report.quarantined[0]!.reason).toMatch(/checksum mismatch/);
        // Recovering again does not report it twice.
        await recoverAll(store, 'q');
        expect((await store.verifyIntegrity()).quarantined).toHaveLength(1);
        await store.remove('q', [1, 3]);
        expect((await store.verifyIntegrity()).ok).toBe(false);
        expect(await store.purge('q')).toBe(1);
        expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
      });
    });

    describe('coverDelivery', () => {
      it('covers every delivery with a mark that outlives a restart, and flags nothing undelivered after a clean one', async () => {
        await store.enqueue([1, 2, 3, 4].map((seq) => ({ queueId: 'q', seq, data: msg('q', seq) })));
        await restart();
        for (const seq of [1, 2]) {
          await store.coverDelivery('q', seq);
          store.markDelivered('q', [seq]);
        }
        expect(store.coverDelivery('unknown', 1)).toBeUndefined();
        await restart();
        expect((await recoverAll(store, 'q')).map((m) => [m.seq, m.mayHaveBeenDelivered])).toEqual([
          [1, true],
          [2, true],
          [3, false],
          [4, false],
        ]);
      });

      it('does not make a delivery of a message enqueued in the same turn wait', async () => {
        void store.enqueue([{ queueId: 'q', seq: 1, data: msg('q', 1) }]);
        expect(store.coverDelivery('q', 1)).toBeUndefined();
        store.markDelivered('q', [1]);
        await restart();
        expect((await recoverAll(store, 'q')).map((m) => m.mayHaveBeenDelivered)).toEqual([true]);
      });
    });

    describeReadConformance({ store: () => store, harness: () => harness, restart });
    describeIndexConformance({ store: () => store, harness: () => harness, restart });
    describeSpillConformance({ store: () => store, harness: () => harness, restart }, factory.persistent);

    it('declares its capabilities', () => {
      expect(['fsync', 'replicated-fsync', 'async', 'none']).toContain(store.capabilities.durableConfirm);
      expect(store.capabilities.atomicMultiQueueEnqueue).toBe(true);
      expect(store.health).toEqual({ status: 'ok' });
    });
  });
}
