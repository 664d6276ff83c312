import { randomBytes } from 'node:crypto';
import { ReplyCode } from '@app/codec';
import { RoutingError, Topology, type Exchange, type TopologyChange } from '@app/routing';
import type { EnqueueEntry, MessageStore, MetadataRecord } from '@app/storage';
import { ChannelError, ConnectionError, replyText } from '../amqp-error.js';
import { reportToStderr, type BackgroundErrorReporter } from '../background-task.js';
import type { BrokerStorage, QueueRecord } from '../persistence/broker-storage.js';
import { TopologyPersistence } from '../persistence/topology-persistence.js';
import type { Message, QueueEntry } from '../queue/message.js';
import { integerOf } from '../queue/queue-arguments.js';
import { Queue, type QueueHooks, type QueueOptions } from '../queue/queue.js';
import { DeadLetterRouter } from './dead-letter-router.js';
import { DelayedMessages } from './delayed-messages.js';
import { DIRECT_REPLY_PREFIX, DirectReplyTable, type DirectReplyConsumer } from './direct-reply-to.js';
import { BROKER_ACTOR, type TopologyActor, type TopologyCommand, type TopologyOutcome, type TopologyResults } from './topology-command.js';
import { lockedQueue, runTopologyCommand, type TopologyTarget } from './topology-executor.js';
import { restoreQueueMessages } from './queue-message-recovery.js';
import { senderSelectedKeys, withoutBcc } from './sender-selected.js';

/** Outcome of a publish, for confirms and mandatory returns. */
export enum PublishOutcome {
  Routed,
  Unroutable,
  /** At least one queue refused it (`x-overflow: reject-publish`): the publisher gets a nack. */
  Rejected,
}

/**
 * One virtual host: its exchanges and bindings (`libs/routing`), its queues and the direct reply-to table.
 * Invariants: runs on the event loop only, never awaits.
 */
export class VirtualHost implements TopologyTarget {
  readonly topology: Topology<Queue>;
  private readonly queues = new Map<string, Queue>();
  /** Direct reply-to consumers by token; multi-node mode sets its relay (responses for other nodes' requesters). */
  readonly replies: DirectReplyTable;
  /** Reused across publishes so routing allocates nothing per message. */
  private readonly routeScratch = new Set<Queue>();
  /** Called after a queue is created by any path (declare, recovery). */
  onQueueCreated?: (queue: Queue) => Promise<void> | void;
  /** Called after a queue is deleted by any path (explicit, auto-delete, exclusive owner gone). */
  onQueueDeleted?: (queue: Queue) => Promise<void> | void;
  /**
   * Called for each change of a non-durable exchange or of a binding with a non-durable end (never stored; multi-node
   * mode shares them through the cluster, node-owned-topology.ts in the server).
   */
  onTransientChange?: (change: TopologyChange<Queue>) => Promise<void> | void;
  /** Set once a queue of this vhost became shared (multi-node, docs/SCALE-OUT.md): publishes then look for them. */
  hasSharedQueues = false;
  private storage?: BrokerStorage;
  private persistence?: TopologyPersistence<Queue>;
  /** Storage writes started by the command being executed; undefined outside {@link execute}. */
  private commandWrites: Promise<void>[] | undefined;
  /** Routes what queues drop to their dead-letter exchanges (dead-letter-router.ts). */
  private readonly deadLetters: DeadLetterRouter;
  /** Messages held by `x-delayed-message` exchanges. */
  readonly delayed: DelayedMessages;
  /** Most queues the vhost may hold; 0 = unlimited. */
  maxQueues = 0;
  private readonly queueHooks: QueueHooks = {
    deadLetter: (queue, message, reason) => this.deadLetters.deadLetter(queue, message, reason),
    expired: (queue) => {
      // A shared queue may be in use on another node: its link decides (once, across nodes).
      if (queue.shared?.expire !== undefined) queue.shared.expire(queue);
      else if (queue.consumerCount === 0) this.removeQueue(queue);
    },
    reportError: (task, error) => this.reportError(task, error),
  };

  /**
   * @param reportError where errors thrown by the vhost's timers (queue expiry and TTL, delayed messages) go; they
   *   are logged and the timers keep going.
   */
  constructor(
    readonly name: string,
    private readonly reportError: BackgroundErrorReporter = reportToStderr,
  ) {
    this.topology = new Topology<Queue>(name, undefined, (queueName) => this.queues.get(queueName));
    this.replies = new DirectReplyTable(name);
    this.deadLetters = new DeadLetterRouter(this.topology, (targets, message) => void this.enqueueAll(targets, message));
    this.delayed = new DelayedMessages(
      name,
      (exchange, routingKey, message) => this.routeAndEnqueue(exchange, routingKey, message),
      (exchangeName) => this.topology.getExchange(exchangeName),
      reportError,
    );
  }

  /** Makes durable queues, exchanges and bindings, and persistent messages, go to storage from now on. */
  attachStorage(storage: BrokerStorage): void {
    this.storage = storage;
    this.persistence = new TopologyPersistence(
      this.topology,
      storage.metadata,
      (queue) => queue.storage !== undefined,
      (write) => this.track(write),
    );
    this.persistence.onTransientChange = (change) => this.onTransientChange?.(change);
    this.persistence.attach();
  }

  /**
   * Rebuilds durable exchanges, queues (with their messages, in order) and bindings from storage.
   * Called once at start-up, before clients connect, with storage already attached.
   */
  async restore(records: readonly MetadataRecord[], queues: readonly QueueRecord[], messages: MessageStore): Promise<number> {
    const persistence = this.persistence!;
    this.topology.onChange = undefined;
    persistence.restoreExchanges(records);
    let restored = 0;
    for (const record of queues) {
      if (record.vhost !== this.name) continue;
      restored += await restoreQueueMessages(this.createQueue(record.name, record.options, this, false), messages);
    }
    persistence.restoreBindings(records, (name) => this.queues.get(name));
    persistence.attach();
    for (const exchange of this.topology.exchanges()) {
      if (exchange.type.isDelayed && exchange.durable) restored += await this.delayed.restore(exchange.name, messages);
    }
    return restored;
  }

  /**
   * Runs one topology command: validates it, asks `actor.authorize`, applies it and starts persisting what it
   * changed durably. Throws the AMQP error (ChannelError or ConnectionError) before anything changes. The outcome's
   * `written` resolves once the durable changes are on disk: answer the client after it.
   */
  execute<C extends TopologyCommand>(command: C, actor: TopologyActor): TopologyOutcome<TopologyResults[C['kind']]> {
    const outer = this.commandWrites;
    const writes: Promise<void>[] = [];
    this.commandWrites = writes;
    try {
      const result = runTopologyCommand(this, command, actor);
      const written = writes.length === 0 ? undefined : writes.length === 1 ? writes[0] : Promise.all(writes).then(() => undefined);
      return { result, written };
    } catch (error) {
      throw toAmqpError(error);
    } finally {
      this.commandWrites = outer;
    }
  }

  /**
   * A storage write of a topology change: part of the running command's outcome, or (a change no client waits for:
   * auto-delete, exclusive owner gone, x-expires) left to surface through the store's fault state.
   */
  private track(write: Promise<void>): void {
    if (this.commandWrites) this.commandWrites.push(write);
    else write.catch(() => undefined);
  }

  /**
   * Deletes everything the vhost holds (the vhost itself is being deleted): its queues with their stored messages,
   * the records of its durable exchanges and bindings, and delayed messages. Resolves once storage forgot them.
   * The caller closed the vhost's connections first, so nothing of it is in use.
   */
  destroy(): Promise<void> {
    const writes: Promise<void>[] = [];
    const outer = this.commandWrites;
    this.commandWrites = writes;
    try {
      for (const queue of [...this.queues.values()]) this.removeQueue(queue);
    } finally {
      this.commandWrites = outer;
    }
    if (this.persistence) writes.push(this.persistence.forgetAll());
    if (this.storage) {
      for (const exchange of this.topology.exchanges()) {
        if (exchange.type.isDelayed) writes.push(this.storage.messages.deleteQueue(this.delayed.storeId(exchange.name)));
      }
    }
    this.dispose();
    return Promise.all(writes).then(() => undefined);
  }

  /** Stops every timer of the vhost (shutdown). */
  dispose(): void {
    this.delayed.dispose();
    for (const queue of this.queues.values()) queue.dispose();
  }

  /** Looks a queue up by name. */
  getQueue(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  /** Every queue. */
  allQueues(): IterableIterator<Queue> {
    return this.queues.values();
  }

  /** Finds a queue for an operation that needs it (bind, consume, get, purge): 404 or 405 otherwise. */
  requireQueue(name: string, owner: object): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw this.noQueue(name);
    this.checkExclusiveAccess(queue, owner);
    return queue;
  }

  /** Deletes a queue object (auto-delete, exclusive owner gone, explicit delete); returns messages dropped. */
  removeQueue(queue: Queue): number {
    if (queue.isDeleted || this.queues.get(queue.name) !== queue) return 0;
    this.queues.delete(queue.name);
    this.topology.removeQueue(queue);
    const dropped = queue.markDeleted();
    queue.dispose();
    if (queue.storage) this.track(this.storage!.deleteQueue(queue));
    const unshared = this.onQueueDeleted?.(queue);
    if (unshared) this.track(unshared);
    return dropped;
  }

  /** Deletes every exclusive queue of a connection that is going away. */
  removeExclusiveQueues(owner: object): void {
    for (const queue of [...this.queues.values()]) {
      if (queue.exclusiveOwner === owner) this.removeQueue(queue);
    }
  }

  /** Called after a consumer left a queue: auto-delete queues go when their last consumer does (on shared queues, of every node). */
  consumerRemoved(queue: Queue): void {
    // A shared queue's link decides when the last consumer of every node went (queue-ports.ts, `used`).
    if (queue.shared?.used !== undefined) return;
    if (queue.options.autoDelete && queue.hasHadConsumers && queue.consumerCount === 0) this.removeQueue(queue);
  }

  /**
   * Routes a message through an exchange and enqueues it on every matching queue.
   * Direct reply-to responses (default exchange, `amq.rabbitmq.reply-to.<token>`) go straight to the requester.
   * Returns a promise when the message went to durable queues: it resolves once the message is on disk.
   */
  publish(exchange: Exchange<Queue>, routingKey: string, message: Message): PublishOutcome | Promise<void> {
    if (exchange.name === '' && routingKey.startsWith(DIRECT_REPLY_PREFIX)) {
      const routed = this.replies.route(routingKey, message);
      return routed === true ? PublishOutcome.Routed : routed === false ? PublishOutcome.Unroutable : routed;
    }
    if (exchange.type.isDelayed) {
      const delay = integerOf(message.properties.headers?.['x-delay']);
      if (delay !== undefined && delay > 0) {
        return this.delayed.schedule(exchange, routingKey, message, delay, this.storage?.messages) ?? PublishOutcome.Routed;
      }
    }
    return this.routeAndEnqueue(exchange, routingKey, message);
  }

  /** Routes and enqueues now (publish, and delayed messages once due). */
  private routeAndEnqueue(exchange: Exchange<Queue>, routingKey: string, message: Message): PublishOutcome | Promise<void> {
    const targets = this.routeScratch;
    try {
      const headers = message.properties.headers;
      // Sender-selected distribution: CC and BCC headers add routing keys; BCC is stripped before delivery.
      const keys =
        headers && (headers.CC !== undefined || headers.BCC !== undefined) ? senderSelectedKeys(routingKey, headers) : routingKey;
      this.topology.route(exchange, keys, headers, targets);
      if (targets.size === 0) return PublishOutcome.Unroutable;
      if (headers?.BCC !== undefined) message = withoutBcc(message);
      return this.enqueueAll(targets, message);
    } finally {
      targets.clear();
    }
  }

  /**
   * Enqueues a routed message on every target. Persistent messages are handed to the store for every durable copy
   * before any delivery, so a delivery is always of a stored message (its delivered mark and a later ack then refer
   * to something the store knows). Returns the store's write when there is one.
   */
  private enqueueAll(targets: Iterable<Queue>, message: Message): PublishOutcome | Promise<void> {
    let isRejected = false;
    if (this.hasSharedQueues) {
      let sharedWrites: Promise<void>[] | undefined;
      for (const queue of targets) if (queue.shared !== undefined) (sharedWrites ??= []).push(queue.shared.publish(queue, message));
      if (sharedWrites !== undefined) return this.enqueueShared(targets, message, sharedWrites);
    }
    if (!message.isPersistent || !this.storage) {
      for (const queue of targets) if (!queue.enqueue(message)) isRejected = true;
      return isRejected ? PublishOutcome.Rejected : PublishOutcome.Routed;
    }
    let entries: EnqueueEntry[] | undefined;
    let stored: Array<{ queue: Queue; entry: QueueEntry }> | undefined;
    let index: Buffer | undefined;
    for (const queue of targets) {
      const entry = queue.push(message);
      if (!entry) isRejected = true;
      else if (queue.storage) {
        // The index record lets a restart rebuild the queue without reading bodies (queue-index-record.ts).
        (entries ??= []).push({
          queueId: queue.storageId,
          seq: entry.seq,
          data: message.storageData,
          index: (index ??= message.indexData),
        });
        (stored ??= []).push({ queue, entry });
      }
    }
    const write = entries ? this.storage.enqueue(entries) : undefined;
    if (write && stored) {
      const copies = stored;
      write.then(
        // Durable now: past a queue's in-memory window the body may be paged out (queue-pager.ts).
        () => {
          for (const { queue, entry } of copies) queue.stored(entry);
        },
        () => {
          for (const { queue, entry } of copies) queue.withdraw(entry);
        },
      );
    }
    for (const queue of targets) if (queue.consumerCount > 0) queue.dispatch();
    if (isRejected) {
      write?.catch(() => undefined);
      return PublishOutcome.Rejected;
    }
    return write ?? PublishOutcome.Routed;
  }

  /**
   * Enqueues a message another node routed to `queue` (one of this node's, multi-node mode) as a publish routed to
   * it alone would be; what it refuses (`x-overflow`) is dropped or dead-lettered here, the publisher was answered.
   */
  enqueueForwarded(queue: Queue, message: Message): void {
    const outcome = this.enqueueAll([queue], message);
    if (typeof outcome === 'object') outcome.catch(() => undefined); // a failed write is the store's fault state
  }

  /**
   * Multi-node shared queues (docs/SCALE-OUT.md): their copies went to the shared table; the other targets are
   * enqueued here as usual, and the publish is confirmed once every write committed.
   */
  private enqueueShared(targets: Iterable<Queue>, message: Message, writes: Promise<void>[]): PublishOutcome | Promise<void> {
    const local: Queue[] = [];
    for (const queue of targets) if (queue.shared === undefined) local.push(queue);
    const outcome = local.length > 0 ? this.enqueueAll(local, message) : PublishOutcome.Routed;
    if (outcome === PublishOutcome.Rejected) {
      for (const write of writes) write.catch(() => undefined);
      return outcome;
    }
    if (typeof outcome === 'object') writes.push(outcome);
    const all = Promise.all(writes).then(() => undefined);
    all.catch(() => undefined); // dead letters do not wait for it; a publisher's confirm still sees the rejection
    return all;
  }

  /** Registers a channel's direct reply-to consumer; returns the reply-to address to put in requests. */
  registerReplyConsumer(consumer: DirectReplyConsumer): string {
    return this.replies.register(consumer);
  }

  /** Removes a direct reply-to consumer (cancel, channel close). */
  unregisterReplyConsumer(address: string): void {
    this.replies.unregister(address);
  }

  /** @internal Creates and registers a queue; use {@link execute} with `queue.declare`. */
  createQueue(name: string, options: QueueOptions, owner: object, isNew = true): Queue {
    if (isNew && this.maxQueues > 0 && this.queues.size >= this.maxQueues) {
      throw new ChannelError(
        ReplyCode.PRECONDITION_FAILED,
        replyText(
          ReplyCode.PRECONDITION_FAILED,
          `cannot declare queue '${name}': queue limit in vhost '${this.name}' (${this.maxQueues}) is reached`,
        ),
      );
    }
    const queue = new Queue(name, this.name, options, options.exclusive ? owner : null);
    queue.hooks = this.queueHooks;
    this.queues.set(name, queue);
    queue.touch();
    // Past its window, a queue pages what the store does not hold durably to the store's transient range.
    if (this.storage?.pagesTransient) queue.attachSpill(this.storage);
    // Exclusive queues die with their connection, so they are never worth persisting.
    if (this.storage && options.durable && !options.exclusive) {
      queue.storage = this.storage;
      if (isNew) this.track(this.storage.saveQueue(queue));
    }
    // Multi-node mode shares some queues with the other nodes: the declare is answered once that committed.
    const shared = this.onQueueCreated?.(queue);
    if (shared) this.track(shared);
    return queue;
  }

  /** @internal A fresh `amq.gen-…` name. */
  generateQueueName(): string {
    let name: string;
    do name = `amq.gen-${randomBytes(16).toString('base64url').slice(0, 22)}`;
    while (this.queues.has(name));
    return name;
  }

  private checkExclusiveAccess(queue: Queue, owner: object): void {
    if (queue.exclusiveOwner && queue.exclusiveOwner !== owner && owner !== BROKER_ACTOR.owner) throw lockedQueue(queue.name, this.name);
  }

  private noQueue(name: string): ChannelError {
    return new ChannelError(ReplyCode.NOT_FOUND, replyText(ReplyCode.NOT_FOUND, `no queue '${name}' in vhost '${this.name}'`));
  }
}

/** Maps routing-layer errors onto AMQP errors; passes everything else through. */
export function toAmqpError(error: unknown): unknown {
  if (error instanceof RoutingError) {
    return error.isHard ? new ConnectionError(error.replyCode, error.replyText) : new ChannelError(error.replyCode, error.replyText);
  }
  return error;
}
