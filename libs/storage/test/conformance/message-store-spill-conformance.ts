import { describe, expect, it } from '@jest/globals';
import { messageRecordOf, messageRecordPayload } from '../../src/message-record.js';
import type { ReadCaseContext } from './message-store-read-conformance.js';
import { recoverAll } from './conformance-harness.js';

const msg = (queueId: string, seq: number): Buffer => messageRecordOf(Buffer.from(`${queueId}#${seq}`));
const text = (data: Buffer | undefined): string | undefined => data && messageRecordPayload(data).toString();

/** Registers the transient paging cases (`spill`, `readSpilled`, `dropSpilled`); called inside the suite's `describe`. */
export function describeSpillConformance(ctx: ReadCaseContext, persistent: boolean): void {
  describe('transient paging (spill)', () => {
    it('reads spilled records back until dropped, apart from the stored messages', async () => {
      const store = ctx.store();
      await store.spill([1, 2, 3].map((seq) => ({ queueId: 't', seq, data: msg('t', seq) })));
      await store.spill([{ queueId: 'other', seq: 1, data: msg('other', 1) }]);
      expect((await store.readSpilled('t', [3, 1, 2, 9])).map(text)).toEqual(['t#3', 't#1', 't#2', undefined]);
      await store.dropSpilled('t', [1, 9]);
      expect((await store.readSpilled('t', [1, 2])).map(text)).toEqual([undefined, 't#2']);
      expect((await store.readSpilled('other', [1])).map(text)).toEqual(['other#1']);
      // Not messages: no queue, no recovery, no integrity report.
      expect(await store.queueIds()).toEqual([]);
      expect(await recoverAll(store, 't')).toEqual([]);
      expect(await store.read('t', [2])).toEqual([undefined]);
      expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
    });

    it('reads what a spill still pending in the same turn will write', async () => {
      const store = ctx.store();
      const pending = store.spill([{ queueId: 't', seq: 1, data: msg('t', 1) }]);
      await pending;
      expect((await store.readSpilled('t', [1])).map(text)).toEqual(['t#1']);
    });

    if (persistent) {
      it('drops every spilled record at restart', async () => {
        let store = ctx.store();
        await store.enqueue([{ queueId: 'q', seq: 1, data: msg('q', 1) }]);
        await store.spill([{ queueId: 'q', seq: 2, data: msg('q', 2) }]);
        store = await ctx.restart();
        expect(await store.readSpilled('q', [2])).toEqual([undefined]);
        expect((await recoverAll(store, 'q')).map((m) => m.seq)).toEqual([1]);
      });
    }
  });
}
