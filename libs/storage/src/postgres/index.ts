// PostgreSQL backend (driver `pg`): chosen with WARREN_STORE=postgres. Only the broker's wiring imports it, and
// only when that store is chosen, so a LevelDB or memory broker never loads the driver.
export { PostgresDatabase } from './postgres-database.js';
export type { PostgresDatabaseOptions } from './postgres-database.js';
export { PostgresMessageStore } from './postgres-message-store.js';
export type { PostgresMessageStoreOptions } from './postgres-message-store.js';
export { PostgresMetadataStore } from './postgres-metadata-store.js';
export { POSTGRES_SCHEMA_VERSION, postgresTables } from './postgres-schema.js';
export { openPostgresStorage } from './open-postgres-storage.js';
export type { PostgresStorage, PostgresStorageOptions } from './open-postgres-storage.js';
export { PostgresClusterStore, TOPOLOGY_CHANNEL } from './postgres-cluster-store.js';
export type { PostgresClusterStoreOptions } from './postgres-cluster-store.js';
export { PostgresSharedQueueStore, SHARED_QUEUE_CHANNEL } from './postgres-shared-queue-store.js';
export { PostgresSharedQueueUsage } from './postgres-shared-queue-usage.js';
export { SHARED_ACTIVE_CHANNEL } from './postgres-shared-active-consumers.js';
export type { PostgresSharedQueueStoreOptions } from './postgres-shared-queue-store.js';
export { NODE_JOINED_CHANNEL, PostgresNodeMailbox, nodeMailChannel } from './postgres-node-mailbox.js';
export { DELAYED_CHANNEL, PostgresDelayedStore } from './postgres-delayed-store.js';
