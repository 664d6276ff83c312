import { randomBytes } from 'node:crypto';
import { ReplyCode, type Method } from '@app/codec';
import {
  ChannelError,
  ConnectionError,
  DIRECT_REPLY_TO,
  Message,
  PublishOutcome,
  replyText,
  type DirectReplyConsumer,
  type MessageOrigin,
  type Queue,
  type QueueEntry,
  type VirtualHost,
} from '@app/broker-core';
import type { Exchange } from '@app/routing';
import type { FrameWriter } from '../net/frame-writer.js';
import { ChannelConsumer } from './channel-consumer.js';
import { handleTopologyMethod } from './channel-topology.js';
import { ContentAssembler, type AssembledPublish } from './content-assembler.js';
import { PublishConfirms } from './publish-confirms.js';
import { UnackedTracker, type Unacked } from './unacked-tracker.js';

/** What a channel needs from its connection. */
export interface ChannelHost {
  readonly writer: FrameWriter;
  readonly frameMax: number;
  readonly vhost: VirtualHost;
  readonly userName: string;
  readonly isCancelNotifySupported: boolean;
  readonly maxMessageSize: number;
  /** The connection object: owner of exclusive queues. */
  readonly owner: object;
  /** Asks for `confirms.flush()` just before the next socket write. */
  requestConfirmFlush(confirms: PublishConfirms): void;
  /** Who publishes on this connection (stamped on messages). */
  readonly origin: MessageOrigin;
  /** A publish started on this connection (flow control blocks publishing connections only). */
  publishing(exchange: string, routingKey: string): void;
  /** Hard close (used when storage cannot take a durable declaration). */
  closeConnection(replyCode: number, text: string, classId?: number, methodId?: number): void;
}

interface TxPublish {
  exchange: Exchange<Queue>;
  routingKey: string;
  isMandatory: boolean;
  message: Message;
}

type TxSettle = { kind: 'ack' | 'nack'; deliveryTag: number; isMultiple: boolean; isRequeue: boolean };

/** Channel lifecycle: `closing` after the server sent `channel.close` and waits for `close-ok`. */
export type ChannelState = 'open' | 'closing';

/**
 * One AMQP channel: content assembly, consumers, unacked deliveries, confirms and transactions.
 * Invariants: called only from its connection's read loop or from queue dispatch; never awaits; throws
 * ChannelError/ConnectionError and lets the connection turn them into close frames.
 */
export class Channel implements DirectReplyConsumer {
  state: ChannelState = 'open';
  private readonly consumers = new Map<string, ChannelConsumer>();
  private readonly unacked = new UnackedTracker();
  private nextDeliveryTag = 1;
  /** `basic.qos` global=false: the prefetch given to consumers created afterwards. */
  private consumerPrefetch = 0;
  /** `basic.qos` global=true: a limit shared by every consumer of the channel. */
  private channelPrefetch = 0;
  private readonly content: ContentAssembler;
  private confirms?: PublishConfirms;
  private txPublishes?: TxPublish[];
  private txSettles?: TxSettle[];
  private replyConsumerTag?: string;
  private replyAddress?: string;
  /** The last queue declared on the channel, which an empty queue name refers to (AMQP 0-9-1 queue.bind rule). */
  lastQueueName?: string;
  /** Storage writes the channel's next output must wait for (durable declarations answered after fsync). */
  private heldWrites = 0;
  private heldOutput?: Array<() => void>;

  constructor(
    readonly id: number,
    readonly host: ChannelHost,
  ) {
    const channel = this;
    this.content = new ContentAssembler({
      channelId: id,
      get userName() {
        return host.userName;
      },
      get maxMessageSize() {
        return host.maxMessageSize;
      },
      get replyAddress() {
        return channel.replyAddress;
      },
      get origin() {
        return host.origin;
      },
    });
  }

  /** The connection owning the channel. */
  get owner(): object {
    return this.host.owner;
  }

  /** The channel's virtual host. */
  get vhost(): VirtualHost {
    return this.host.vhost;
  }

  /** Unsettled deliveries on the channel. */
  get unackedCount(): number {
    return this.unacked.count;
  }

  /** Number of consumers. */
  get consumerCount(): number {
    return this.consumers.size;
  }

  /** Whether publisher confirms are on. */
  get isConfirmMode(): boolean {
    return this.confirms !== undefined;
  }

  /** Whether the channel is transactional. */
  get isTransactional(): boolean {
    return this.txPublishes !== undefined;
  }

  /** Whether the next frame must be a content header or body. */
  get isExpectingContent(): boolean {
    return this.content.isExpectingContent;
  }

  /** Consumers, for introspection. */
  allConsumers(): IterableIterator<ChannelConsumer> {
    return this.consumers.values();
  }

  /** Sends a method frame on this channel (after any storage write the channel is waiting for). */
  send(method: Method): void {
    if (this.heldWrites > 0) this.heldOutput!.push(() => this.host.writer.writeMethod(this.id, method));
    else this.host.writer.writeMethod(this.id, method);
  }

  /**
   * Holds the channel's output until the storage write of the latest durable declaration is on disk, so
   * `declare-ok` (and everything after it on this channel, in order) means "durable". Frames keep being processed
   * meanwhile; only what the client sees waits.
   */
  holdForStorage(): void {
    const write = this.host.vhost.takePendingWrite();
    if (!write) return;
    this.heldWrites++;
    this.heldOutput ??= [];
    const release = (): void => {
      if (--this.heldWrites > 0) return;
      const output = this.heldOutput!.splice(0);
      if (this.state !== 'open') return;
      for (const write of output) write();
      this.resumeDeliveries();
    };
    write.then(release, (error: unknown) => {
      release();
      this.host.closeConnection(
        ReplyCode.INTERNAL_ERROR,
        replyText(ReplyCode.INTERNAL_ERROR, `storage failure: ${error instanceof Error ? error.message : String(error)}`),
      );
    });
  }

  /** Whether the channel can take one more delivery now (global prefetch, socket backpressure). */
  canDeliver(): boolean {
    return (
      this.state === 'open' &&
      this.heldWrites === 0 &&
      (this.channelPrefetch === 0 || this.unacked.count < this.channelPrefetch) &&
      !this.host.writer.isBackedUp
    );
  }

  /** Dispatches a method received on this channel. */
  handleMethod(method: Method): void {
    switch (method.name) {
      case 'basic.publish':
        return this.startPublish(method.exchange, method.routingKey, method.mandatory, method.immediate);
      case 'basic.ack':
        return this.settle('ack', method.deliveryTag, method.multiple, false);
      case 'basic.nack':
        return this.settle('nack', method.deliveryTag, method.multiple, method.requeue);
      case 'basic.reject':
        return this.settle('nack', method.deliveryTag, false, method.requeue);
      case 'basic.qos':
        if (method.global) this.channelPrefetch = method.prefetchCount;
        else this.consumerPrefetch = method.prefetchCount;
        this.send({ name: 'basic.qos-ok', classId: 60, methodId: 11 });
        if (method.global) this.resumeDeliveries();
        return;
      case 'basic.consume':
        return this.consume(method.queue, method.consumerTag, method.noAck, method.exclusive, method.nowait);
      case 'basic.cancel':
        this.cancel(method.consumerTag);
        if (!method.nowait) this.send({ name: 'basic.cancel-ok', classId: 60, methodId: 31, consumerTag: method.consumerTag });
        return;
      case 'basic.get':
        return this.get(method.queue, method.noAck);
      case 'basic.recover':
      case 'basic.recover-async':
        if (!method.requeue) throw new ConnectionError(ReplyCode.NOT_IMPLEMENTED, replyText(ReplyCode.NOT_IMPLEMENTED, 'requeue=false'));
        this.requeue(this.unacked.takeAll());
        if (method.name === 'basic.recover') this.send({ name: 'basic.recover-ok', classId: 60, methodId: 111 });
        return;
      case 'confirm.select':
        if (this.isTransactional) throw precondition('cannot switch from tx to confirm mode');
        this.confirms ??= new PublishConfirms(this, (confirms) => this.host.requestConfirmFlush(confirms));
        if (!method.nowait) this.send({ name: 'confirm.select-ok', classId: 85, methodId: 11 });
        return;
      case 'tx.select':
        if (this.confirms) throw precondition('cannot switch from confirm to tx mode');
        this.txPublishes ??= [];
        this.txSettles ??= [];
        this.send({ name: 'tx.select-ok', classId: 90, methodId: 11 });
        return;
      case 'tx.commit':
        this.commit();
        this.send({ name: 'tx.commit-ok', classId: 90, methodId: 21 });
        return;
      case 'tx.rollback':
        if (!this.txPublishes || !this.txSettles) throw precondition('channel is not transactional');
        this.txPublishes.length = 0;
        this.txSettles.length = 0;
        this.send({ name: 'tx.rollback-ok', classId: 90, methodId: 31 });
        return;
      case 'channel.flow':
        if (!method.active) throw new ConnectionError(ReplyCode.NOT_IMPLEMENTED, replyText(ReplyCode.NOT_IMPLEMENTED, 'active=false'));
        this.send({ name: 'channel.flow-ok', classId: 20, methodId: 21, active: true });
        return;
      case 'access.request':
        this.send({ name: 'access.request-ok', classId: 30, methodId: 11, ticket: 1 });
        return;
      default:
        if (handleTopologyMethod(this, method)) return;
        throw new ConnectionError(
          ReplyCode.COMMAND_INVALID,
          replyText(ReplyCode.COMMAND_INVALID, `unexpected method '${method.name}' on channel ${this.id}`),
        );
    }
  }

  /**
   * The consumer timeout: when the oldest unacked delivery is older than `timeoutMs`, RabbitMQ's text for the
   * channel error (the caller closes the channel, which requeues everything); undefined otherwise.
   */
  consumerTimeoutError(now: number, timeoutMs: number): ChannelError | undefined {
    const oldest = this.unacked.oldestDeliveredAt();
    if (oldest === undefined || now - oldest < timeoutMs) return undefined;
    return precondition(
      `delivery acknowledgement on channel ${this.id} timed out. Timeout value used: ${timeoutMs} ms. This timeout value can be configured, see consumers doc guide to learn more`,
    );
  }

  /** Resolves the empty queue name to the channel's last declared queue. */
  resolveQueueName(name: string): string {
    if (name !== '') return name;
    if (this.lastQueueName === undefined) {
      throw new ChannelError(ReplyCode.NOT_FOUND, replyText(ReplyCode.NOT_FOUND, 'no previously declared queue'));
    }
    return this.lastQueueName;
  }

  // ---- publishing -------------------------------------------------------------------------------------------

  private startPublish(exchangeName: string, routingKey: string, isMandatory: boolean, isImmediate: boolean): void {
    if (isImmediate) throw new ConnectionError(ReplyCode.NOT_IMPLEMENTED, replyText(ReplyCode.NOT_IMPLEMENTED, 'immediate=true'));
    const vhost = this.host.vhost;
    const exchange = vhost.topology.getExchange(exchangeName);
    if (!exchange) {
      throw new ChannelError(ReplyCode.NOT_FOUND, replyText(ReplyCode.NOT_FOUND, `no exchange '${exchangeName}' in vhost '${vhost.name}'`));
    }
    if (exchange.internal) {
      throw new ChannelError(
        ReplyCode.ACCESS_REFUSED,
        replyText(ReplyCode.ACCESS_REFUSED, `cannot publish to internal exchange '${exchangeName}' in vhost '${vhost.name}'`),
      );
    }
    this.confirms?.nextPublish();
    this.host.publishing(exchangeName, routingKey);
    this.content.start(exchange, routingKey, isMandatory);
  }

  /** Content header of the publish in progress. `properties` is a view into the read buffer. */
  handleHeader(classId: number, bodySize: number, properties: Buffer): void {
    const complete = this.content.header(classId, bodySize, properties);
    if (complete) this.publish(complete);
  }

  /** A content body frame of the publish in progress. */
  handleBody(payload: Buffer): void {
    const complete = this.content.body(payload);
    if (complete) this.publish(complete);
  }

  private publish({ exchange, routingKey, isMandatory, message }: AssembledPublish): void {
    if (this.txPublishes) {
      this.txPublishes.push({ exchange, routingKey, isMandatory, message });
      return;
    }
    this.route(exchange, routingKey, isMandatory, message);
  }

  /**
   * Routes a complete message and settles its confirm: at once for transient or unroutable messages, when the
   * store has it on disk for persistent messages in durable queues.
   */
  private route(exchange: Exchange<Queue>, routingKey: string, isMandatory: boolean, message: Message): void {
    const confirms = this.confirms;
    const outcome = this.host.vhost.publish(exchange, routingKey, message);
    if (outcome === PublishOutcome.Unroutable && isMandatory) {
      // basic.return goes out before the confirm of the same message (RabbitMQ order).
      const write = (): void =>
        this.host.writer.writeContent(
          this.id,
          { name: 'basic.return', classId: 60, methodId: 50, replyCode: ReplyCode.NO_ROUTE, replyText: 'NO_ROUTE', exchange: exchange.name, routingKey },
          message.rawProperties,
          message.body,
          this.host.frameMax,
        );
      if (this.heldWrites > 0) this.heldOutput!.push(write);
      else write();
    }
    if (!confirms) return;
    const tag = confirms.currentTag;
    if (outcome === PublishOutcome.Rejected) {
      confirms.settle(tag, false);
    } else if (typeof outcome === 'object') {
      outcome.then(
        () => confirms.settle(tag, true),
        // Never confirm what the store did not take (reliability-and-security.md §1.4).
        () => confirms.settle(tag, false),
      );
    } else {
      confirms.settle(tag, true);
    }
  }

  private commit(): void {
    if (!this.txPublishes || !this.txSettles) throw precondition('channel is not transactional');
    const settles = this.txSettles.splice(0);
    for (const settle of settles) this.applySettle(settle.kind, settle.deliveryTag, settle.isMultiple, settle.isRequeue);
    for (const publish of this.txPublishes.splice(0)) {
      this.route(publish.exchange, publish.routingKey, publish.isMandatory, publish.message);
    }
  }

  // ---- consuming ------------------------------------------------------------------------------------------

  private consume(queueName: string, requestedTag: string, noAck: boolean, isExclusive: boolean, isNowait: boolean): void {
    const tag = requestedTag || `amq.ctag-${randomBytes(16).toString('base64url').slice(0, 22)}`;
    if (this.consumers.has(tag) || tag === this.replyConsumerTag) {
      throw new ConnectionError(ReplyCode.NOT_ALLOWED, replyText(ReplyCode.NOT_ALLOWED, `attempt to reuse consumer tag '${tag}'`));
    }
    if (queueName === DIRECT_REPLY_TO) {
      if (!noAck) throw precondition('reply consumer cannot acknowledge');
      if (this.replyConsumerTag !== undefined) throw precondition('reply consumer already set');
      this.replyConsumerTag = tag;
      this.replyAddress = this.host.vhost.registerReplyConsumer(this);
      if (!isNowait) this.send({ name: 'basic.consume-ok', classId: 60, methodId: 21, consumerTag: tag });
      return;
    }
    const vhost = this.host.vhost;
    const queue = vhost.requireQueue(this.resolveQueueName(queueName), this.owner);
    if (queue.hasExclusiveConsumer || (isExclusive && queue.consumerCount > 0)) {
      throw new ChannelError(
        ReplyCode.ACCESS_REFUSED,
        replyText(ReplyCode.ACCESS_REFUSED, `queue '${queue.name}' in vhost '${vhost.name}' in exclusive use`),
      );
    }
    const consumer = new ChannelConsumer(this, tag, queue, noAck, isExclusive, this.consumerPrefetch);
    this.consumers.set(tag, consumer);
    // consume-ok must precede the first delivery.
    if (!isNowait) this.send({ name: 'basic.consume-ok', classId: 60, methodId: 21, consumerTag: tag });
    queue.addConsumer(consumer);
  }

  private cancel(tag: string): void {
    if (tag === this.replyConsumerTag) {
      this.dropReplyConsumer();
      return;
    }
    const consumer = this.consumers.get(tag);
    if (!consumer) return;
    this.consumers.delete(tag);
    consumer.queue.removeConsumer(consumer);
    this.host.vhost.consumerRemoved(consumer.queue);
  }

  private get(queueName: string, noAck: boolean): void {
    const queue = this.host.vhost.requireQueue(this.resolveQueueName(queueName), this.owner);
    const entry = queue.take(!noAck);
    if (!entry) {
      this.send({ name: 'basic.get-empty', classId: 60, methodId: 72, clusterId: '' });
      return;
    }
    const deliveryTag = this.nextDeliveryTag++;
    if (!noAck) this.unacked.add({ deliveryTag, queue, entry, consumer: null, isSettled: false, deliveredAt: Date.now() });
    const message = entry.message;
    this.host.writer.writeContent(
      this.id,
      {
        name: 'basic.get-ok', classId: 60, methodId: 71, deliveryTag, redelivered: entry.redelivered,
        exchange: message.exchange, routingKey: message.routingKey, messageCount: queue.messageCount,
      },
      queue.rawPropertiesFor(entry),
      message.body,
      this.host.frameMax,
    );
  }

  /** Called by a consumer's queue: writes `basic.deliver` and tracks the delivery. */
  deliver(consumer: ChannelConsumer, queue: Queue, entry: QueueEntry): void {
    const deliveryTag = this.nextDeliveryTag++;
    if (!consumer.noAck) {
      consumer.unackedCount++;
      this.unacked.add({ deliveryTag, queue, entry, consumer, isSettled: false, deliveredAt: Date.now() });
    }
    const message = entry.message;
    this.host.writer.writeContent(
      this.id,
      {
        name: 'basic.deliver', classId: 60, methodId: 60, consumerTag: consumer.tag, deliveryTag,
        redelivered: entry.redelivered, exchange: message.exchange, routingKey: message.routingKey,
      },
      queue.rawPropertiesFor(entry),
      message.body,
      this.host.frameMax,
    );
  }

  /** Direct reply-to: a response for this channel's requests, delivered without a queue or an ack. */
  deliverReply(message: Message, routingKey: string): void {
    if (this.state !== 'open' || this.replyConsumerTag === undefined) return;
    this.host.writer.writeContent(
      this.id,
      {
        name: 'basic.deliver', classId: 60, methodId: 60, consumerTag: this.replyConsumerTag,
        deliveryTag: this.nextDeliveryTag++, redelivered: false, exchange: message.exchange, routingKey,
      },
      message.rawProperties,
      message.body,
      this.host.frameMax,
    );
  }

  /** The consumer's queue was deleted. */
  consumerCancelledByServer(consumer: ChannelConsumer): void {
    this.consumers.delete(consumer.tag);
    if (!this.host.isCancelNotifySupported) return;
    // Deferred so that a `queue.delete` on this same channel is answered (delete-ok) before the cancel, as RabbitMQ
    // orders them: clients finish a test on the cancel and would otherwise lose the pending delete-ok.
    queueMicrotask(() => {
      if (this.state === 'open') this.send({ name: 'basic.cancel', classId: 60, methodId: 30, consumerTag: consumer.tag, nowait: true });
    });
  }

  /** Lets every consumer of the channel take messages again (socket drained, prefetch raised). */
  resumeDeliveries(): void {
    for (const consumer of this.consumers.values()) consumer.queue.dispatch();
  }

  // ---- acknowledgements -----------------------------------------------------------------------------------

  private settle(kind: 'ack' | 'nack', deliveryTag: number, isMultiple: boolean, isRequeue: boolean): void {
    if (this.txSettles) {
      this.txSettles.push({ kind, deliveryTag, isMultiple, isRequeue });
      return;
    }
    this.applySettle(kind, deliveryTag, isMultiple, isRequeue);
  }

  private applySettle(kind: 'ack' | 'nack', deliveryTag: number, isMultiple: boolean, isRequeue: boolean): void {
    const records = this.unacked.take(deliveryTag, isMultiple);
    if (!records) throw precondition(`unknown delivery tag ${deliveryTag}`);
    if (kind === 'nack' && isRequeue) {
      this.requeue(records);
      return;
    }
    for (const record of records) {
      if (record.consumer) record.consumer.unackedCount--;
      if (kind === 'ack') record.queue.settled(record.entry);
      else record.queue.rejected(record.entry);
    }
    // Freed prefetch credit: let the consumers' queues deliver again.
    if (this.channelPrefetch > 0) this.resumeDeliveries();
    else if (records.length === 1) records[0].queue.dispatch();
    else for (const queue of new Set(records.map((r) => r.queue))) queue.dispatch();
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
   * Releases everything the channel holds: consumers are cancelled, unacked deliveries go back to their queues
   * with `redelivered` set, the direct reply-to consumer is dropped. Idempotent.
   */
  release(): void {
    this.state = 'closing';
    this.content.reset();
    for (const consumer of this.consumers.values()) {
      consumer.queue.removeConsumer(consumer);
    }
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    this.requeue(this.unacked.takeAll());
    for (const consumer of consumers) this.host.vhost.consumerRemoved(consumer.queue);
    this.dropReplyConsumer();
    this.confirms?.discard();
  }

  private dropReplyConsumer(): void {
    if (this.replyAddress) this.host.vhost.unregisterReplyConsumer(this.replyAddress);
    this.replyAddress = undefined;
    this.replyConsumerTag = undefined;
  }
}

function precondition(detail: string): ChannelError {
  return new ChannelError(ReplyCode.PRECONDITION_FAILED, replyText(ReplyCode.PRECONDITION_FAILED, detail));
}
