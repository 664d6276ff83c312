// Ports: what the broker core codes against.
export type {
  EnqueueEntry,
  IntegrityMismatch,
  IntegrityReport,
  MessageStore,
  QueueStorageInfo,
  StorageCapabilities,
  StoredMessage,
} from './message-store.js';
export { METADATA_KINDS, isMetadataKind } from './metadata-store.js';
export type { MetadataKind, MetadataOp, MetadataRecord, MetadataStore } from './metadata-store.js';
export { StorageError, storageErrorFrom } from './storage-error.js';
export type { StorageErrorCode } from './storage-error.js';
export type { StorageFaultListener, StorageHealth } from './storage-health.js';

// LevelDB adapter (classic-level): the default single-node backend. Only apps/broker should import these.
export { LevelDatabase } from './level/level-database.js';
export type { LevelBatchFn, LevelDatabaseOptions, WarrenLevel } from './level/level-database.js';
export { LevelMessageStore } from './level/level-message-store.js';
export type { LevelMessageStoreOptions } from './level/level-message-store.js';
export { LevelMetadataStore } from './level/level-metadata-store.js';
export { openLevelStorage } from './level/open-level-storage.js';
export type { LevelStorage, LevelStorageOptions } from './level/open-level-storage.js';
export type { CommitStats, LevelBatchOp } from './level/group-committer.js';

// In-memory adapter: transient deployments and tests.
export { MemoryMessageStore } from './memory/memory-message-store.js';
export type { MemoryMessageStoreOptions } from './memory/memory-message-store.js';
export { MemoryMetadataStore } from './memory/memory-metadata-store.js';
