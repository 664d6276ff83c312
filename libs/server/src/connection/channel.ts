import { ReplyCode, type Method } from '@app/codec';
import {
  ChannelError,
  ConnectionError,
  Message,
  MessageCounters,
  PublishOutcome,
  replyText,
  type DirectReplyConsumer,
  type MessageOrigin,
  type Queue,
  type TopologyActor,
  type VhostAccess,
  type VirtualHost,
} from '@app/broker-core';
import { MANAGEMENT_EXCHANGE } from '@app/management-contract';
import type { Exchange } from '@app/routing';
import type { FrameWriter } from '../net/frame-writer.js';
import { ChannelDeliveries, precondition } from './channel-deliveries.js';
import type { ChannelConsumer } from './channel-consumer.js';
import { handleTopologyMethod } from './channel-topology.js';
import { ChannelTransaction } from './channel-transaction.js';
import { ContentAssembler, type AssembledPublish, type PublishTarget } from './content-assembler.js';
import { accessRefused, assertManagementListenerMethod, refuseManagementResource, type ManagementInbox } from './management-access.js';
import { MethodSequencer, type FrameReplay } from './method-sequencer.js';
import { OutputGate } from './output-gate.js';
import { PublishConfirms } from './publish-confirms.js';

/** What a channel needs from its connection (its frame entry points: where a channel's held frames go back). */
export interface ChannelHost extends FrameReplay {
  readonly writer: FrameWriter;
  readonly frameMax: number;
  readonly vhost: VirtualHost;
  readonly userName: string;
  readonly isCancelNotifySupported: boolean;
  readonly maxMessageSize: number;
  /** The connection object: owner of exclusive queues. */
  readonly owner: object;
  /** Runs this connection's topology commands (owner and permission hook). */
  readonly actor: TopologyActor;
  /** The user's permissions in the vhost: publish, get, consume and purge checks. */
  readonly access: VhostAccess;
  /** Asks for `confirms.flush()` just before the next socket write. */
  requestConfirmFlush(confirms: PublishConfirms): void;
  /** Who publishes on this connection (stamped on messages). */
  readonly origin: MessageOrigin;
  /** A publish started on this connection (flow control blocks publishing connections only). */
  publishing(): void;
  /** Reading is paused by flow control: publishes completed meanwhile are held, not routed. */
  readonly isBlocked: boolean;
  /** Accepted on the management listener: may only publish management requests and read their replies. */
  readonly isManagement: boolean;
  /** Where management requests go; set only on management connections whose user may send them. */
  readonly managementInbox: ManagementInbox | undefined;
  /** The connection's totals of its closed channels' message counters (a channel adds its own when released). */
  readonly closedChannelStats: MessageCounters;
  /** Hard close (used when storage cannot take a durable declaration). */
  closeConnection(replyCode: number, text: string, classId?: number, methodId?: number): void;
  /** A method answered after an asynchronous step failed: closes the channel (ChannelError) or the connection. */
  failChannel(channelId: number, error: unknown, classId: number, methodId: number): void;
}

/** Channel lifecycle: `closing` after the server sent `channel.close` and waits for `close-ok`. */
export type ChannelState = 'open' | 'closing';

/**
 * One AMQP channel: method dispatch, publishing (content assembly, confirms, transactions) and its output;
 * consumers and unacked deliveries are its `deliveries`.
 * Invariants: called only from its connection's read loop or from queue dispatch; never awaits; throws
 * ChannelError/ConnectionError and lets the connection turn them into close frames.
 */
export class Channel implements DirectReplyConsumer {
  state: ChannelState = 'open';
  /** Message counters (`message_stats`), incremented on the publish and delivery paths, read by the stats sampler. */
  readonly stats = new MessageCounters();
  private isStatsRetired = false;
  /** Consumers, unacked deliveries and prefetch: the consuming side of the channel. */
  readonly deliveries = new ChannelDeliveries(this);
  private readonly content: ContentAssembler;
  private confirms?: PublishConfirms;
  private tx?: ChannelTransaction;
  /** The last queue declared on the channel, which an empty queue name refers to (AMQP 0-9-1 queue.bind rule). */
  lastQueueName?: string;
  /**
   * Publishes completed while the connection is blocked (the rest of the read that blocked it): routed on
   * unblock, so nothing a blocked publisher sends is enqueued during an alarm. Bounded by one socket read.
   */
  private heldPublishes?: AssembledPublish[];
  /** Output waiting for storage writes (durable declarations are answered after fsync). */
  private readonly output: OutputGate;
  /** Later frames wait while a method's asynchronous step is pending (methods act strictly in order). */
  private readonly sequencer: MethodSequencer;

  constructor(
    readonly id: number,
    readonly host: ChannelHost,
  ) {
    const deliveries = this.deliveries;
    this.content = new ContentAssembler({
      channelId: id,
      get userName() {
        return host.userName;
      },
      get maxMessageSize() {
        return host.maxMessageSize;
      },
      get replyAddress() {
        return deliveries.replyAddress;
      },
      get origin() {
        return host.origin;
      },
    });
    this.output = new OutputGate(this, (error) => this.storageFailed(error));
    this.sequencer = new MethodSequencer(id, host);
  }

  /** A storage step of this channel failed: 541 INTERNAL_ERROR closes the connection (never acted on a guess). */
  storageFailed(error: unknown): void {
    this.host.closeConnection(
      ReplyCode.INTERNAL_ERROR,
      replyText(ReplyCode.INTERNAL_ERROR, `storage failure: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /** A method's asynchronous step is pending: the channel's frames are held until it has acted (see {@link afterStep}). */
  get isWaiting(): boolean {
    return this.sequencer.isWaiting;
  }

  /** Holds a method that arrived while {@link isWaiting}. */
  holdMethod(method: Method): void {
    this.sequencer.holdMethod(method);
  }

  /**
   * For a method that needs an asynchronous step before it can act: runs `act` (or `failed`) once `step` settles,
   * and meanwhile holds every later frame of this channel, replayed in order afterwards (method-sequencer.ts).
   */
  afterStep<T>(step: Promise<T>, act: (value: T) => void, failed: (error: unknown) => void): void {
    this.sequencer.after(step, act, failed);
  }

  /** The connection owning the channel. */
  get owner(): object {
    return this.host.owner;
  }

  /** Who runs this channel's topology commands: its connection. */
  get actor(): TopologyActor {
    return this.host.actor;
  }

  /** The channel's virtual host. */
  get vhost(): VirtualHost {
    return this.host.vhost;
  }

  /** Unsettled deliveries on the channel. */
  get unackedCount(): number {
    return this.deliveries.unackedCount;
  }

  /** Number of consumers. */
  get consumerCount(): number {
    return this.deliveries.consumerCount;
  }

  /** Whether publisher confirms are on. */
  get isConfirmMode(): boolean {
    return this.confirms !== undefined;
  }

  /** Publishes waiting for their confirm (0 outside confirm mode). */
  get unconfirmedCount(): number {
    return this.confirms?.unconfirmedCount ?? 0;
  }

  /** Publishes and acknowledgements held by an open transaction (RabbitMQ's `messages_uncommitted`, `acks_uncommitted`). */
  get uncommitted(): { messages: number; acks: number } {
    return this.tx?.pendingCounts() ?? { messages: 0, acks: 0 };
  }

  /** Whether the channel is transactional. */
  get isTransactional(): boolean {
    return this.tx !== undefined;
  }

  /** Whether the next frame must be a content header or body. */
  get isExpectingContent(): boolean {
    return this.content.isExpectingContent;
  }

  /** Consumers, for introspection. */
  allConsumers(): IterableIterator<ChannelConsumer> {
    return this.deliveries.allConsumers();
  }

  /** Sends a method frame on this channel (after any storage write the channel is waiting for). */
  send(method: Method): void {
    if (this.output.heldWrites > 0) this.output.defer(() => this.host.writer.writeMethod(this.id, method));
    else this.host.writer.writeMethod(this.id, method);
  }

  /**
   * Holds the channel's output until a topology command's storage write is on disk, so `declare-ok` (and
   * everything after it on this channel, in order) means "durable".
   */
  holdForStorage(write: Promise<void> | undefined): void {
    if (write) this.output.hold(write);
  }

  /** Whether the channel can take one more delivery now (global prefetch, socket backpressure). */
  canDeliver(): boolean {
    return this.state === 'open' && this.output.heldWrites === 0 && this.deliveries.hasChannelCredit() && !this.host.writer.isBackedUp;
  }

  /** Dispatches a method received on this channel. */
  handleMethod(method: Method): void {
    if (this.host.isManagement) assertManagementListenerMethod(method);
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
        this.deliveries.setPrefetch(method.global, method.prefetchCount);
        this.send({ name: 'basic.qos-ok', classId: 60, methodId: 11 });
        if (method.global) this.resumeDeliveries();
        return;
      case 'basic.consume':
        refuseManagementResource(method, this.vhost.name, this.host.userName);
        return this.deliveries.consume(method.queue, method.consumerTag, method.noAck, method.exclusive, method.nowait, method.arguments);
      case 'basic.cancel':
        this.deliveries.cancel(method.consumerTag);
        if (!method.nowait) this.send({ name: 'basic.cancel-ok', classId: 60, methodId: 31, consumerTag: method.consumerTag });
        return;
      case 'basic.get':
        refuseManagementResource(method, this.vhost.name, this.host.userName);
        return this.deliveries.get(method.queue, method.noAck);
      case 'basic.recover':
      case 'basic.recover-async':
        if (!method.requeue) throw new ConnectionError(ReplyCode.NOT_IMPLEMENTED, replyText(ReplyCode.NOT_IMPLEMENTED, 'requeue=false'));
        this.deliveries.recover();
        if (method.name === 'basic.recover') this.send({ name: 'basic.recover-ok', classId: 60, methodId: 111 });
        return;
      case 'confirm.select':
        if (this.isTransactional) throw precondition('cannot switch from tx to confirm mode');
        this.confirms ??= new PublishConfirms(this, (confirms) => this.host.requestConfirmFlush(confirms), this.stats);
        if (!method.nowait) this.send({ name: 'confirm.select-ok', classId: 85, methodId: 11 });
        return;
      case 'tx.select':
        if (this.confirms) throw precondition('cannot switch from confirm to tx mode');
        this.tx ??= new ChannelTransaction();
        this.send({ name: 'tx.select-ok', classId: 90, methodId: 11 });
        return;
      case 'tx.commit':
        this.commit();
        this.send({ name: 'tx.commit-ok', classId: 90, methodId: 21 });
        return;
      case 'tx.rollback':
        if (!this.tx) throw precondition('channel is not transactional');
        this.tx.rollback();
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
        refuseManagementResource(method, this.vhost.name, this.host.userName);
        if (handleTopologyMethod(this, method)) return;
        throw new ConnectionError(
          ReplyCode.COMMAND_INVALID,
          replyText(ReplyCode.COMMAND_INVALID, `unexpected method '${method.name}' on channel ${this.id}`),
        );
    }
  }

  /** The consumer timeout's channel error when the oldest unacked delivery is older than `timeoutMs`. */
  consumerTimeoutError(now: number, timeoutMs: number): ChannelError | undefined {
    return this.deliveries.consumerTimeoutError(now, timeoutMs);
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
    if (exchangeName === MANAGEMENT_EXCHANGE || this.host.isManagement) return this.startManagementPublish(exchangeName, routingKey);
    // RabbitMQ checks write permission before looking the exchange up; the decision is cached per exchange name.
    const access = this.host.access;
    access.checkPublish(exchangeName);
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
    if (exchange.type.name === 'topic') access.checkTopic('write', exchangeName, routingKey);
    this.confirms?.nextPublish();
    this.host.publishing();
    this.content.start(exchange, routingKey, isMandatory);
  }

  /**
   * A publish to the management exchange, or any publish on a management connection: only a management connection
   * whose user may send requests reaches the inbox; everyone else gets 403 (the exchange is not in the topology).
   */
  private startManagementPublish(exchangeName: string, routingKey: string): void {
    const inbox = this.host.managementInbox;
    if (exchangeName !== MANAGEMENT_EXCHANGE || !inbox) throw accessRefused('exchange', exchangeName, this.vhost.name, this.host.userName);
    this.confirms?.nextPublish();
    this.host.publishing();
    this.content.start(inbox, routingKey, false);
  }

  /** The connection was unblocked: routes what was held, in order (holding again if blocked meanwhile). */
  releaseHeldPublishes(): void {
    const held = this.heldPublishes;
    if (!held || this.state !== 'open') return;
    this.heldPublishes = undefined;
    for (const publish of held) this.publish(publish);
  }

  /** Content header of the publish in progress. `properties` is a view into the read buffer. */
  handleHeader(classId: number, bodySize: number, properties: Buffer): void {
    if (this.sequencer.isWaiting) return this.sequencer.holdHeader(classId, bodySize, properties);
    const complete = this.content.header(classId, bodySize, properties);
    if (complete) this.publish(complete);
  }

  /** A content body frame of the publish in progress. */
  handleBody(payload: Buffer): void {
    if (this.sequencer.isWaiting) return this.sequencer.holdBody(payload);
    const complete = this.content.body(payload);
    if (complete) this.publish(complete);
  }

  private publish(publish: AssembledPublish): void {
    if (this.host.isBlocked) {
      (this.heldPublishes ??= []).push(publish);
      return;
    }
    const { exchange, routingKey, isMandatory, message } = publish;
    if (this.tx) {
      this.tx.addPublish({ exchange, routingKey, isMandatory, message });
      return;
    }
    this.route(exchange, routingKey, isMandatory, message);
  }

  /**
   * Routes a complete message and settles its confirm: at once for transient or unroutable messages, when the
   * store has it on disk for persistent messages in durable queues.
   */
  private route(target: PublishTarget, routingKey: string, isMandatory: boolean, message: Message): void {
    const confirms = this.confirms;
    if (target === this.host.managementInbox) {
      this.stats.publish++;
      const isAccepted = target.accept(message);
      if (confirms) confirms.settle(confirms.currentTag, isAccepted);
      return;
    }
    const exchange = target as Exchange<Queue>;
    const outcome = this.host.vhost.publish(exchange, routingKey, message);
    const stats = this.stats;
    stats.publish++;
    exchange.publishIn++;
    if (outcome !== PublishOutcome.Unroutable) exchange.publishOut++;
    else if (isMandatory) stats.returnUnroutable++;
    else stats.dropUnroutable++;
    if (outcome === PublishOutcome.Unroutable && isMandatory) {
      // basic.return goes out before the confirm of the same message (RabbitMQ order).
      const write = (): void =>
        this.host.writer.writeContent(
          this.id,
          {
            name: 'basic.return',
            classId: 60,
            methodId: 50,
            replyCode: ReplyCode.NO_ROUTE,
            replyText: 'NO_ROUTE',
            exchange: exchange.name,
            routingKey,
          },
          message.rawProperties,
          message.body,
          this.host.frameMax,
        );
      if (this.output.heldWrites > 0) this.output.defer(write);
      else write();
    }
    if (!confirms) return;
    const tag = confirms.currentTag;
    if (outcome === PublishOutcome.Rejected) {
      confirms.settle(tag, false);
    } else if (typeof outcome === 'object') {
      outcome.then(
        () => confirms.settle(tag, true),
        // Never confirm what the store did not take: a confirm promises the message survives a crash.
        () => confirms.settle(tag, false),
      );
    } else {
      confirms.settle(tag, true);
    }
  }

  private commit(): void {
    if (!this.tx) throw precondition('channel is not transactional');
    for (const settle of this.tx.takeSettles())
      this.deliveries.settle(settle.kind, settle.deliveryTag, settle.isMultiple, settle.isRequeue);
    for (const publish of this.tx.takePublishes()) this.route(publish.exchange, publish.routingKey, publish.isMandatory, publish.message);
  }

  // ---- consuming ------------------------------------------------------------------------------------------

  /** Direct reply-to: a response for this channel's requests, delivered without a queue or an ack. */
  deliverReply(message: Message, routingKey: string): void {
    this.deliveries.deliverReply(message, routingKey);
  }

  /** Lets every consumer of the channel take messages again (socket drained, prefetch raised). */
  resumeDeliveries(): void {
    this.deliveries.resumeDeliveries();
  }

  private settle(kind: 'ack' | 'nack', deliveryTag: number, isMultiple: boolean, isRequeue: boolean): void {
    if (this.tx) this.tx.addSettle({ kind, deliveryTag, isMultiple, isRequeue });
    else this.deliveries.settle(kind, deliveryTag, isMultiple, isRequeue);
  }

  // ---- closing --------------------------------------------------------------------------------------------

  /**
   * Releases everything the channel holds: consumers are cancelled, unacked deliveries go back to their queues
   * with `redelivered` set, the direct reply-to consumer is dropped. Idempotent.
   */
  release(): void {
    this.state = 'closing';
    if (!this.isStatsRetired) {
      this.isStatsRetired = true;
      this.host.closedChannelStats.add(this.stats);
    }
    this.heldPublishes = undefined;
    this.content.reset();
    this.deliveries.release();
    this.confirms?.discard();
  }
}
