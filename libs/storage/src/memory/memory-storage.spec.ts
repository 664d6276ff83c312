import { describeMessageStoreConformance, describeMetadataStoreConformance } from '../../test/conformance/storage-conformance.js';
import type { MessageStore } from '../message-store.js';
import { MemoryMessageStore } from './memory-message-store.js';
import { MemoryMetadataStore } from './memory-metadata-store.js';

describeMessageStoreConformance('memory', {
  persistent: false,
  async create() {
    const opened: MessageStore[] = [];
    return {
      async open(options = {}) {
        const store = new MemoryMessageStore({ writeFault: options.writeFault });
        await store.open();
        opened.push(store);
        return store;
      },
      async damage(_queueId, _seq, enqueued) {
        // The store keeps the caller's Buffer: damaging it is damaging the stored copy.
        enqueued[enqueued.length - 1]! ^= 0x01;
      },
      async dispose() {
        for (const store of opened) await store.close();
      },
    };
  },
});

describeMetadataStoreConformance('memory', {
  persistent: false,
  async create() {
    const store = new MemoryMetadataStore();
    return {
      async open() {
        await store.open();
        return store;
      },
      dispose: () => store.close(),
    };
  },
});
