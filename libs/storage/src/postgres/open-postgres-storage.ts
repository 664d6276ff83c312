import type { OpenedStorage } from '../opened-storage.js';
import { PostgresClusterStore } from './postgres-cluster-store.js';
import { PostgresDelayedStore } from './postgres-delayed-store.js';
import { PostgresDatabase, type PostgresDatabaseOptions } from './postgres-database.js';
import { PostgresMessageStore, type PostgresMessageStoreOptions } from './postgres-message-store.js';
import { PostgresMetadataStore } from './postgres-metadata-store.js';
import { PostgresNodeMailbox } from './postgres-node-mailbox.js';
import { PostgresSharedQueueStore } from './postgres-shared-queue-store.js';

/** Options of {@link openPostgresStorage}. */
export interface PostgresStorageOptions extends PostgresDatabaseOptions, PostgresMessageStoreOptions {
  /** Multi-node mode (with `nodeName`): the lease of this node's membership, `WARREN_NODE_LEASE_MS`; default 15000. */
  nodeLeaseMs?: number;
  /** Multi-node mode: durable queues' messages live in one shared table, claimed by nodes (`WARREN_SHARED_QUEUES`). */
  sharedQueues?: boolean;
}

/** Both stores over one PostgreSQL database and schema, sharing one pool and one group-commit pipeline. */
export interface PostgresStorage extends OpenedStorage {
  readonly messages: PostgresMessageStore;
  readonly metadata: PostgresMetadataStore;
  readonly database: PostgresDatabase;
  /** Set in multi-node mode (`nodeName` given). */
  readonly cluster?: PostgresClusterStore;
  /** Set in multi-node mode with `sharedQueues`. */
  readonly sharedQueues?: PostgresSharedQueueStore;
  /** Set in multi-node mode: messages between nodes (direct reply-to). */
  readonly mailbox?: PostgresNodeMailbox;
  /** Set in multi-node mode with `sharedQueues`: persistent messages of durable delayed exchanges, held for every node. */
  readonly delayed?: PostgresDelayedStore;
}

/**
 * Connects to PostgreSQL, creates or migrates Warren's tables (safe when several nodes start at once) and opens
 * the message and metadata stores. Rejects with a StorageError (`IO_ERROR` when the server cannot be reached,
 * `NOT_A_WARREN_STORE` for a schema from a newer Warren).
 */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorage> {
  const database = new PostgresDatabase(options);
  const messages = new PostgresMessageStore(database, options);
  const metadata = new PostgresMetadataStore(database);
  await messages.open();
  try {
    await metadata.open();
  } catch (error) {
    await messages.close();
    throw error;
  }
  const cluster =
    options.nodeName === undefined
      ? undefined
      : new PostgresClusterStore(database, { nodeName: options.nodeName, leaseMs: options.nodeLeaseMs ?? 15_000 });
  const sharedQueues =
    cluster !== undefined && options.sharedQueues === true
      ? new PostgresSharedQueueStore(database, { incarnation: cluster.incarnation, nodeName: options.nodeName })
      : undefined;
  const mailbox = cluster === undefined ? undefined : new PostgresNodeMailbox(database, cluster.nodeName);
  // With shared queues only: without them each node's queues hold what was published through it, delayed or not.
  const delayed = sharedQueues === undefined || cluster === undefined ? undefined : new PostgresDelayedStore(database, cluster.incarnation);
  return {
    messages,
    sharedQueues,
    mailbox,
    delayed,
    metadata,
    database,
    cluster,
    async close() {
      await sharedQueues?.close();
      await mailbox?.close();
      await delayed?.close();
      await cluster?.close();
      await metadata.close();
      await messages.close();
    },
  };
}
