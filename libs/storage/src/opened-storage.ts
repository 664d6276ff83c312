import type { ClusterStore } from './cluster-store.js';
import type { MessageStore } from './message-store.js';
import type { MetadataStore } from './metadata-store.js';
import type { NodeMailbox } from './node-mailbox.js';
import type { SharedDelayedStore } from './shared-delayed-store.js';
import type { SharedQueueStore } from './shared-queue-store.js';

/** Both stores of one backend, opened, with one way to close them: what every backend's opener returns. */
export interface OpenedStorage {
  readonly messages: MessageStore;
  readonly metadata: MetadataStore;
  /** Membership and topology change feed, from a backend opened for several nodes (multi-node mode) only. */
  readonly cluster?: ClusterStore;
  /** Queues shared by every node (claims), from a backend opened for several nodes with shared queues only. */
  readonly sharedQueues?: SharedQueueStore;
  /** Messages between nodes (direct reply-to across nodes), from a backend opened for several nodes only. */
  readonly mailbox?: NodeMailbox;
  /** Delayed messages held for every node (durable delayed exchanges), from a backend opened for several nodes with shared queues only. */
  readonly delayed?: SharedDelayedStore;
  /** Waits for accepted writes and closes both stores. */
  close(): Promise<void>;
}
