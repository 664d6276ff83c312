import type { Method } from '@app/codec';
import { RingBuffer, type MessageCounters } from '@app/broker-core';

const PENDING = 0;
const ACKED = 1;
const NACKED = 2;

/**
 * Publisher confirms of one channel (`confirm.select`): every publish gets exactly one `basic.ack` or `basic.nack`.
 *
 * Confirms go out in publish order: a transient message published after a persistent one still waiting for its
 * fsync is confirmed together with it. Runs of acks that are due at the same flush go out as a single `basic.ack`
 * with `multiple=true`, which saves a frame per message for pipelined publishers.
 */
export class PublishConfirms {
  private lastTag = 0;
  /** Tag of the first undecided or unsent publish; `states.at(i)` belongs to tag `base + i`. */
  private base = 1;
  private readonly states = new RingBuffer<number>();
  private isDiscarded = false;

  constructor(
    private readonly channel: { send(method: Method): void },
    private readonly requestFlush: (confirms: PublishConfirms) => void,
    /** The channel's counters: `confirm` counts the publishes acked. */
    private readonly stats?: MessageCounters,
  ) {}

  /** Assigns the next publish sequence number (a `basic.publish` arrived). */
  nextPublish(): number {
    this.states.push(PENDING);
    return ++this.lastTag;
  }

  /** The sequence number of the latest publish. */
  get currentTag(): number {
    return this.lastTag;
  }

  /** Publishes not yet confirmed to the client (RabbitMQ's `messages_unconfirmed`). */
  get unconfirmedCount(): number {
    return this.states.length;
  }

  /** Decides a publish: ack (stored or routed) or nack (refused, storage failure). */
  settle(tag: number, isAck: boolean): void {
    const index = tag - this.base;
    if (index < 0 || index >= this.states.length || this.isDiscarded) return;
    this.states.set(index, isAck ? ACKED : NACKED);
    if (index === 0) this.requestFlush(this);
  }

  /** Writes the decided confirms at the head, in order. Called just before the connection's socket flush. */
  flush(): void {
    if (this.isDiscarded) return;
    let ackRun = 0;
    while (this.states.length > 0) {
      const state = this.states.peek()!;
      if (state === PENDING) break;
      if (state === NACKED) {
        this.sendAcks(ackRun);
        ackRun = 0;
        this.channel.send({ name: 'basic.nack', classId: 60, methodId: 120, deliveryTag: this.base, multiple: false, requeue: false });
        this.base++;
      } else {
        ackRun++;
        this.base++;
      }
      this.states.shift();
    }
    this.sendAcks(ackRun);
  }

  /** The channel closed: nothing more is sent. */
  discard(): void {
    this.isDiscarded = true;
    this.states.clear();
  }

  /** Acks the `count` publishes just before `base` with one frame. */
  private sendAcks(count: number): void {
    if (count === 0) return;
    if (this.stats) this.stats.confirm += count;
    this.channel.send({ name: 'basic.ack', classId: 60, methodId: 80, deliveryTag: this.base - 1, multiple: count > 1 });
  }
}
