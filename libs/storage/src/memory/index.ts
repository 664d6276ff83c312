// In-memory backend: transient deployments and tests.
export { MemoryMessageStore } from './memory-message-store.js';
export type { MemoryMessageStoreOptions } from './memory-message-store.js';
export { MemoryMetadataStore } from './memory-metadata-store.js';
export { openMemoryStorage } from './open-memory-storage.js';
