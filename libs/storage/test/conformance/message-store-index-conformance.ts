import { describe, expect, it } from '@jest/globals';
import { messageRecordOf, messageRecordPayload } from '../../src/message-record.js';
import type { MessageStore, StoredIndexEntry } from '../../src/message-store.js';
import type { ReadCaseContext } from './message-store-read-conformance.js';

const msg = (queueId: string, seq: number): Buffer => messageRecordOf(Buffer.from(`${queueId}#${seq}`));
const idx = (seq: number): Buffer => messageRecordOf(Buffer.from(`index ${seq}`));

async function recoverIndexAll(store: MessageStore, queueId: string): Promise<StoredIndexEntry[]> {
  const out: StoredIndexEntry[] = [];
  for await (const entry of store.recoverIndex(queueId)) out.push(entry);
  return out;
}

/** What an entry carries, as text: `i:<index payload>` or `d:<message payload>`. */
const shown = (entry: StoredIndexEntry): string =>
  entry.index ? `i:${messageRecordPayload(entry.index).toString()}` : `d:${messageRecordPayload(entry.data!).toString()}`;

/** Registers the `MessageStore.recoverIndex` cases; called inside the suite's `describe`. */
export function describeIndexConformance(ctx: ReadCaseContext): void {
  describe('recover the index without the bodies', () => {
    it('streams index records in seq order, the full record for messages stored without one', async () => {
      let store = ctx.store();
      await store.enqueue([1, 2, 3, 4].map((seq) => ({ queueId: 'q', seq, data: msg('q', seq), index: idx(seq) })));
      await store.enqueue([{ queueId: 'q', seq: 5, data: msg('q', 5) }]);
      await store.enqueue([{ queueId: 'q', seq: 6, data: msg('q', 6), index: idx(6) }]);
      await store.remove('q', [2]);
      await store.coverDelivery('q', 1);
      store.markDelivered('q', [1]);
      store = await ctx.restart();
      const entries = await recoverIndexAll(store, 'q');
      expect(entries.map((e) => e.seq)).toEqual([1, 3, 4, 5, 6]);
      const byIndex = entries.filter((e) => e.index !== undefined).map(shown);
      // Every message comes back once, as its index record or (stored without one) as its full record.
      expect(entries.map(shown).filter((s) => s.startsWith('d:'))).toEqual(expect.arrayContaining(['d:q#5']));
      expect(byIndex.every((s) => /^i:index \d$/.test(s))).toBe(true);
      expect(entries[0]).toMatchObject({ queueId: 'q', seq: 1, mayHaveBeenDelivered: true });
      expect(entries[1]).toMatchObject({ seq: 3, deliveryCount: 0, mayHaveBeenDelivered: false });
      expect(await recoverIndexAll(store, 'unknown')).toEqual([]);
      // The bodies are still there to read.
      expect((await store.read('q', [4]))[0]!.data.equals(msg('q', 4))).toBe(true);
    });

    it('keeps index records of a shared body per queue, and leaves nothing behind after remove, purge and delete', async () => {
      let store = ctx.store();
      const shared = messageRecordOf(Buffer.alloc(8192, 3));
      const index = idx(0);
      await store.enqueue([
        { queueId: 'a', seq: 0, data: shared, index },
        { queueId: 'b', seq: 0, data: shared, index },
      ]);
      await store.enqueue(Array.from({ length: 50 }, (_, i) => ({ queueId: 'a', seq: i + 1, data: msg('a', i + 1), index: idx(i + 1) })));
      store = await ctx.restart();
      expect((await recoverIndexAll(store, 'b')).map(shown)).toEqual(['i:index 0']);
      expect(await recoverIndexAll(store, 'a')).toHaveLength(51);
      expect((await store.read('b', [0]))[0]!.data.equals(shared)).toBe(true);
      await store.remove('a', [0, 1, 2]);
      await store.purge('b');
      store = await ctx.restart();
      expect((await recoverIndexAll(store, 'a')).map((e) => e.seq)).toEqual(Array.from({ length: 48 }, (_, i) => i + 3));
      expect(await recoverIndexAll(store, 'b')).toEqual([]);
      expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
      await store.deleteQueue('a');
      store = await ctx.restart();
      expect(await recoverIndexAll(store, 'a')).toEqual([]);
      expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
    });

    it('reads the index in batches from a seq: readIndex', async () => {
      let store = ctx.store();
      await store.enqueue(Array.from({ length: 30 }, (_, i) => ({ queueId: 'q', seq: i + 1, data: msg('q', i + 1), index: idx(i + 1) })));
      await store.enqueue([{ queueId: 'q', seq: 31, data: msg('q', 31) }]);
      await store.enqueue([{ queueId: 'other', seq: 1, data: msg('other', 1), index: idx(1) }]);
      await store.remove('q', [2, 3, 10]);
      // Removals accepted before the call are not seen; batches continue from the next seq asked for.
      const first = await store.readIndex('q', 0, 5);
      expect(first.map((e) => e.seq)).toEqual([1, 4, 5, 6, 7]);
      expect(first.map(shown)).toEqual(['i:index 1', 'i:index 4', 'i:index 5', 'i:index 6', 'i:index 7']);
      expect((await store.readIndex('q', 8, 4)).map((e) => e.seq)).toEqual([8, 9, 11, 12]);
      // The end of the queue: fewer than asked; a message stored without an index record comes with its record.
      const tail = await store.readIndex('q', 29, 100);
      expect(tail.map(shown)).toEqual(['i:index 29', 'i:index 30', 'd:q#31']);
      expect(await store.readIndex('q', 32, 10)).toEqual([]);
      expect(await store.readIndex('unknown', 0, 10)).toEqual([]);
      expect(await store.readIndex('q', 0, 0)).toEqual([]);
      // A resolved enqueue is seen at once, and a restart keeps the delivery flags recoverIndex reports.
      await store.enqueue([{ queueId: 'q', seq: 32, data: msg('q', 32), index: idx(32) }]);
      expect((await store.readIndex('q', 32, 10)).map((e) => e.seq)).toEqual([32]);
      await store.coverDelivery('q', 1);
      store.markDelivered('q', [1]);
      store = await ctx.restart();
      const again = await store.readIndex('q', 0, 2);
      expect(again[0]).toMatchObject({ queueId: 'q', seq: 1, mayHaveBeenDelivered: true });
      expect(again[1]).toMatchObject({ seq: 4, index: expect.any(Buffer) });
      expect((await store.readIndex('other', 0, 10)).map(shown)).toEqual(['i:index 1']);
      await store.purge('q');
      expect(await store.readIndex('q', 0, 10)).toEqual([]);
    });

    it('reads the same batches with their bodies where the store can: readIndex withBodies', async () => {
      const store = ctx.store();
      await store.enqueue(Array.from({ length: 20 }, (_, i) => ({ queueId: 'q', seq: i + 1, data: msg('q', i + 1), index: idx(i + 1) })));
      await store.remove('q', [2]);
      const batch = await store.readIndex('q', 0, 5, { withBodies: true });
      expect(batch.map((e) => e.seq)).toEqual([1, 3, 4, 5, 6]);
      // Each entry has its record or, from a store that ignores the option, its index record.
      expect(batch.map(shown)).toEqual(batch.map((e) => (e.data !== undefined ? `d:q#${e.seq}` : `i:index ${e.seq}`)));
      expect(batch.every((e) => (e.data === undefined) !== (e.index === undefined))).toBe(true);
    });

    it('rejects with CLOSED after close', async () => {
      const store = ctx.store();
      await store.close();
      await expect(recoverIndexAll(store, 'q')).rejects.toMatchObject({ code: 'CLOSED' });
    });
  });
}
