import type { QueueEntry } from './message.js';

/**
 * Message TTL of one queue: when an entry expires (queue `x-message-ttl` and the message's `expiration`, the
 * smaller wins) and the one timer armed for the head's expiry, so expired messages leave even with no consumer
 * asking (RabbitMQ semantics: only the head expires, so expiry never scans the queue).
 */
export class QueueExpiry {
  private timer?: NodeJS.Timeout;
  private at = 0;

  constructor(
    /** The queue's `x-message-ttl`, if any. */
    private readonly queueTtl: number | undefined,
    /** The head's expiry is due: expire the head, schedule again, dispatch. */
    private readonly due: () => void,
  ) {}

  /** When a message with this `expiration` property expires in this queue, from now (0: never). */
  expiresAt(expiration: string | undefined): number {
    const queueTtl = this.queueTtl;
    const messageTtl = expiration === undefined ? undefined : Number(expiration);
    const ttl = queueTtl === undefined ? messageTtl : messageTtl === undefined ? queueTtl : Math.min(queueTtl, messageTtl);
    return ttl === undefined ? 0 : Date.now() + ttl;
  }

  /** Arms the timer for `head`'s expiry, unless one is armed as early or earlier. */
  schedule(head: QueueEntry | undefined): void {
    if (!head || head.expiresAt === 0) return;
    if (this.timer && this.at <= head.expiresAt) return;
    clearTimeout(this.timer);
    this.at = head.expiresAt;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.at = 0;
        this.due();
      },
      Math.max(0, head.expiresAt - Date.now() + 1),
    );
    this.timer.unref();
  }

  /** Disarms the timer (queue deleted, broker shutdown). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.at = 0;
  }
}

/**
 * Queue expiry (`x-expires`): the countdown that deletes an unused queue. It runs only while the queue has no
 * consumers and restarts whenever the queue is used (declare, consume, get, cancel).
 */
export class QueueIdleTimer {
  private timer?: NodeJS.Timeout;

  constructor(
    /** The queue's `x-expires` in ms, if any. */
    private readonly expires: number | undefined,
    /** The queue was unused for all of it. */
    private readonly expired: () => void,
  ) {}

  /** Restarts the countdown (`hasConsumers`: none runs while the queue has consumers). */
  touch(hasConsumers: boolean): void {
    if (this.expires === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (hasConsumers) return;
    this.timer = setTimeout(this.expired, this.expires);
    this.timer.unref();
  }

  /** Stops the countdown (queue deleted, broker shutdown). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
