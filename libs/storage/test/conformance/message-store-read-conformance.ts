import { describe, expect, it } from '@jest/globals';
import { messageRecordOf, messageRecordPayload } from '../../src/message-record.js';
import type { MessageStore, StoredMessage } from '../../src/message-store.js';
import { type MessageStoreHarness, recoverAll } from './conformance-harness.js';

const msg = (queueId: string, seq: number): Buffer => messageRecordOf(Buffer.from(`${queueId}#${seq}`));
const text = (m: StoredMessage | undefined): string | undefined => m && messageRecordPayload(m.data).toString();

/** What the read cases need from the suite around them (its store changes on every restart). */
export interface ReadCaseContext {
  store(): MessageStore;
  harness(): MessageStoreHarness;
  restart(): Promise<MessageStore>;
}

/** Registers the `MessageStore.read` cases; called inside the suite's `describe` (message-store-conformance.ts). */
export function describeReadConformance(ctx: ReadCaseContext): void {
  describe('read by queue and seq', () => {
    it('reads the requested seqs in request order, undefined for what is not stored', async () => {
      let store = ctx.store();
      await store.enqueue([1, 2, 3, 5].map((seq) => ({ queueId: 'q', seq, data: msg('q', seq) })));
      await store.enqueue([{ queueId: 'other', seq: 4, data: msg('other', 4) }]);
      await store.remove('q', [2]);
      store = await ctx.restart();
      const read = await store.read('q', [5, 1, 2, 4, 3, 99]);
      expect(read.map(text)).toEqual(['q#5', 'q#1', undefined, undefined, 'q#3', undefined]);
      expect(read[0]).toMatchObject({ queueId: 'q', seq: 5, deliveryCount: 0, mayHaveBeenDelivered: false });
      expect(await store.read('unknown', [1, 2])).toEqual([undefined, undefined]);
      expect(await store.read('q', [])).toEqual([]);
    });

    it('reads what an enqueue that resolved wrote, and what one still pending in the same turn will write', async () => {
      const store = ctx.store();
      await store.enqueue([{ queueId: 'q', seq: 1, data: msg('q', 1) }]);
      expect((await store.read('q', [1])).map(text)).toEqual(['q#1']);
      const pending = store.enqueue([{ queueId: 'q', seq: 2, data: msg('q', 2) }]);
      expect((await store.read('q', [2, 1])).map(text)).toEqual(['q#2', 'q#1']);
      await pending;
    });

    it('reads a large batch, messages shared between queues, and delivery marks', async () => {
      let store = ctx.store();
      const shared = messageRecordOf(Buffer.alloc(8192, 7));
      await store.enqueue([
        { queueId: 'a', seq: 0, data: shared },
        { queueId: 'b', seq: 0, data: shared },
      ]);
      await store.enqueue(Array.from({ length: 2000 }, (_, i) => ({ queueId: 'a', seq: i + 1, data: msg('a', i + 1) })));
      await store.coverDelivery('a', 1);
      store.markDelivered('a', [1]);
      store = await ctx.restart();
      const seqs = Array.from({ length: 2001 }, (_, i) => i);
      const read = await store.read('a', seqs);
      expect(read.every((m, i) => m?.seq === i)).toBe(true);
      expect(read[0]!.data.equals(shared)).toBe(true);
      expect(read[1]).toMatchObject({ mayHaveBeenDelivered: true });
      expect(read[1]!.deliveryCount).toBeGreaterThanOrEqual(1);
      expect(text(read[2000])).toBe('a#2000');
      expect((await store.read('b', [0]))[0]!.data.equals(shared)).toBe(true);
      await store.remove('a', [0]);
      expect((await store.read('b', [0]))[0]!.data.equals(shared)).toBe(true);
    });

    it('reads a dense run of seqs with gaps, beside another queue, and writes still pending, like single reads', async () => {
      let store = ctx.store();
      const seqs = Array.from({ length: 100 }, (_, i) => i + 1);
      for (const queueId of ['q', 'q-b', 'p']) await store.enqueue(seqs.map((seq) => ({ queueId, seq, data: msg(queueId, seq) })));
      await store.remove('q', [...seqs.slice(9, 19), 50, 100]);
      store = await ctx.restart();
      const pending = store.enqueue(seqs.map((seq) => ({ queueId: 'q', seq: seq + 100, data: msg('q', seq + 100) })));
      const wanted = Array.from({ length: 200 }, (_, i) => i + 1);
      const read = await store.read('q', wanted);
      const gone = (seq: number): boolean => (seq >= 10 && seq <= 19) || seq === 50 || seq === 100;
      expect(read.map(text)).toEqual(wanted.map((seq) => (gone(seq) ? undefined : `q#${seq}`)));
      await pending;
      expect((await store.read('q-b', seqs)).map(text)).toEqual(seqs.map((seq) => `q-b#${seq}`));
    });

    it('quarantines a record that fails its checksum, as recover() does: never served, reported until purged', async () => {
      let store = ctx.store();
      const records = [1, 2, 3].map((seq) => msg('q', seq));
      await store.enqueue(records.map((data, i) => ({ queueId: 'q', seq: i + 1, data })));
      store = await ctx.restart();
      await ctx.harness().damage('q', 2, records[1]!);
      expect((await store.read('q', [1, 2, 3])).map(text)).toEqual(['q#1', undefined, 'q#3']);
      const report = await store.verifyIntegrity();
      expect(report).toMatchObject({ ok: false, queues: [], errors: [], quarantined: [{ queueId: 'q', seq: 2 }] });
      expect(report.quarantined[0]!.reason).toMatch(/checksum mismatch/);
      // Reading it again, or recovering the queue, reports it once and still does not serve it.
      expect(await store.read('q', [2])).toEqual([undefined]);
      expect((await recoverAll(store, 'q')).map((m) => m.seq)).toEqual([1, 3]);
      expect((await store.verifyIntegrity()).quarantined).toHaveLength(1);
      expect(await store.purge('q')).toBe(3);
      expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
    });

    it('rejects with CLOSED after close', async () => {
      const store = ctx.store();
      await store.close();
      await expect(store.read('q', [1])).rejects.toMatchObject({ code: 'CLOSED' });
    });
  });
}
