// LevelDB backend (classic-level): the default single-node store. Only the broker's wiring imports it.
export { LevelDatabase } from './level-database.js';
export type { LevelBatchFn, LevelDatabaseOptions, WarrenLevel } from './level-database.js';
export { LevelMessageStore } from './level-message-store.js';
export type { LevelMessageStoreOptions } from './level-message-store.js';
export { LevelMetadataStore } from './level-metadata-store.js';
export { openLevelStorage } from './open-level-storage.js';
export type { LevelStorage, LevelStorageOptions } from './open-level-storage.js';
export type { CommitStats, LevelBatchOp } from './group-committer.js';
