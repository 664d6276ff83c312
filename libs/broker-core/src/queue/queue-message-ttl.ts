import { runGuarded } from '../background-task.js';
import type { QueueBacklog } from './queue-backlog.js';
import type { QueueDiscard } from './queue-discard.js';
import { QueueExpiry } from './queue-expiry.js';
import type { Queue } from './queue.js';

/**
 * Message TTL of one queue at work: the deadline a message gets (queue `x-message-ttl` and the message's
 * `expiration`, queue-expiry.ts), the one timer armed for the head's deadline, and dropping expired messages from the
 * head (reason `expired`). RabbitMQ semantics: only the head expires, so expiry never scans the queue.
 *
 * Invariants: event loop only, never awaits.
 */
export class QueueMessageTtl {
  private readonly timer: QueueExpiry;

  constructor(
    private readonly queue: Queue,
    private readonly backlog: QueueBacklog,
    private readonly discard: QueueDiscard,
  ) {
    // Expired messages leave even with no consumer asking; a throw is reported, the queue keeps serving.
    this.timer = new QueueExpiry(queue.policy.messageTtl, () =>
      runGuarded(
        `queue '${queue.name}' message TTL`,
        () => {
          this.expireHead(Date.now());
          this.schedule();
          queue.dispatch();
        },
        queue.hooks?.reportError,
      ),
    );
  }

  /** When a message with this `expiration` property, enqueued now, expires in this queue (epoch ms, 0: never). */
  expiresAt(expiration: string | undefined): number {
    return this.timer.expiresAt(expiration);
  }

  /** When a message of a tail segment restored at `restoredAt` expires: a per-message TTL counts from the restart at most. */
  tailExpiresAt(expiration: string | undefined, restoredAt: number): number {
    const at = this.timer.expiresAt(expiration);
    return at === 0 || restoredAt === 0 ? at : Math.max(1, at - (Date.now() - restoredAt));
  }

  /** Arms the timer for the head's expiry (unless one is armed as early). */
  schedule(): void {
    if (!this.queue.isDeleted) this.timer.schedule(this.backlog.list.peek());
  }

  /** Drops expired messages at the head; returns how many ready messages remain. */
  expireHead(now: number): number {
    const ready = this.backlog.list;
    for (let head = ready.peek(); head && head.expiresAt > 0 && now > head.expiresAt; head = ready.peek()) {
      this.backlog.shift();
      this.discard.drop(head, 'expired');
    }
    return ready.length;
  }

  /** Disarms the timer (queue deleted, broker shutdown). */
  clear(): void {
    this.timer.clear();
  }
}
