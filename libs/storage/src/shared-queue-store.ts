import type { SharedQueueUsageStore } from './shared-queue-usage-store.js';

/** A message one node claimed from a shared queue (see {@link SharedQueueStore.claim}). */
export interface ClaimedMessage {
  /** Its position in the queue: unique across nodes, ascending in publish order. */
  readonly seq: number;
  /** A message record (message-record.ts), as published. */
  readonly data: Buffer;
  /** True when a claim on it was released before (requeue, lost channel, dead node): deliver it `redelivered`. */
  readonly redelivered: boolean;
  /**
   * Milliseconds its TTL had left at the claim (counted on the database's clock from the publish); undefined when it
   * has none, or when it was published by a node that did not record one (it then counts from the claim).
   */
  readonly ttlLeft?: number;
  /** Deliveries counted so far by every node (released after a delivery): `x-delivery-limit` across nodes. */
  readonly deliveryCount: number;
}

/** A message the expiry sweep took (see {@link SharedQueueStore.expire}): claimed by this node, to dead-letter and settle. */
export interface ExpiredMessage extends ClaimedMessage {
  readonly queueId: string;
}

/** What one expiry sweep found. */
export interface ExpirySweep {
  /** Expired ready messages, now claimed by this node: dead-letter them (reason `expired`) and settle them. */
  readonly expired: ExpiredMessage[];
  /** Milliseconds until the next ready message of these queues expires (≤ 0: already due); undefined when none. */
  readonly nextExpiryMs: number | undefined;
}

/** Who is the single active consumer of a shared queue (`x-single-active-consumer`) across nodes. */
export interface ActiveConsumer {
  /** The node's name (`WARREN_NODE_NAME`). */
  readonly node: string;
  readonly consumerTag: string;
  /** This node (its current incarnation) holds it. */
  readonly isThisNode: boolean;
}

/**
 * A shared queue's length limit (`x-max-length`, `x-max-length-bytes`, `x-overflow`), applied to its ready
 * (unclaimed) messages across every node inside the publishing transaction, serialised per queue.
 */
export interface SharedQueueLimits {
  readonly maxLength?: number;
  /** Bytes of message bodies (`SharedQueueEntry.bodySize`), as RabbitMQ counts them. */
  readonly maxLengthBytes?: number;
  readonly overflow: 'drop-head' | 'reject-publish' | 'reject-publish-dlx';
  /** drop-head: hand the dropped records to the drop handler (the queue dead-letters them); else just delete. */
  readonly returnsDropped: boolean;
}

/** One message to publish into a shared queue. */
export interface SharedQueueEntry {
  readonly queueId: string;
  /** A sealed message record, as `EnqueueEntry.data`. */
  readonly data: Buffer;
  /**
   * When it expires, epoch ms on this node's clock (0 or undefined: never). The store turns it into a deadline on
   * the database's clock as it commits, so only the short wait for the commit is measured by this node's clock.
   */
  readonly expiresAt?: number;
  /**
   * A transient message (delivery mode 1): the store may keep it where it is cheaper and lost on a database crash
   * (PostgreSQL: an UNLOGGED table), as a transient message is lost when a single broker restarts.
   */
  readonly isTransient?: boolean;
  /** The body's size (what `x-max-length-bytes` counts); 0 when unset. */
  readonly bodySize?: number;
  /** Claim order: higher first (`x-max-priority` queues; 0 otherwise). */
  readonly priority?: number;
  /** The queue's length limit, when it has one. */
  readonly limits?: SharedQueueLimits;
}

/** How many messages of a shared queue the table holds, across every node. */
export interface SharedQueueCount {
  /** Not claimed by any node. */
  readonly unclaimed: number;
  /** Every row: unclaimed, and claimed (delivered or not) by some node. */
  readonly total: number;
}

/** Receives the records a drop-head limit deleted from a queue (inside this node's publish transaction). */
export type SharedQueueDropHandler = (queueId: string, records: Buffer[]) => void;

/**
 * Messages of queues shared by every node of a multi-node broker (docs/SCALE-OUT.md, "Shared queues"): one table
 * keyed by (queue, seq) with a claim owner. A publish on any node inserts; a node with consumers claims ready
 * messages in batches (`FOR UPDATE SKIP LOCKED`, so two nodes never claim the same row); an ack deletes the row;
 * a requeue (or the loss of the channel holding it) releases the claim with `redelivered` set; the claims of a
 * node that is no longer live are released by the survivors.
 *
 * Writes (publish, settle, release) are group-committed: every call made while a transaction is in flight joins
 * the next one, never one transaction per message. Publishes and releases notify the queue's listeners at commit.
 */
export interface SharedQueueStore {
  /** Which nodes consume each queue and when it was last used: auto-delete, `x-expires` and `if-unused` across nodes. */
  readonly usage: SharedQueueUsageStore;
  /**
   * Inserts messages; resolves once committed (the publisher's confirm) with how many of them a reject-publish
   * limit refused (not stored); rejects (StorageError) when not stored.
   */
  publish(entries: ReadonlyArray<SharedQueueEntry>): Promise<number>;
  /** Claims up to `limit` ready messages of the queue for this node: highest priority first, then lowest seq. */
  claim(queueId: string, limit: number): Promise<ClaimedMessage[]>;
  /** Deletes messages this node claimed (acked, dropped). Group-committed; a lost delete only causes a redelivery. */
  settle(queueId: string, seqs: ReadonlyArray<number>): void;
  /**
   * Releases this node's claims on messages (requeue): ready again for every node, `redelivered` set;
   * `isDelivered`: they were delivered, so their delivery counts go up by one.
   */
  release(queueId: string, seqs: ReadonlyArray<number>, isDelivered?: boolean): void;
  /** Releases claims of nodes that are no longer live (dead, or restarted under a new incarnation); returns how many. */
  releaseOrphans(): Promise<number>;
  /**
   * Deletes delayed messages this node claimed (SharedDelayedStore) in the next group commit: the one that carries
   * what routing them just published here, so a due message is enqueued and leaves the delayed messages in one
   * transaction. Resolves once committed; rejects when that commit failed (nothing of it happened).
   */
  settleDelayed(ids: ReadonlyArray<number>): Promise<void>;
  /**
   * Claims for this node up to `limit` ready messages of these queues whose TTL ran out (`FOR UPDATE SKIP LOCKED`:
   * each goes to exactly one node), and says when the next one expires.
   */
  expire(queueIds: ReadonlyArray<string>, limit: number): Promise<ExpirySweep>;
  /**
   * Makes `consumerTag` of this node the queue's single active consumer if the queue has none, or one on a node
   * that is no longer live, or already one of this node (the tag is updated); resolves with whoever holds it now.
   */
  acquireActive(queueId: string, consumerTag: string): Promise<ActiveConsumer>;
  /**
   * This node's last consumer of the queue went: frees the queue's single active consumer for other nodes (in the
   * next group commit, with the releases of the messages it held) and notifies them; settles once committed
   * (rejects when that commit failed: the node's lease then decides).
   */
  releaseActive(queueId: string): Promise<void>;
  /** Deletes the queue's ready (unclaimed) messages (`queue.purge`); resolves with how many. */
  purge(queueId: string): Promise<number>;
  /** Counts the messages of queues across every node (one query; for declare, purge and stats sampling only). */
  count(queueIds: ReadonlyArray<string>): Promise<Map<string, SharedQueueCount>>;
  /** Sets who hears of messages a drop-head limit deleted while this node published. */
  onDropped(handler: SharedQueueDropHandler): void;
  /** Deletes every message of the queue (the queue was deleted). */
  deleteQueue(queueId: string): Promise<void>;
  /**
   * Starts hearing which queues got messages (publish, release) on a dedicated connection, and which queues' single
   * active consumer was freed (`onActiveFreed`); `onLost` hears it fail.
   */
  listen(onReady: (queueId: string) => void, onLost: (error: Error) => void, onActiveFreed?: (queueId: string) => void): Promise<void>;
  /** Waits for accepted writes and closes the dedicated connection. */
  close(): Promise<void>;
}
