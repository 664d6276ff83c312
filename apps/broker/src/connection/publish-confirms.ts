import type { Method } from '@app/codec';

/**
 * Publisher confirms of one channel (`confirm.select`): every publish gets exactly one `basic.ack` or `basic.nack`.
 * Acks that become due in the same event-loop turn go out as a single `basic.ack` with `multiple=true`,
 * which saves a frame per message for pipelined publishers.
 *
 * Invariant: confirms are decided in publish order, so the acked tags always form a contiguous range.
 */
export class PublishConfirms {
  private lastTag = 0;
  private ackedUpTo = 0;
  private sentUpTo = 0;
  private isDiscarded = false;

  constructor(
    private readonly channel: { send(method: Method): void },
    private readonly requestFlush: (confirms: PublishConfirms) => void,
  ) {}

  /** Assigns the next publish sequence number (a `basic.publish` arrived). */
  nextPublish(): number {
    return ++this.lastTag;
  }

  /** Confirms the latest publish. */
  confirmCurrent(): void {
    this.ackedUpTo = this.lastTag;
    this.requestFlush(this);
  }

  /** Rejects the latest publish (overflow or storage failure): pending acks go first, then a single nack. */
  nackCurrent(): void {
    this.ackedUpTo = this.lastTag - 1;
    this.flush();
    this.channel.send({ name: 'basic.nack', classId: 60, methodId: 120, deliveryTag: this.lastTag, multiple: false, requeue: false });
    this.ackedUpTo = this.sentUpTo = this.lastTag;
  }

  /** Writes the coalesced ack, if any. Called just before the connection's socket flush. */
  flush(): void {
    if (this.isDiscarded || this.ackedUpTo <= this.sentUpTo) return;
    const isMultiple = this.ackedUpTo - this.sentUpTo > 1;
    this.channel.send({ name: 'basic.ack', classId: 60, methodId: 80, deliveryTag: this.ackedUpTo, multiple: isMultiple });
    this.sentUpTo = this.ackedUpTo;
  }

  /** The channel closed: nothing more is sent. */
  discard(): void {
    this.isDiscarded = true;
  }
}

