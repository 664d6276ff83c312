import type { OpenedStorage } from '../opened-storage.js';
import { MemoryMessageStore, type MemoryMessageStoreOptions } from './memory-message-store.js';
import { MemoryMetadataStore } from './memory-metadata-store.js';

/** Opens a fresh in-memory message and metadata store pair (nothing survives the process). */
export async function openMemoryStorage(options: MemoryMessageStoreOptions = {}): Promise<OpenedStorage> {
  const messages = new MemoryMessageStore(options);
  const metadata = new MemoryMetadataStore();
  await messages.open();
  await metadata.open();
  return {
    messages,
    metadata,
    async close() {
      await metadata.close();
      await messages.close();
    },
  };
}
