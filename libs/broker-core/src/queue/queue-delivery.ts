import type { ConsumerRing } from './consumer-ring.js';
import type { QueueEntry } from './message.js';
import type { QueueBacklog } from './queue-backlog.js';
import type { QueueBodies } from './queue-bodies.js';
import type { QueueDiscard } from './queue-discard.js';
import type { QueueMessageTtl } from './queue-message-ttl.js';
import type { QueuePager } from './queue-pager.js';
import type { Queue } from './queue.js';
import type { SharedQueueClaims } from './shared-queue-claims.js';

/**
 * How ready messages leave a queue for consumers and come back: the dispatch loop that pushes them round-robin to
 * consumers under their prefetch, `basic.get`'s take of the head, and requeues of unacked deliveries at their
 * original positions. Expired messages leave the head first (queue-message-ttl.ts). A tracked delivery of a stored
 * message counts as delivered in the store, so a crash after it brings the message back `redelivered`. (Acks and
 * rejects stay in Queue.settled/rejected: one call less per message on the ack path.)
 *
 * Invariants: event loop only, never awaits; `dispatch()` is not re-entrant (a delivery that routes a message back
 * to this queue leaves it to the loop in progress).
 */
export class QueueDelivery {
  private isDispatching = false;
  /** Deliveries wait for the store's delivered watermark to cover the head (see `dispatch`). */
  private isAwaitingCover = false;
  private readonly pager: QueuePager;

  constructor(
    private readonly queue: Queue,
    private readonly backlog: QueueBacklog,
    private readonly consumers: ConsumerRing,
    private readonly bodies: QueueBodies,
    private readonly discard: QueueDiscard,
    private readonly ttl: QueueMessageTtl,
    private readonly claims: SharedQueueClaims,
  ) {
    this.pager = bodies.pager;
  }

  /** See Queue.dispatch. */
  dispatch(): void {
    const queue = this.queue;
    if (this.isDispatching || queue.isDeleted || this.isAwaitingCover) return;
    this.isDispatching = true;
    try {
      const consumers = this.consumers;
      const backlog = this.backlog;
      const ready = backlog.list;
      const ttl = this.ttl;
      const now = Date.now();
      // Shared queues with a single active consumer on another node: this node's consumers wait.
      while (ready.length > 0 && consumers.length > 0 && !queue.isConsumingPaused) {
        if (ttl.expireHead(now) === 0) break;
        // A paged-out head is being read (or starts now): deliver again when its batch is loaded.
        if (ready.peek()!.isPagedOut) {
          this.bodies.readAhead();
          break;
        }
        const chosen = consumers.pick();
        if (!chosen) break;
        const head = ready.peek()!;
        if (!chosen.noAck && queue.messageStore && head.isPersistent) {
          // A tracked delivery must be covered by the store's delivered watermark before it leaves (redelivered
          // after a crash). Mostly it already is; otherwise wait once for the batch that covers the next many.
          const cover = queue.messageStore!.coverDelivery(queue.storageId, head.seq);
          if (cover !== undefined) {
            this.awaitCover(cover);
            break;
          }
        }
        const entry = backlog.shift()!;
        entry.deliveryCount++;
        if (chosen.noAck) this.discard.forget(entry);
        else {
          queue.unackedCount++;
          if (queue.messageStore && entry.isPersistent) queue.messageStore!.markDelivered(queue.storageId, [entry.seq]);
        }
        chosen.deliver(queue, entry);
      }
      if (this.pager.wantsRead && consumers.length > 0) this.bodies.readAhead();
    } finally {
      this.isDispatching = false;
    }
    if (queue.shared !== undefined && this.consumers.length > 0) queue.shared.wanted(queue);
  }

  /** Takes the head message for `basic.get` (see Queue.take); `isTracked` when the caller will wait for an ack. */
  take(isTracked: boolean): QueueEntry | undefined {
    const queue = this.queue;
    this.ttl.expireHead(Date.now());
    const head = this.backlog.list.peek();
    if (head?.isPagedOut) {
      // Cannot wait here: the read starts now; callers that can wait ask `headLoaded()` first.
      this.bodies.readAhead();
      return undefined;
    }
    const entry = this.backlog.shift();
    if (!entry) return undefined;
    if (this.pager.wantsRead) this.bodies.readAhead();
    entry.deliveryCount++;
    if (isTracked) {
      queue.unackedCount++;
      if (queue.messageStore && entry.isPersistent) {
        // basic.get answers in this turn and cannot wait: this reserves the watermark, and a crash before that
        // write commits (one group commit, once per reserve batch) may bring the message back unflagged.
        void queue.messageStore!.coverDelivery(queue.storageId, entry.seq)?.catch(() => undefined);
        queue.messageStore!.markDelivered(queue.storageId, [entry.seq]);
      }
    } else {
      this.discard.forget(entry);
    }
    return entry;
  }

  /** See Queue.requeue. */
  requeue(entries: readonly QueueEntry[]): void {
    const queue = this.queue;
    if (queue.isDeleted || entries.length === 0) return;
    queue.unackedCount -= entries.length;
    const limit = queue.policy.deliveryLimit;
    if (queue.shared !== undefined) return this.claims.release(entries, limit);
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (limit !== undefined && entry.deliveryCount > limit) {
        this.discard.drop(entry, 'delivery_limit');
        continue;
      }
      entry.redelivered = true;
      this.backlog.putBack(entry);
    }
    this.ttl.schedule();
    this.dispatch();
  }

  /** Stops deliveries until `cover` settles (a rejection means the store faulted: deliver anyway). */
  private awaitCover(cover: Promise<void>): void {
    this.isAwaitingCover = true;
    const resume = (): void => {
      this.isAwaitingCover = false;
      this.queue.dispatch();
    };
    cover.then(resume, resume);
  }
}
