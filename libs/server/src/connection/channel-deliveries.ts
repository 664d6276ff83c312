import { randomBytes } from 'node:crypto';
import { ReplyCode, type FieldTable } from '@app/codec';
import {
  ChannelError,
  ConnectionError,
  DIRECT_REPLY_TO,
  replyText,
  type Message,
  type MessageCounters,
  type Queue,
  type QueueEntry,
} from '@app/broker-core';
import type { Channel } from './channel.js';
import { ChannelConsumer } from './channel-consumer.js';
import { UnackedTracker, type Unacked } from './unacked-tracker.js';

/**
 * The consuming side of one channel: consumers and the direct reply-to consumer, prefetch, `basic.get`,
 * `basic.deliver`, and the acks, nacks and requeues that settle what was delivered.
 * Invariant: delivery tags only grow, and every delivery that needs an ack is in `unacked` until settled.
 */
export class ChannelDeliveries {
  private readonly consumers = new Map<string, ChannelConsumer>();
  private readonly unacked = new UnackedTracker();
  private nextDeliveryTag = 1;
  /** `basic.qos` global=false: the prefetch given to consumers created afterwards. */
  private consumerPrefetch = 0;
  /** `basic.qos` global=true: a limit shared by every consumer of the channel. */
  private channelPrefetch = 0;
  private replyConsumerTag?: string;
  /** The `amq.rabbitmq.reply-to` address of this channel's requests, while its reply consumer is active. */
  replyAddress?: string;

  constructor(private readonly channel: Channel) {}

  /** Unsettled deliveries on the channel. */
  get unackedCount(): number {
    return this.unacked.count;
  }

  /** Number of consumers. */
  get consumerCount(): number {
    return this.consumers.size;
  }

  /** Consumers, for introspection. */
  allConsumers(): IterableIterator<ChannelConsumer> {
    return this.consumers.values();
  }

  /** `basic.qos` global=false: the prefetch consumers created from now on get (RabbitMQ's `prefetch_count`). */
  get consumerPrefetchCount(): number {
    return this.consumerPrefetch;
  }

  /** `basic.qos` global=true: the channel-wide limit (RabbitMQ's `global_prefetch_count`). */
  get globalPrefetchCount(): number {
    return this.channelPrefetch;
  }

  /** Whether the channel-wide prefetch leaves room for one more delivery. */
  hasChannelCredit(): boolean {
    return this.channelPrefetch === 0 || this.unacked.count < this.channelPrefetch;
  }

  /** `basic.qos`: the channel-wide limit (global) or the prefetch of consumers created from now on. */
  setPrefetch(isGlobal: boolean, prefetchCount: number): void {
    if (isGlobal) this.channelPrefetch = prefetchCount;
    else this.consumerPrefetch = prefetchCount;
  }

  /**
   * The consumer timeout: when the oldest unacked delivery is older than `timeoutMs`, RabbitMQ's text for the
   * channel error (the caller closes the channel, which requeues everything); undefined otherwise.
   */
  consumerTimeoutError(now: number, timeoutMs: number): ChannelError | undefined {
    const oldest = this.unacked.oldestDeliveredAt();
    if (oldest === undefined || now - oldest < timeoutMs) return undefined;
    return precondition(
      `delivery acknowledgement on channel ${this.channel.id} timed out. Timeout value used: ${timeoutMs} ms. This timeout value can be configured, see consumers doc guide to learn more`,
    );
  }

  // ---- consuming ------------------------------------------------------------------------------------------

  /** `basic.consume`, including the direct reply-to pseudo-queue. */
  consume(queueName: string, requestedTag: string, noAck: boolean, isExclusive: boolean, isNowait: boolean, args: FieldTable = {}): void {
    const channel = this.channel;
    const tag = requestedTag || `amq.ctag-${randomBytes(16).toString('base64url').slice(0, 22)}`;
    if (this.consumers.has(tag) || tag === this.replyConsumerTag) {
      throw new ConnectionError(ReplyCode.NOT_ALLOWED, replyText(ReplyCode.NOT_ALLOWED, `attempt to reuse consumer tag '${tag}'`));
    }
    if (queueName === DIRECT_REPLY_TO) {
      if (!noAck) throw precondition('reply consumer cannot acknowledge');
      if (this.replyConsumerTag !== undefined) throw precondition('reply consumer already set');
      this.replyConsumerTag = tag;
      this.replyAddress = channel.vhost.registerReplyConsumer(channel);
      if (!isNowait) channel.send({ name: 'basic.consume-ok', classId: 60, methodId: 21, consumerTag: tag });
      return;
    }
    const vhost = channel.vhost;
    const name = channel.resolveQueueName(queueName);
    channel.host.access.check('read', 'queue', name);
    const queue = vhost.requireQueue(name, channel.owner);
    if (queue.hasExclusiveConsumer || (isExclusive && queue.consumerCount > 0)) {
      throw new ChannelError(
        ReplyCode.ACCESS_REFUSED,
        replyText(ReplyCode.ACCESS_REFUSED, `queue '${queue.name}' in vhost '${vhost.name}' in exclusive use`),
      );
    }
    const consumer = new ChannelConsumer(channel, tag, queue, noAck, isExclusive, this.consumerPrefetch, args);
    this.consumers.set(tag, consumer);
    // consume-ok must precede the first delivery.
    if (!isNowait) channel.send({ name: 'basic.consume-ok', classId: 60, methodId: 21, consumerTag: tag });
    queue.addConsumer(consumer);
  }

  /** `basic.cancel`: an unknown tag is not an error. */
  cancel(tag: string): void {
    if (tag === this.replyConsumerTag) {
      this.dropReplyConsumer();
      return;
    }
    const consumer = this.consumers.get(tag);
    if (!consumer) return;
    this.consumers.delete(tag);
    consumer.queue.removeConsumer(consumer);
    this.channel.vhost.consumerRemoved(consumer.queue);
  }

  /** `basic.get`: one message, or `get-empty`. */
  get(queueName: string, noAck: boolean): void {
    const channel = this.channel;
    const name = channel.resolveQueueName(queueName);
    channel.host.access.check('read', 'queue', name);
    const queue = channel.vhost.requireQueue(name, channel.owner);
    // A paged-out head is being read from the store (or, on a shared queue, a message claimed): answer once it is
    // loaded, rather than get-empty on a queue that has messages; the channel's later methods wait for it, so they
    // act and answer after this get, as they would on RabbitMQ's one-method-at-a-time channel.
    const loading = queue.headLoaded();
    if (loading !== undefined) {
      const answer = (): void => {
        if (channel.state === 'open') this.answerGet(queue, noAck);
      };
      // The load never rejects (a failed read answers from what is loaded); what answering throws closes as usual.
      channel.afterStep(loading, answer, (error) => channel.host.failChannel(channel.id, error, 60, 70));
      return;
    }
    this.answerGet(queue, noAck);
  }

  /** Takes the head of `queue` for `basic.get` and writes `get-ok` with it, or `get-empty`. */
  private answerGet(queue: Queue, noAck: boolean): void {
    const channel = this.channel;
    const entry = queue.take(!noAck);
    if (!entry) {
      channel.stats.getEmpty++;
      queue.stats.getEmpty++;
      channel.send({ name: 'basic.get-empty', classId: 60, methodId: 72, clusterId: '' });
      return;
    }
    const deliveryTag = this.nextDeliveryTag++;
    if (!noAck) this.unacked.add({ deliveryTag, queue, entry, consumer: null, isSettled: false, deliveredAt: Date.now() });
    countDelivery(channel.stats, queue.stats, entry.redelivered, noAck, true);
    const message = entry.message;
    channel.host.writer.writeContent(
      channel.id,
      {
        name: 'basic.get-ok',
        classId: 60,
        methodId: 71,
        deliveryTag,
        redelivered: entry.redelivered,
        exchange: message.exchange,
        routingKey: message.routingKey,
        messageCount: queue.messageCount,
      },
      queue.rawPropertiesFor(entry),
      message.body,
      channel.host.frameMax,
    );
  }

  /** Called by a consumer's queue: writes `basic.deliver` and tracks the delivery. */
  deliver(consumer: ChannelConsumer, queue: Queue, entry: QueueEntry): void {
    const deliveryTag = this.nextDeliveryTag++;
    if (!consumer.noAck) {
      consumer.unackedCount++;
      this.unacked.add({ deliveryTag, queue, entry, consumer, isSettled: false, deliveredAt: Date.now() });
    }
    countDelivery(this.channel.stats, queue.stats, entry.redelivered, consumer.noAck, false);
    const message = entry.message;
    const host = this.channel.host;
    host.writer.writeContent(
      this.channel.id,
      {
        name: 'basic.deliver',
        classId: 60,
        methodId: 60,
        consumerTag: consumer.tag,
        deliveryTag,
        redelivered: entry.redelivered,
        exchange: message.exchange,
        routingKey: message.routingKey,
      },
      queue.rawPropertiesFor(entry),
      message.body,
      host.frameMax,
    );
  }

  /** Direct reply-to: a response for this channel's requests, delivered without a queue or an ack. */
  deliverReply(message: Message, routingKey: string): void {
    const channel = this.channel;
    if (channel.state !== 'open' || this.replyConsumerTag === undefined) return;
    channel.host.writer.writeContent(
      channel.id,
      {
        name: 'basic.deliver',
        classId: 60,
        methodId: 60,
        consumerTag: this.replyConsumerTag,
        deliveryTag: this.nextDeliveryTag++,
        redelivered: false,
        exchange: message.exchange,
        routingKey,
      },
      message.rawProperties,
      message.body,
      channel.host.frameMax,
    );
  }

  /** The consumer's queue was deleted. */
  cancelledByServer(consumer: ChannelConsumer): void {
    this.consumers.delete(consumer.tag);
    const channel = this.channel;
    if (!channel.host.isCancelNotifySupported) return;
    // Deferred so that a `queue.delete` on this same channel is answered (delete-ok) before the cancel, as RabbitMQ
    // orders them: clients finish a test on the cancel and would otherwise lose the pending delete-ok.
    queueMicrotask(() => {
      if (channel.state === 'open')
        channel.send({ name: 'basic.cancel', classId: 60, methodId: 30, consumerTag: consumer.tag, nowait: true });
    });
  }

  /** Lets every consumer of the channel take messages again (socket drained, prefetch raised). */
  resumeDeliveries(): void {
    for (const consumer of this.consumers.values()) consumer.queue.dispatch();
  }

  // ---- acknowledgements -----------------------------------------------------------------------------------

  /** `basic.ack`/`nack`/`reject` taking effect (at once, or at `tx.commit`). */
  settle(kind: 'ack' | 'nack', deliveryTag: number, isMultiple: boolean, isRequeue: boolean): void {
    const records = this.unacked.take(deliveryTag, isMultiple);
    if (!records) throw precondition(`unknown delivery tag ${deliveryTag}`);
    if (kind === 'nack' && isRequeue) {
      this.requeue(records);
      return;
    }
    if (kind === 'ack') this.channel.stats.ack += records.length;
    for (const record of records) {
      if (record.consumer) record.consumer.unackedCount--;
      if (kind === 'ack') {
        record.queue.stats.ack++;
        record.queue.settled(record.entry);
      } else record.queue.rejected(record.entry);
    }
    // Freed prefetch credit: let the consumers' queues deliver again.
    if (this.channelPrefetch > 0) this.resumeDeliveries();
    else if (records.length === 1) records[0].queue.dispatch();
    else for (const queue of new Set(records.map((r) => r.queue))) queue.dispatch();
  }

  /** `basic.recover` with requeue: every unacked delivery goes back to its queue. */
  recover(): void {
    this.requeue(this.unacked.takeAll());
  }

  /** Returns settled-for-requeue records to their queues at their original positions. */
  private requeue(records: Unacked[]): void {
    if (records.length === 0) return;
    const byQueue = new Map<Queue, QueueEntry[]>();
    for (const record of records) {
      if (record.consumer) record.consumer.unackedCount--;
      let entries = byQueue.get(record.queue);
      if (!entries) byQueue.set(record.queue, (entries = []));
      entries.push(record.entry);
    }
    for (const [queue, entries] of byQueue) {
      entries.sort((a, b) => a.seq - b.seq);
      queue.requeue(entries);
    }
  }

  // ---- closing --------------------------------------------------------------------------------------------

  /**
   * The channel is closing: consumers are cancelled, unacked deliveries go back to their queues with `redelivered`
   * set, the direct reply-to consumer is dropped. Idempotent.
   */
  release(): void {
    for (const consumer of this.consumers.values()) {
      consumer.queue.removeConsumer(consumer);
    }
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    this.requeue(this.unacked.takeAll());
    for (const consumer of consumers) this.channel.vhost.consumerRemoved(consumer.queue);
    this.dropReplyConsumer();
  }

  private dropReplyConsumer(): void {
    if (this.replyAddress) this.channel.vhost.unregisterReplyConsumer(this.replyAddress);
    this.replyAddress = undefined;
    this.replyConsumerTag = undefined;
  }
}

/** Counts one `basic.deliver` or `basic.get-ok` on the channel's and the queue's counters (plain increments). */
function countDelivery(channel: MessageCounters, queue: MessageCounters, isRedelivered: boolean, noAck: boolean, isGet: boolean): void {
  if (isGet) {
    if (noAck) {
      channel.getNoAck++;
      queue.getNoAck++;
    } else {
      channel.get++;
      queue.get++;
    }
  } else if (noAck) {
    channel.deliverNoAck++;
    queue.deliverNoAck++;
  } else {
    channel.deliver++;
    queue.deliver++;
  }
  if (isRedelivered) {
    channel.redeliver++;
    queue.redeliver++;
  }
}

/** A 406 PRECONDITION_FAILED channel error. */
export function precondition(detail: string): ChannelError {
  return new ChannelError(ReplyCode.PRECONDITION_FAILED, replyText(ReplyCode.PRECONDITION_FAILED, detail));
}
