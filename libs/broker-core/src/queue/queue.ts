import { wellFormed } from '@app/codec';
import { runGuarded } from '../background-task.js';
import type { QueueConsumer } from './consumer.js';
import { ConsumerRing } from './consumer-ring.js';
import type { Message, QueueEntry } from './message.js';
import { parseQueueArguments, type QueuePolicy } from './queue-arguments.js';
import type { QueueIndexFacts } from './queue-index-record.js';
import { QueueBodies } from './queue-bodies.js';
import { deliveryPropertiesOf, newQueueEntry, pagedQueueEntry } from './queue-entry.js';
import { QueueIdleTimer } from './queue-expiry.js';
import { DEFAULT_QUEUE_WINDOW, type QueuePager, type QueueWindow } from './queue-pager.js';
import type { QueueHooks, QueueOptions, QueueStorage, SharedQueueLink } from './queue-ports.js';
import type { QueueSpillStore } from './queue-spill.js';
import { QueueBacklog } from './queue-backlog.js';
import { QueueDelivery } from './queue-delivery.js';
import { QueueDiscard } from './queue-discard.js';
import { QueueMessageTtl } from './queue-message-ttl.js';
import { SharedQueueClaims } from './shared-queue-claims.js';
import { MessageCounters } from '../stats/message-counters.js';

export type { DeadLetterReason, QueueHooks, QueueOptions, QueueStorage, SharedQueueLink } from './queue-ports.js';

/**
 * A queue: ready messages (FIFO, or per priority level), consumers served round-robin under their prefetch, and
 * the policies of its `x-*` arguments (length limits, TTL, dead-lettering, delivery limit, expiry). This class is
 * the queue's API and state; the work is done by plain parts it owns and calls directly: the ready list and its
 * counts (queue-backlog.ts), where bodies are (queue-bodies.ts), the dispatch loop, `basic.get` and requeues
 * (queue-delivery.ts), message TTL (queue-message-ttl.ts), dead-lettering and forgetting (queue-discard.ts) and the
 * node's side of a shared queue (shared-queue-claims.ts).
 *
 * Invariants: called only from the event loop thread, never awaits; `dispatch()` is not re-entrant. Expired
 * messages are removed from the head only (RabbitMQ semantics), so expiry never scans the queue.
 */
export class Queue {
  /** The in-memory window of queues that set no `x-max-in-memory-*` argument (broker-wide configuration). */
  static defaultWindow: QueueWindow = DEFAULT_QUEUE_WINDOW;
  readonly policy: QueuePolicy;
  /** The ready list and its counts (queue-backlog.ts). */
  private readonly backlog: QueueBacklog;
  private readonly consumerRing: ConsumerRing;
  /** Which ready bodies are in memory, the read-ahead of paged ones and transient paging (queue-bodies.ts). */
  private readonly bodies: QueueBodies;
  /** The pager of `bodies` (counts, page-out decisions). */
  private readonly pager: QueuePager;
  /** Drops (dead-lettering) and forgets messages that leave for good (queue-discard.ts). */
  private readonly discard: QueueDiscard;
  /** The dispatch loop, `basic.get` and requeues (queue-delivery.ts). */
  private readonly delivery: QueueDelivery;
  /** Message TTL: deadlines, the head's timer, expired heads dropped (queue-message-ttl.ts). */
  private readonly ttl: QueueMessageTtl;
  private readonly idleTimer: QueueIdleTimer;
  /** Multi-node shared queues: releases and purges of what this node claimed (shared-queue-claims.ts). */
  private readonly claims: SharedQueueClaims;
  /** Deliveries out with channels and not yet settled. */
  unackedCount = 0;
  /** `message_stats` counters: `publish` here, deliveries, gets and acks by the channel layer (stats/). */
  readonly stats = new MessageCounters();
  /** Set once the queue has had a consumer: auto-delete applies only after that (RabbitMQ semantics). */
  hasHadConsumers = false;
  /** Set when deleted, so late acks and requeues for its messages are dropped. */
  isDeleted = false;
  /** Set for durable, non-exclusive queues of a broker with a message store: persistent messages are stored. */
  storage?: QueueStorage;
  /**
   * Multi-node shared queue: its messages live in a table every node claims from; this queue holds what this node
   * claimed: the link owns its messages' persistence (`messageStore` is unset; `storage` stays for the vhost's
   * record of the queue). See {@link SharedQueueLink}.
   */
  shared?: SharedQueueLink;
  /**
   * Shared queues: the last count of the whole backlog across nodes (rows no node has claimed, and all rows), set by
   * the link on declare, purge and its periodic sampling: what the admin API and metrics report.
   */
  sharedBacklog?: { readonly unclaimed: number; readonly total: number };
  /** Dead-lettering and expiry, provided by the virtual host. */
  hooks?: QueueHooks;
  /**
   * Shared queues with `x-single-active-consumer`: another node holds the queue's single active consumer (or none
   * was taken yet), so this node's consumers wait and receive nothing (shared-queue-feed.ts sets it).
   */
  isConsumingPaused = false;
  /** Shared queues with `x-single-active-consumer`: the tag of the active consumer when another node holds it. */
  remoteActiveConsumerTag: string | undefined;
  /**
   * The store of its persistent messages as this queue sees it: `storage`, except on shared queues, whose messages
   * the shared link stores (the vhost still uses `storage` for the queue's own record).
   */
  get messageStore(): QueueStorage | undefined {
    return this.shared === undefined ? this.storage : undefined;
  }

  /** The queue's id in storage. */
  readonly storageId: string;

  /** Parses the arguments first: a bad one throws 406 before anything is created. */
  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly options: QueueOptions,
    /** The owning connection of an exclusive queue; null otherwise. */
    readonly exclusiveOwner: object | null,
  ) {
    this.policy = parseQueueArguments(name, vhost, options.arguments);
    this.consumerRing = new ConsumerRing(this.policy.singleActiveConsumer);
    this.idleTimer = new QueueIdleTimer(this.policy.expires, () =>
      runGuarded(`queue '${name}' expiry`, () => this.hooks?.expired(this), this.hooks?.reportError),
    );
    // Exactly the key the store holds: UTF-8 turns a lone surrogate into U+FFFD (and encodeURIComponent throws on
    // one). New names cannot hold one (topology-executor.ts refuses them); a queue stored before that check still
    // finds its messages under the key they were written with.
    this.storageId = `${encodeURIComponent(wellFormed(vhost))}/${wellFormed(name)}`;
    const window = {
      messages: this.policy.maxInMemoryLength ?? Queue.defaultWindow.messages,
      bytes: this.policy.maxInMemoryBytes ?? Queue.defaultWindow.bytes,
      transientMessages: this.policy.maxInMemoryLength,
    };
    this.bodies = new QueueBodies(this, window, (lost) => {
      // Gone from the store (quarantined as damaged, which the store reports): they cannot be served.
      for (const entry of lost) this.backlog.remove(entry);
      if (lost.length > 0) this.ttl.schedule();
      this.dispatch();
    });
    this.pager = this.bodies.pager;
    this.backlog = new QueueBacklog(this.policy, this.bodies);
    this.discard = new QueueDiscard(this, this.bodies);
    this.ttl = new QueueMessageTtl(this, this.backlog, this.discard);
    this.claims = new SharedQueueClaims(this, this.backlog, this.bodies, this.discard);
    this.delivery = new QueueDelivery(this, this.backlog, this.consumerRing, this.bodies, this.discard, this.ttl, this.claims);
    this.bodies.attach(this.backlog, this.ttl);
  }

  /**
   * Lets bodies the store does not hold durably (transient messages, any message of a non-durable queue) page out
   * past the window too, into the store's transient range (dropped at restart).
   */
  attachSpill(store: QueueSpillStore): void {
    this.bodies.attachSpill(store);
  }

  /** Ready messages whose bodies are paged out to the store (not in memory), tail segments included. */
  get pagedOutCount(): number {
    return this.pager.pagedCount + this.pager.tailCount;
  }

  /** Ready messages held in tail segments: in the store alone, with no per-message object in memory. */
  get tailCount(): number {
    return this.pager.tailCount;
  }

  /** The sequence number the next message gets (restored from storage at start-up). */
  get nextSequence(): number {
    return this.backlog.nextSeq;
  }

  set nextSequence(seq: number) {
    this.backlog.nextSeq = Math.max(this.backlog.nextSeq, seq);
  }

  /** Ready messages. */
  get messageCount(): number {
    return this.backlog.list.length;
  }

  /**
   * Ready messages as reported (declare-ok, admin API, metrics): `messageCount`, except on shared queues: what no
   * node has claimed (last count) plus what this node claimed and has not delivered yet.
   */
  get reportedReadyCount(): number {
    const ready = this.backlog.list.length;
    return this.sharedBacklog === undefined ? ready : this.sharedBacklog.unclaimed + ready;
  }

  /**
   * Ready plus unacknowledged messages as reported: on shared queues every row of the backlog (last count), so other
   * nodes' claimed messages count as unacknowledged.
   */
  get reportedTotalCount(): number {
    if (this.sharedBacklog === undefined) return this.backlog.list.length + this.unackedCount;
    return Math.max(this.sharedBacklog.total, this.reportedReadyCount + this.unackedCount);
  }

  /** Bytes of ready message bodies. */
  get messageBytes(): number {
    return this.backlog.bytes;
  }

  /** Active consumers. */
  get consumerCount(): number {
    return this.consumerRing.length;
  }

  /** The consumers, for introspection. */
  get consumers(): readonly QueueConsumer[] {
    return this.consumerRing.all;
  }

  /** Whether the current exclusive consumer forbids more. */
  get hasExclusiveConsumer(): boolean {
    return this.consumerRing.hasExclusive;
  }

  /**
   * With `x-single-active-consumer`: the consumer of this node that receives (the first registered), undefined when
   * there is none or another node's consumer is the active one (shared queues).
   */
  get activeConsumer(): QueueConsumer | undefined {
    return this.policy.singleActiveConsumer && !this.isConsumingPaused ? this.consumerRing.all[0] : undefined;
  }

  /** With `x-single-active-consumer`: the active consumer's tag, on this node or (shared queues) another; else undefined. */
  get activeConsumerTag(): string | undefined {
    if (!this.policy.singleActiveConsumer) return undefined;
    return this.isConsumingPaused ? this.remoteActiveConsumerTag : this.consumerRing.all[0]?.tag;
  }

  /**
   * When a message published now expires in this queue (epoch ms on this clock, 0 for never): shared queues store it
   * with the message, so its TTL counts from the publish on every node.
   */
  expiresAtFor(message: Message): number {
    return this.ttl.expiresAt(message.expiration);
  }

  /** Adds a message at the tail and delivers what consumers can take; undefined when refused by `x-overflow`. */
  enqueue(message: Message): QueueEntry | undefined {
    const entry = this.push(message);
    if (entry && this.consumerRing.length > 0) this.dispatch();
    return entry;
  }

  /**
   * Adds a message without dispatching (the caller persists it first, then calls `dispatch()`).
   * Applies the length limit: `drop-head` makes room by dropping (dead-lettering) the oldest, `reject-publish`
   * refuses the new message (undefined: the publisher gets a nack), `reject-publish-dlx` refuses and dead-letters it.
   */
  push(message: Message): QueueEntry | undefined {
    const policy = this.policy;
    const backlog = this.backlog;
    if (policy.overflow !== 'drop-head' && backlog.isOver(1, message.bodySize)) {
      if (policy.overflow === 'reject-publish-dlx') this.hooks?.deadLetter(this, message, 'maxlen');
      return undefined;
    }
    const entry = this.newEntry(message, backlog.nextSeq++, false);
    this.stats.publish++;
    backlog.enter(entry);
    while (backlog.isOver(0, 0) && backlog.list.length > 0) this.discard.drop(backlog.shift()!, 'maxlen');
    if (entry.expiresAt > 0) this.ttl.schedule();
    return entry;
  }

  /** Appends a recovered message at start-up, in seq order. TTLs restart from now: enqueue times are not stored. */
  restore(message: Message, seq: number, redelivered: boolean): void {
    const entry = this.newEntry(message, seq, redelivered);
    this.backlog.enter(entry);
    this.backlog.advanceSeq(seq);
    if (entry.expiresAt > 0) this.ttl.schedule();
    // It came from the store: past the window, only its index entry stays in memory.
    if (this.messageStore) this.pager.pageOut(entry);
  }

  /**
   * Appends a recovered message at start-up from its index record alone (queue-index-record.ts), in seq order: the
   * entry starts paged out and its body is read ahead of the consumers like any other paged body.
   */
  restorePaged(seq: number, facts: QueueIndexFacts, redelivered: boolean): void {
    const priority = this.policy.maxPriority ? facts.priority : 0;
    const entry = pagedQueueEntry(seq, redelivered, priority, this.ttl.expiresAt(facts.expiration), facts.bodySize);
    this.backlog.appendPaged(entry);
    this.backlog.advanceSeq(seq);
    if (entry.expiresAt > 0) this.ttl.schedule();
  }

  /**
   * Appends a queue's stored messages at start-up from its counters alone, as one tail segment loaded batch by
   * batch ahead of the consumers (MessageStore.readIndex): restart time does not grow with the backlog. Returns
   * false when the queue must restore message by message (priorities, a queue TTL, drop-head or byte limits).
   */
  restoreTail(count: number, lastSeq: number): boolean {
    return this.policy.maxLengthBytes === undefined && this.backlog.restoreTail(count, lastSeq);
  }

  /**
   * Shared queues: adds a message this node claimed, at its seq position (claims come in seq order; a released
   * message claimed again goes back to its place). No length limit here: the shared store applied it at publish,
   * and claims are bounded by the consumers' prefetch. `deliveryCount`: deliveries counted by every node so far
   * (x-delivery-limit across nodes). `ttlLeft`: what its TTL had left at the claim (counted from the publish); a
   * message stored without one counts from the claim.
   */
  admitClaimed(message: Message, seq: number, redelivered: boolean, deliveryCount = 0, ttlLeft?: number): QueueEntry {
    const entry =
      ttlLeft === undefined
        ? this.newEntry(message, seq, redelivered)
        : newQueueEntry(message, seq, redelivered, this.priorityOf(message), Date.now() + Math.max(1, Math.round(ttlLeft)));
    entry.deliveryCount = Math.max(deliveryCount, redelivered ? 1 : 0);
    this.backlog.insertClaimed(entry);
    this.stats.publish++;
    if (entry.expiresAt > 0) this.ttl.schedule();
    return entry;
  }

  /**
   * Shared queues: a message whose TTL ran out before any node claimed it, taken by this node's expiry sweep: it is
   * dead-lettered here (reason `expired`, if the queue has a dead-letter exchange) and deleted.
   */
  expireClaimed(message: Message, seq: number, redelivered: boolean): void {
    this.discard.drop(this.newEntry(message, seq, redelivered), 'expired');
  }

  /** The store holds `entry` (its enqueue resolved): its body may now be paged out. */
  stored(entry: QueueEntry): void {
    if (this.messageStore && !this.isDeleted && this.pager.pageOut(entry)) this.backlog.pagedOut();
  }

  /** Takes the head message for `basic.get`; `isTracked` when the caller will wait for an ack. */
  take(isTracked: boolean): QueueEntry | undefined {
    this.touch();
    return this.delivery.take(isTracked);
  }

  /**
   * For `basic.get`: undefined when `take()` can answer now (the head is loaded, or the queue is empty), else a
   * promise that settles once the batch read in flight completed (or failed); ask again if the head is still paged
   * (a higher priority arrived meanwhile). The channel would answer that get after it, keeping its replies in
   * order (channel-deliveries.ts): the one wait on the delivery path. Undefined too while reads are failing (the
   * retry timer runs): `take()` then answers get-empty rather than waiting for the store to come back.
   */
  headLoaded(): Promise<void> | undefined {
    // A shared queue holds only what this node claimed: a get on it claims one message first.
    if (this.shared !== undefined && this.backlog.list.length === 0 && !this.isDeleted) return this.shared.claimForGet(this);
    return this.bodies.headLoaded(this.backlog.list.peek());
  }

  /**
   * Takes back a message the store refused (the publisher got a nack), if no consumer has it yet: a nacked message
   * must not linger in memory to be delivered and then vanish at the next restart.
   */
  withdraw(entry: QueueEntry): void {
    this.backlog.remove(entry);
  }

  /** An unacked delivery was acked: its stored copy goes. */
  settled(entry: QueueEntry): void {
    this.unackedCount--;
    this.discard.forget(entry);
  }

  /** An unacked delivery was rejected without requeue: dead-letter it (reason `rejected`) or drop it. */
  rejected(entry: QueueEntry): void {
    this.unackedCount--;
    this.discard.drop(entry, 'rejected');
  }

  /**
   * Puts unacked entries back at their original positions with `redelivered` set (requeue on nack, recover,
   * channel close, connection loss). `entries` must be in ascending seq order. Past `x-delivery-limit` a message
   * is dead-lettered instead.
   */
  requeue(entries: readonly QueueEntry[]): void {
    this.delivery.requeue(entries);
  }

  /**
   * Shared queues: the last consumer here left, so what this node claimed for it goes back for other nodes
   * (released claims come back `redelivered`: a claim does not say whether a delivery happened).
   */
  releaseReady(): void {
    this.claims.releaseReady();
  }

  /**
   * `queue.purge`: {@link purge}, and on a shared queue also every message no node has claimed: resolves then with
   * both counts together (the purge-ok count, as one node would answer).
   */
  purgeAll(): number | Promise<number> {
    return this.claims.purgeAll(this.purge());
  }

  /** Removes every ready message (unacked ones stay, as AMQP's queue.purge says); returns how many. */
  purge(): number {
    const storage = this.isDeleted ? undefined : this.messageStore;
    const purgedTail = this.backlog.purgeTail(storage, this.storageId);
    const entries = this.backlog.list.drain();
    for (const entry of entries) this.bodies.purged(entry);
    this.backlog.bytes = 0;
    if (this.shared !== undefined && !this.isDeleted) this.claims.purged(entries);
    if (storage) {
      const seqs: number[] = [];
      for (const entry of entries) if (entry.isPersistent) seqs.push(entry.seq);
      if (seqs.length > 0) storage.remove(this.storageId, seqs);
    }
    return entries.length + purgedTail;
  }

  /** Registers a consumer and starts delivering to it. */
  addConsumer(consumer: QueueConsumer): void {
    this.consumerRing.add(consumer);
    this.hasHadConsumers = true;
    this.touch();
    this.dispatch();
  }

  /** Unregisters a consumer; returns whether it was registered. */
  removeConsumer(consumer: QueueConsumer): boolean {
    if (!this.consumerRing.remove(consumer)) return false;
    this.touch();
    if (this.shared !== undefined && this.consumerRing.length === 0) {
      this.releaseReady();
      this.shared.idle?.(this);
    }
    // The next consumer in registration order is the single active one now: it gets what is ready.
    if (this.policy.singleActiveConsumer && this.consumerRing.length > 0) this.dispatch();
    return true;
  }

  /** Marks the queue deleted, cancels its consumers and drops its messages; returns the dropped count. */
  markDeleted(): number {
    this.isDeleted = true;
    this.ttl.clear();
    this.idleTimer.clear();
    this.bodies.dispose();
    const consumers = this.consumerRing.takeAll();
    for (const consumer of consumers) consumer.cancelledByServer(this);
    return this.purge();
  }

  /**
   * The queue was used (declare, consume, get, cancel): restarts the `x-expires` countdown, which only runs while
   * the queue has no consumers.
   */
  touch(): void {
    if (this.isDeleted) return;
    this.idleTimer.touch(this.consumerRing.length > 0);
    // Shared queues: auto-delete and x-expires are decided across nodes (shared-queue-usage.ts in the server).
    this.shared?.used?.(this);
  }

  /**
   * Delivers ready messages round-robin to consumers that can accept them, until the queue is empty or no consumer
   * has capacity. Called on enqueue, requeue, new consumer, and when a consumer regains capacity (ack, drain).
   */
  dispatch(): void {
    this.delivery.dispatch();
  }

  /**
   * The property bytes to deliver an entry with: the publisher's own, except on queues with `x-delivery-limit`,
   * where redeliveries carry `x-delivery-count` (RabbitMQ quorum-queue behaviour).
   */
  rawPropertiesFor(entry: QueueEntry): Buffer {
    return deliveryPropertiesOf(entry, this.policy.deliveryLimit);
  }

  /**
   * Ready entries from the head whose bodies are in memory, for peeking without consuming (tests, admin `get`
   * previews); paged-out ones are skipped (see `pagedOutCount`).
   */
  *readyEntries(): IterableIterator<QueueEntry> {
    for (const entry of this.backlog.list) if (!entry.isPagedOut) yield entry;
  }

  /** Releases timers (broker shutdown). */
  dispose(): void {
    this.ttl.clear();
    this.idleTimer.clear();
    this.bodies.dispose();
  }

  private newEntry(message: Message, seq: number, redelivered: boolean): QueueEntry {
    return newQueueEntry(message, seq, redelivered, this.priorityOf(message), this.ttl.expiresAt(message.expiration));
  }

  private priorityOf(message: Message): number {
    return this.policy.maxPriority ? (message.properties.priority ?? 0) : 0;
  }
}
