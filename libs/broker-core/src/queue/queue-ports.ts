import type { FieldTable } from '@app/codec';
import type { ReadIndexOptions, StoredIndexEntry, StoredMessage } from '@app/storage';
import type { Message } from './message.js';
import type { Queue } from './queue.js';
import type { BackgroundErrorReporter } from '../background-task.js';

/**
 * Where a durable queue's persistent messages live (a thin view of the MessageStore port, so the queue does not
 * depend on a backend). Calls are fire-and-forget: the store batches them into its group commits.
 */
export interface QueueStorage {
  /** Settled (acked, rejected, purged) messages: their stored copies go. */
  remove(queueId: string, seqs: readonly number[]): void;
  /** Delivered messages: their delivery counts (written lazily). */
  markDelivered(queueId: string, seqs: readonly number[]): void;
  /**
   * Asked before a stored message goes to a consumer: undefined when a crash after the delivery would bring it
   * back with `redelivered=true`, else a promise to deliver after (MessageStore.coverDelivery; once per batch).
   */
  coverDelivery(queueId: string, seq: number): Promise<void> | undefined;
  /** Reads stored messages back by seq (paged-out bodies); one batched read (MessageStore.read). */
  read(queueId: string, seqs: readonly number[]): Promise<Array<StoredMessage | undefined>>;
  /** The next batch of stored index records from a seq (a tail segment's next messages; MessageStore.readIndex). */
  readIndex(queueId: string, fromSeq: number, limit: number, options?: ReadIndexOptions): Promise<StoredIndexEntry[]>;
}

/**
 * Multi-node shared queues (docs/SCALE-OUT.md, "Shared queues"): the queue's messages live in a table every node
 * claims from, and the local queue holds only what this node claimed for its consumers. The queue tells the link
 * what left for good and what goes back; the link feeds claimed messages in with `Queue.admitClaimed`.
 * Fire-and-forget and batched by the implementation: the queue never awaits.
 */
export interface SharedQueueLink {
  /**
   * A message routed to the queue (persistent or not): stored in the shared table, group-committed; resolves once
   * committed (the publisher's confirm). Length limits apply across nodes in that transaction: rejects when
   * `x-overflow` refused it (the publisher's nack; reject-publish-dlx dead-letters it first).
   */
  publish(queue: Queue, message: Message): Promise<void>;
  /** Claimed messages left the queue for good (acked, no-ack delivery, dropped, expired): delete them. */
  settled(queue: Queue, seqs: readonly number[]): void;
  /**
   * Claimed messages go back (requeue, channel or connection closed): release the claims, `redelivered` set;
   * `isDelivered`: they had been delivered (their delivery counts go up, for `x-delivery-limit` across nodes).
   */
  released(queue: Queue, seqs: readonly number[], isDelivered: boolean): void;
  /**
   * `queue.purge`: the shared messages no node has claimed go too (the queue's own claimed ones are settled);
   * resolves with how many unclaimed ones were deleted (0 when the delete failed: it is logged).
   */
  purged(queue: Queue): Promise<number>;
  /**
   * Counts the whole backlog across nodes (one query: declare, purge, stats sampling) into
   * `Queue.sharedBacklog`; resolves with the ready count (`Queue.reportedReadyCount`). Never rejects.
   */
  count(queue: Queue): Promise<number>;
  /**
   * `basic.get` on a queue holding nothing claimed: claims one message (if any is ready on the shared table) for
   * the get answered once this settles; never rejects. What the get did not take is released again.
   */
  claimForGet(queue: Queue): Promise<void>;
  /** Consumers may have room for more than the queue holds: claim some (cheap when there is nothing to do). */
  wanted(queue: Queue): void;
  /** The last consumer of the queue on this node went (a single active consumer held here is freed for others). */
  idle?(queue: Queue): void;
  /**
   * The queue was used (declare, consume, cancel, get; `Queue.touch`). A link that has it decides auto-delete and
   * `x-expires` across nodes (the vhost then leaves both to it) and judges `queue.delete` with {@link judgeDelete}.
   */
  used?(queue: Queue): void;
  /** This node's `x-expires` countdown ran out: the link deletes the queue if it was unused on every node. */
  expire?(queue: Queue): void;
  /**
   * Counts what `queue.delete` judges across nodes: consumers on every node and the whole ready backlog. Rejects
   * when a count cannot be made (a database error): the delete then fails with an error, never on a guessed count.
   */
  judgeDelete?(queue: Queue): Promise<QueueUseCounts>;
  /**
   * The shared store's removal of a queue this node deleted (its messages and records), while it runs: the deleting
   * channel's later methods wait for it, so a queue re-declared under the same name is not touched by it. Never
   * rejects.
   */
  erased?(queue: Queue): Promise<void> | undefined;
}

/** A queue's consumers and ready messages across every node (`queue.delete` with `if-unused` or `if-empty`). */
export interface QueueUseCounts {
  readonly consumers: number;
  readonly messages: number;
}

/** Why a message left its queue for the dead-letter exchange (the `x-death` reason). */
export type DeadLetterReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/** What a queue asks of its virtual host. */
export interface QueueHooks {
  /** The message leaves the queue for good for `reason`: route it to the dead-letter exchange, if any. */
  deadLetter(queue: Queue, message: Message, reason: DeadLetterReason): void;
  /** `x-expires` ran out: the queue was unused for its whole lifetime setting. */
  expired(queue: Queue): void;
  /** A timer of the queue (expiry, TTL) threw; the queue keeps serving. */
  reportError: BackgroundErrorReporter;
}

/** The declared shape of a queue, as `queue.declare` carries it. */
export interface QueueOptions {
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  arguments: FieldTable;
}
