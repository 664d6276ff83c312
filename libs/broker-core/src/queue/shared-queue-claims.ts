import type { QueueEntry } from './message.js';
import type { QueueBacklog } from './queue-backlog.js';
import type { QueueBodies } from './queue-bodies.js';
import type { QueueDiscard } from './queue-discard.js';
import type { Queue } from './queue.js';

/**
 * The messages a node claimed from a multi-node shared queue (`Queue.shared`, docs/SCALE-OUT.md) once they go back
 * or are purged: requeued ones and, when the last local consumer leaves, ready ones are released to the shared table
 * for any node; a purge settles them and deletes the rows no node has claimed. Claimed messages come in through
 * `Queue.admitClaimed`, which shares entry creation and TTL scheduling with publishes.
 *
 * Invariants: event loop only, never awaits (the link batches its writes); used only while `queue.shared` is set.
 */
export class SharedQueueClaims {
  /** The shared delete of the last purge, for {@link purgeAll}. */
  private sharedPurge: Promise<number> | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly backlog: QueueBacklog,
    private readonly bodies: QueueBodies,
    private readonly discard: QueueDiscard,
  ) {}

  /**
   * Requeued messages go back to the shared table (any node's consumers may take them); past `limit`
   * (`x-delivery-limit`) a message is dead-lettered instead.
   */
  release(entries: readonly QueueEntry[], limit: number | undefined): void {
    const queue = this.queue;
    const seqs: number[] = [];
    const now = Date.now();
    for (const entry of entries) {
      if (limit !== undefined && entry.deliveryCount > limit) this.discard.drop(entry, 'delivery_limit');
      // Its TTL ran out while it was out: as on one node, it expires as it comes back (this node still owns it).
      else if (entry.expiresAt > 0 && now > entry.expiresAt) this.discard.drop(entry, 'expired');
      else {
        this.bodies.forgotten(entry);
        seqs.push(entry.seq);
      }
    }
    queue.shared!.released(queue, seqs, true);
    queue.dispatch();
  }

  /** See Queue.releaseReady. */
  releaseReady(): void {
    const queue = this.queue;
    const backlog = this.backlog;
    if (queue.isDeleted || backlog.list.length === 0) return;
    const entries = backlog.list.drain();
    const seqs: number[] = [];
    const now = Date.now();
    for (const entry of entries) {
      // Its TTL ran out here: this node still owns it, so it dead-letters it rather than hand it on expired.
      if (entry.expiresAt > 0 && now > entry.expiresAt) {
        this.bodies.left(entry);
        this.discard.drop(entry, 'expired');
      } else {
        this.bodies.purged(entry);
        seqs.push(entry.seq);
      }
    }
    backlog.bytes = 0;
    queue.shared?.released(queue, seqs, false);
  }

  /** The ready `entries` this node claimed were purged: they are settled, and the unclaimed rows deleted too. */
  purged(entries: readonly QueueEntry[]): void {
    const queue = this.queue;
    queue.shared!.settled(
      queue,
      entries.map((entry) => entry.seq),
    );
    this.sharedPurge = queue.shared!.purged(queue);
  }

  /** See Queue.purgeAll: `purged` ready messages here, plus the unclaimed ones the last purge deleted, if any. */
  purgeAll(purged: number): number | Promise<number> {
    if (this.sharedPurge === undefined) return purged;
    const shared = this.sharedPurge;
    this.sharedPurge = undefined;
    return shared.then((unclaimed) => purged + unclaimed);
  }
}
