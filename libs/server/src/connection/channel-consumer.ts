import type { Queue, QueueConsumer, QueueEntry } from '@app/broker-core';
import type { FieldTable } from '@app/codec';
import type { Channel } from './channel.js';

/**
 * A `basic.consume` subscription: the queue's view of one consumer on a channel.
 * `prefetchCount` is fixed at consume time (RabbitMQ's per-consumer `basic.qos`, global=false).
 */
export class ChannelConsumer implements QueueConsumer {
  /** Deliveries to this consumer not yet settled (its prefetch credit in use). */
  unackedCount = 0;

  constructor(
    readonly channel: Channel,
    readonly tag: string,
    readonly queue: Queue,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    readonly prefetchCount: number,
    /** The `basic.consume` arguments, as the client sent them (shown by the management API). */
    readonly consumeArguments: FieldTable = {},
  ) {}

  /** The owning connection (exclusive-queue checks). */
  get owner(): object {
    return this.channel.owner;
  }

  /** Prefetch and socket backpressure allow one more delivery. */
  canAccept(): boolean {
    return (this.noAck || this.prefetchCount === 0 || this.unackedCount < this.prefetchCount) && this.channel.canDeliver();
  }

  /** Deliveries prefetch allows now; Infinity for no-ack or unlimited prefetch (channel credit is counted as yes). */
  freeCapacity(): number {
    if (!this.channel.canDeliver()) return 0;
    if (this.noAck || this.prefetchCount === 0) return Infinity;
    return Math.max(0, this.prefetchCount - this.unackedCount);
  }

  /** Hands a message to the channel for `basic.deliver`. */
  deliver(queue: Queue, entry: QueueEntry): void {
    this.channel.deliveries.deliver(this, queue, entry);
  }

  /** The queue was deleted: the channel tells the client with `basic.cancel`. */
  cancelledByServer(): void {
    this.channel.deliveries.cancelledByServer(this);
  }
}
