import { describeMessageStoreConformance } from '../../test/conformance/storage-conformance.js';
import { MemoryMessageStore } from './memory-message-store.js';
import { messageRecordOf } from '../message-record.js';
import type { MessageStore } from '../message-store.js';
import { NamespacedMessageStore } from '../namespaced-message-store.js';

// A node's view of a shared store (multi-node mode) must behave as a whole store does.
describeMessageStoreConformance('namespaced (over memory)', {
  persistent: false,
  async create() {
    const opened: MessageStore[] = [];
    return {
      async open(options = {}) {
        const store = new NamespacedMessageStore(new MemoryMessageStore({ writeFault: options.writeFault }), 'node-a#');
        await store.open();
        opened.push(store);
        return store;
      },
      async damage(_queueId, _seq, enqueued) {
        enqueued[enqueued.length - 1]! ^= 0x01;
      },
      async dispose() {
        for (const store of opened) await store.close();
      },
    };
  },
});

describe('NamespacedMessageStore', () => {
  it("keeps two nodes' queues of the same name apart in one store", async () => {
    const shared = new MemoryMessageStore();
    const a = new NamespacedMessageStore(shared, 'a#');
    const b = new NamespacedMessageStore(shared, 'b#');
    await a.open();
    try {
      await a.enqueue([{ queueId: 'q', seq: 0, data: messageRecordOf(Buffer.from('from a')) }]);
      await b.enqueue([{ queueId: 'q', seq: 0, data: messageRecordOf(Buffer.from('from b')) }]);
      expect(await a.queueIds()).toEqual(['q']);
      expect(await b.queueIds()).toEqual(['q']);
      expect((await shared.queueIds()).sort()).toEqual(['a#q', 'b#q']);
      const [fromA] = await a.read('q', [0]);
      expect(fromA?.queueId).toBe('q');
      expect(fromA?.data).toEqual(messageRecordOf(Buffer.from('from a')));
      await b.deleteQueue('q');
      expect(await shared.queueIds()).toEqual(['a#q']);
      expect((await b.verifyIntegrity()).ok).toBe(true);
    } finally {
      await a.close();
    }
  });
});
