import { propertiesSize, wellFormed, writeProperties } from '@app/codec';
import { reportToStderr, runGuarded } from '../background-task.js';
import type { QueueConsumer } from './consumer.js';
import type { Message, QueueEntry } from './message.js';
import { PagedDeadLetters } from './paged-dead-letters.js';
import { parseQueueArguments, type QueuePolicy } from './queue-arguments.js';
import type { QueueIndexFacts } from './queue-index-record.js';
import { DEFAULT_QUEUE_WINDOW, QueuePager, type QueueWindow } from './queue-pager.js';
import type { DeadLetterReason, QueueHooks, QueueOptions, QueueStorage } from './queue-ports.js';
import { QueueSpill, type QueueSpillStore } from './queue-spill.js';
import { FifoReadyList, PriorityReadyList, type ReadyList } from './ready-list.js';

export type { DeadLetterReason, QueueHooks, QueueOptions, QueueStorage } from './queue-ports.js';

// A failed page read (store faulted) is retried after this long, so consumers of a paged queue resume by themselves.
const READ_RETRY_MS = 1_000;

/**
 * A queue: ready messages (FIFO, or per priority level), consumers served round-robin under their prefetch, and
 * the policies of its `x-*` arguments (length limits, TTL, dead-lettering, delivery limit, expiry).
 *
 * Invariants: called only from the event loop thread, never awaits; `dispatch()` is not re-entrant. Expired
 * messages are removed from the head only (RabbitMQ semantics), so expiry never scans the queue.
 */
export class Queue {
  /** The in-memory window of queues that set no `x-max-in-memory-*` argument (broker-wide configuration). */
  static defaultWindow: QueueWindow = DEFAULT_QUEUE_WINDOW;
  readonly policy: QueuePolicy;
  private readonly ready: ReadyList;
  private readonly consumerList: QueueConsumer[] = [];
  private nextConsumer = 0;
  private nextSeq = 1;
  private dispatching = false;
  /** Deliveries wait for the store's delivered watermark to cover the head (see `dispatch`). */
  private isAwaitingCover = false;
  private readyBytes = 0;
  /** Which ready bodies are in memory; reads paged ones back (queue-pager.ts). */
  private readonly pager: QueuePager;
  private readRetryTimer?: NodeJS.Timeout;
  /** `headLoaded()` callers waiting for the read in flight. */
  private headWaiters: Array<() => void> | undefined;
  /** Paged-out entries dropped to the dead-letter exchange, waiting for one batched read of their bodies. */
  private pagedDeadLetters: PagedDeadLetters<DeadLetterReason> | undefined;
  private expiryTimer?: NodeJS.Timeout;
  private expiryAt = 0;
  private idleTimer?: NodeJS.Timeout;
  /** Deliveries out with channels and not yet settled. */
  unackedCount = 0;
  /** Set once the queue has had a consumer: auto-delete applies only after that (RabbitMQ semantics). */
  hasHadConsumers = false;
  /** Set when deleted, so late acks and requeues for its messages are dropped. */
  isDeleted = false;
  /** Set for durable, non-exclusive queues of a broker with a message store: persistent messages are stored. */
  storage?: QueueStorage;
  /** Transient paging (queue-spill.ts): set by `attachSpill` for every queue of a broker with a disk store. */
  private spill?: QueueSpill;
  /** Dead-lettering and expiry, provided by the virtual host. */
  hooks?: QueueHooks;
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
    this.ready = this.policy.maxPriority ? new PriorityReadyList(this.policy.maxPriority) : new FifoReadyList();
    // Exactly the key the store holds: UTF-8 turns a lone surrogate into U+FFFD (and encodeURIComponent throws on
    // one). New names cannot hold one (topology-executor.ts refuses them); a queue stored before that check still
    // finds its messages under the key they were written with.
    this.storageId = `${encodeURIComponent(wellFormed(vhost))}/${wellFormed(name)}`;
    this.pager = new QueuePager({
      messages: this.policy.maxInMemoryLength ?? Queue.defaultWindow.messages,
      bytes: this.policy.maxInMemoryBytes ?? Queue.defaultWindow.bytes,
    });
  }

  /**
   * Lets bodies the store does not hold durably (transient messages, any message of a non-durable queue) page out
   * past the window too, into the store's transient range (dropped at restart).
   */
  attachSpill(store: QueueSpillStore): void {
    this.spill = new QueueSpill(this.storageId, store, (entry) => this.pager.pageOut(entry));
  }

  /** Ready messages whose bodies are paged out to the store (not in memory). */
  get pagedOutCount(): number {
    return this.pager.pagedCount;
  }

  /** The sequence number the next message gets (restored from storage at start-up). */
  get nextSequence(): number {
    return this.nextSeq;
  }

  set nextSequence(seq: number) {
    this.nextSeq = Math.max(this.nextSeq, seq);
  }

  /** Ready messages. */
  get messageCount(): number {
    return this.ready.length;
  }

  /** Bytes of ready message bodies. */
  get messageBytes(): number {
    return this.readyBytes;
  }

  /** Active consumers. */
  get consumerCount(): number {
    return this.consumerList.length;
  }

  /** The consumers, for introspection. */
  get consumers(): readonly QueueConsumer[] {
    return this.consumerList;
  }

  /** Whether the current exclusive consumer forbids more. */
  get hasExclusiveConsumer(): boolean {
    return this.consumerList.length === 1 && this.consumerList[0].exclusive;
  }

  /** Adds a message at the tail and delivers what consumers can take; undefined when refused by `x-overflow`. */
  enqueue(message: Message): QueueEntry | undefined {
    const entry = this.push(message);
    if (entry && this.consumerList.length > 0) this.dispatch();
    return entry;
  }

  /**
   * Adds a message without dispatching (the caller persists it first, then calls `dispatch()`).
   * Applies the length limit: `drop-head` makes room by dropping (dead-lettering) the oldest, `reject-publish`
   * refuses the new message (undefined: the publisher gets a nack), `reject-publish-dlx` refuses and dead-letters it.
   */
  push(message: Message): QueueEntry | undefined {
    const policy = this.policy;
    const size = message.bodySize;
    const isOver = (extraCount: number, extraBytes: number): boolean =>
      (policy.maxLength !== undefined && this.ready.length + extraCount > policy.maxLength) ||
      (policy.maxLengthBytes !== undefined && this.readyBytes + extraBytes > policy.maxLengthBytes);
    if (policy.overflow !== 'drop-head' && isOver(1, size)) {
      if (policy.overflow === 'reject-publish-dlx') this.hooks?.deadLetter(this, message, 'maxlen');
      return undefined;
    }
    const entry = this.newEntry(message, this.nextSeq++, false, size);
    this.enter(entry);
    while (isOver(0, 0) && this.ready.length > 0) {
      const head = this.ready.shift()!;
      this.leave(head);
      this.drop(head, 'maxlen');
    }
    if (entry.expiresAt > 0) this.scheduleExpiry();
    return entry;
  }

  /** Appends a recovered message at start-up, in seq order. TTLs restart from now: enqueue times are not stored. */
  restore(message: Message, seq: number, redelivered: boolean): void {
    const entry = this.newEntry(message, seq, redelivered, message.bodySize);
    this.enter(entry);
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
    if (entry.expiresAt > 0) this.scheduleExpiry();
    // It came from the store: past the window, only its index entry stays in memory.
    if (this.storage) this.pager.pageOut(entry);
  }

  /**
   * Appends a recovered message at start-up from its index record alone (queue-index-record.ts), in seq order: the
   * entry starts paged out and its body is read ahead of the consumers like any other paged body.
   */
  restorePaged(seq: number, facts: QueueIndexFacts, redelivered: boolean): void {
    const entry: QueueEntry = {
      // Paged out: the QueueEntry contract says such an entry is never handed out before its body is read.
      message: undefined as unknown as Message,
      seq,
      redelivered,
      deliveryCount: redelivered ? 1 : 0,
      priority: this.policy.maxPriority ? Math.min(facts.priority, this.policy.maxPriority) : 0,
      expiresAt: this.expiryAfter(facts.expiration),
      size: facts.bodySize,
      isPersistent: true,
      isReady: false,
      isPagedOut: true,
      pageWhenStored: false,
    };
    this.ready.push(entry);
    this.pager.entered(entry);
    this.readyBytes += entry.size;
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
    if (entry.expiresAt > 0) this.scheduleExpiry();
  }

  /** The store holds `entry` (its enqueue resolved): its body may now be paged out. */
  stored(entry: QueueEntry): void {
    if (this.storage && !this.isDeleted) this.pager.pageOut(entry);
  }

  /** Takes the head message for `basic.get`; `isTracked` when the caller will wait for an ack. */
  take(isTracked: boolean): QueueEntry | undefined {
    this.touch();
    this.expireHead(Date.now());
    const head = this.ready.peek();
    if (head?.isPagedOut) {
      // Cannot wait here: the read starts now; callers that can wait ask `headLoaded()` first.
      this.readAhead();
      return undefined;
    }
    const entry = this.ready.shift();
    if (!entry) return undefined;
    this.leave(entry);
    if (this.pager.wantsRead) this.readAhead();
    entry.deliveryCount++;
    if (isTracked) {
      this.unackedCount++;
      if (this.storage && entry.isPersistent) {
        // basic.get answers in this turn and cannot wait: this reserves the watermark, and a crash before that
        // write commits (one group commit, once per reserve batch) may bring the message back unflagged.
        void this.storage.coverDelivery(this.storageId, entry.seq)?.catch(() => undefined);
        this.storage.markDelivered(this.storageId, [entry.seq]);
      }
    } else {
      this.forget(entry);
    }
    return entry;
  }

  /**
   * For `basic.get`: undefined when `take()` can answer now (the head is loaded, or the queue is empty), else a
   * promise that settles once the batch read in flight completed (or failed); ask again if the head is still paged
   * (a higher priority arrived meanwhile). The channel would answer that get after it, keeping its replies in
   * order (channel-deliveries.ts): the one wait on the delivery path. Undefined too while reads are failing (the
   * retry timer runs): `take()` then answers get-empty rather than waiting for the store to come back.
   */
  headLoaded(): Promise<void> | undefined {
    if (!this.ready.peek()?.isPagedOut || this.isDeleted || this.readRetryTimer) return undefined;
    this.readAhead();
    return new Promise<void>((resolve) => (this.headWaiters ??= []).push(resolve));
  }

  /**
   * Takes back a message the store refused (the publisher got a nack), if no consumer has it yet: a nacked message
   * must not linger in memory to be delivered and then vanish at the next restart.
   */
  withdraw(entry: QueueEntry): void {
    if (this.ready.remove(entry)) this.leave(entry);
  }

  /** An unacked delivery was acked: its stored copy goes. */
  settled(entry: QueueEntry): void {
    this.unackedCount--;
    this.forget(entry);
  }

  /** An unacked delivery was rejected without requeue: dead-letter it (reason `rejected`) or drop it. */
  rejected(entry: QueueEntry): void {
    this.unackedCount--;
    this.drop(entry, 'rejected');
  }

  /**
   * Puts unacked entries back at their original positions with `redelivered` set (requeue on nack, recover,
   * channel close, connection loss). `entries` must be in ascending seq order. Past `x-delivery-limit` a message
   * is dead-lettered instead.
   */
  requeue(entries: readonly QueueEntry[]): void {
    if (this.isDeleted || entries.length === 0) return;
    this.unackedCount -= entries.length;
    const limit = this.policy.deliveryLimit;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (limit !== undefined && entry.deliveryCount > limit) {
        this.drop(entry, 'delivery_limit');
        continue;
      }
      entry.redelivered = true;
      this.ready.insertBySeq(entry);
      this.pager.entered(entry);
      this.readyBytes += entry.size;
    }
    this.scheduleExpiry();
    this.dispatch();
  }

  /** Removes every ready message (unacked ones stay, as AMQP's queue.purge says); returns how many. */
  purge(): number {
    const entries = this.ready.drain();
    for (const entry of entries) {
      if (this.spill && (entry.isPagedOut || entry.pageWhenStored) && !this.isStored(entry)) this.spill.drop(entry.seq);
      this.pager.left(entry);
    }
    this.readyBytes = 0;
    if (this.storage && !this.isDeleted) {
      const seqs: number[] = [];
      for (const entry of entries) if (entry.isPersistent) seqs.push(entry.seq);
      if (seqs.length > 0) this.storage.remove(this.storageId, seqs);
    }
    return entries.length;
  }

  /** Registers a consumer and starts delivering to it. */
  addConsumer(consumer: QueueConsumer): void {
    this.consumerList.push(consumer);
    this.hasHadConsumers = true;
    this.touch();
    this.dispatch();
  }

  /** Unregisters a consumer; returns whether it was registered. */
  removeConsumer(consumer: QueueConsumer): boolean {
    const index = this.consumerList.indexOf(consumer);
    if (index < 0) return false;
    this.consumerList.splice(index, 1);
    if (this.nextConsumer > index) this.nextConsumer--;
    if (this.nextConsumer >= this.consumerList.length) this.nextConsumer = 0;
    this.touch();
    return true;
  }

  /** Marks the queue deleted, cancels its consumers and drops its messages; returns the dropped count. */
  markDeleted(): number {
    this.isDeleted = true;
    clearTimeout(this.expiryTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.readRetryTimer);
    const consumers = this.consumerList.splice(0);
    for (const consumer of consumers) consumer.cancelledByServer(this);
    return this.purge();
  }

  /**
   * The queue was used (declare, consume, get, cancel): restarts the `x-expires` countdown, which only runs while
   * the queue has no consumers.
   */
  touch(): void {
    const expires = this.policy.expires;
    if (expires === undefined || this.isDeleted) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.consumerList.length > 0) return;
    this.idleTimer = setTimeout(
      () => runGuarded(`queue '${this.name}' expiry`, () => this.hooks?.expired(this), this.hooks?.reportError),
      expires,
    );
    this.idleTimer.unref();
  }

  /**
   * Delivers ready messages round-robin to consumers that can accept them, until the queue is empty or no consumer
   * has capacity. Called on enqueue, requeue, new consumer, and when a consumer regains capacity (ack, drain).
   */
  dispatch(): void {
    if (this.dispatching || this.isDeleted || this.isAwaitingCover) return;
    this.dispatching = true;
    try {
      const consumers = this.consumerList;
      const now = Date.now();
      while (this.ready.length > 0 && consumers.length > 0) {
        if (this.expireHead(now) === 0) break;
        // A paged-out head is being read (or starts now): deliver again when its batch is loaded.
        if (this.ready.peek()!.isPagedOut) {
          this.readAhead();
          break;
        }
        const count = consumers.length;
        let chosen: QueueConsumer | undefined;
        for (let i = 0; i < count; i++) {
          const index = (this.nextConsumer + i) % count;
          if (consumers[index].canAccept()) {
            chosen = consumers[index];
            this.nextConsumer = (index + 1) % count;
            break;
          }
        }
        if (!chosen) break;
        const head = this.ready.peek()!;
        if (!chosen.noAck && this.storage && head.isPersistent) {
          // A tracked delivery must be covered by the store's delivered watermark before it leaves (redelivered
          // after a crash). Mostly it already is; otherwise wait once for the batch that covers the next many.
          const cover = this.storage.coverDelivery(this.storageId, head.seq);
          if (cover !== undefined) {
            this.awaitCover(cover);
            break;
          }
        }
        const entry = this.ready.shift()!;
        this.leave(entry);
        entry.deliveryCount++;
        if (chosen.noAck) this.forget(entry);
        else {
          this.unackedCount++;
          if (this.storage && entry.isPersistent) this.storage.markDelivered(this.storageId, [entry.seq]);
        }
        chosen.deliver(this, entry);
      }
      if (this.pager.wantsRead && consumers.length > 0) this.readAhead();
    } finally {
      this.dispatching = false;
    }
  }

  /** Stops deliveries until `cover` settles (a rejection means the store faulted: deliver anyway). */
  private awaitCover(cover: Promise<void>): void {
    this.isAwaitingCover = true;
    const resume = (): void => {
      this.isAwaitingCover = false;
      this.dispatch();
    };
    cover.then(resume, resume);
  }

  /**
   * The property bytes to deliver an entry with: the publisher's own, except on queues with `x-delivery-limit`,
   * where redeliveries carry `x-delivery-count` (RabbitMQ quorum-queue behaviour).
   */
  rawPropertiesFor(entry: QueueEntry): Buffer {
    const message = entry.message;
    if (this.policy.deliveryLimit === undefined || entry.deliveryCount <= 1) return message.rawProperties;
    const properties = message.properties;
    const updated = { ...properties, headers: { ...properties.headers, 'x-delivery-count': entry.deliveryCount - 1 } };
    const raw = Buffer.allocUnsafe(propertiesSize(updated));
    writeProperties(raw, 0, updated);
    return raw;
  }

  /**
   * Ready entries from the head whose bodies are in memory, for peeking without consuming (tests, admin `get`
   * previews); paged-out ones are skipped (see `pagedOutCount`).
   */
  *readyEntries(): IterableIterator<QueueEntry> {
    for (const entry of this.ready) if (!entry.isPagedOut) yield entry;
  }

  /** Releases timers (broker shutdown). */
  dispose(): void {
    clearTimeout(this.expiryTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.readRetryTimer);
  }

  private newEntry(message: Message, seq: number, redelivered: boolean, size: number): QueueEntry {
    return {
      message,
      seq,
      redelivered,
      deliveryCount: redelivered ? 1 : 0,
      priority: this.policy.maxPriority ? (message.properties.priority ?? 0) : 0,
      expiresAt: this.expiryFor(message),
      size,
      isPersistent: message.isPersistent,
      isReady: false,
      isPagedOut: false,
      pageWhenStored: false,
    };
  }

  /** Appends a new entry to the ready list and counts it; past the window, a stored one will be paged out. */
  private enter(entry: QueueEntry): void {
    this.ready.push(entry);
    this.pager.entered(entry);
    if (this.isStored(entry)) this.pager.admit(entry);
    else if (this.spill && !this.isDeleted && this.pager.admit(entry)) this.spill.write(entry);
    this.readyBytes += entry.size;
  }

  /** Uncounts an entry just taken out of the ready list. */
  private leave(entry: QueueEntry): void {
    // Left with its body still in memory: a transient record written (or being written) for it is not needed.
    if (entry.pageWhenStored && this.spill && !this.isStored(entry)) this.spill.drop(entry.seq);
    this.pager.left(entry);
    this.readyBytes -= entry.size;
  }

  private wakeHeadWaiters(): void {
    const waiters = this.headWaiters;
    this.headWaiters = undefined;
    if (waiters) for (const wake of waiters) wake();
  }

  /** Starts a batched read of paged-out bodies ahead of the consumers (one at a time); dispatches when loaded. */
  private readAhead(): void {
    if ((!this.storage && !this.spill) || this.isDeleted || this.pager.reading || this.readRetryTimer) return;
    this.pager.readAhead(
      this.ready,
      (entries) => this.readBodies(entries),
      (lost) => {
        // Gone from the store (quarantined as damaged, which the store reports): they cannot be served.
        for (const entry of lost) if (this.ready.remove(entry)) this.leave(entry);
        if (lost.length > 0) this.scheduleExpiry();
        this.dispatch();
        this.wakeHeadWaiters();
      },
      (error) => {
        (this.hooks?.reportError ?? reportToStderr)(`queue '${this.name}' page read`, error);
        this.wakeHeadWaiters();
        this.readRetryTimer = setTimeout(() => {
          this.readRetryTimer = undefined;
          runGuarded(`queue '${this.name}' page read`, () => this.dispatch(), this.hooks?.reportError);
        }, READ_RETRY_MS);
        this.readRetryTimer.unref();
      },
    );
  }

  private expiryFor(message: Message): number {
    return this.expiryAfter(message.expiration);
  }

  /** When a message with this `expiration` property expires in this queue, from now (0: never). */
  private expiryAfter(expiration: string | undefined): number {
    const queueTtl = this.policy.messageTtl;
    const messageTtl = expiration === undefined ? undefined : Number(expiration);
    const ttl = queueTtl === undefined ? messageTtl : messageTtl === undefined ? queueTtl : Math.min(queueTtl, messageTtl);
    return ttl === undefined ? 0 : Date.now() + ttl;
  }

  /** Drops expired messages at the head; returns how many ready messages remain. */
  private expireHead(now: number): number {
    for (let head = this.ready.peek(); head && head.expiresAt > 0 && now > head.expiresAt; head = this.ready.peek()) {
      this.ready.shift();
      this.leave(head);
      this.drop(head, 'expired');
    }
    return this.ready.length;
  }

  /** Arms one timer for the head's expiry, so expired messages leave even with no consumer asking. */
  private scheduleExpiry(): void {
    const head = this.ready.peek();
    if (!head || head.expiresAt === 0 || this.isDeleted) return;
    if (this.expiryTimer && this.expiryAt <= head.expiresAt) return;
    clearTimeout(this.expiryTimer);
    this.expiryAt = head.expiresAt;
    this.expiryTimer = setTimeout(
      () => {
        this.expiryTimer = undefined;
        this.expiryAt = 0;
        runGuarded(
          `queue '${this.name}' message TTL`,
          () => {
            this.expireHead(Date.now());
            this.scheduleExpiry();
            this.dispatch();
          },
          this.hooks?.reportError,
        );
      },
      Math.max(0, head.expiresAt - Date.now() + 1),
    );
    this.expiryTimer.unref();
  }

  /** A message leaves the queue without being acked: dead-letter it when the queue says so, then forget it. */
  private drop(entry: QueueEntry, reason: DeadLetterReason): void {
    if (!this.isDeleted && this.policy.deadLetterExchange !== undefined) {
      // A paged-out body is read back first; drops behind it wait their turn (paged-dead-letters.ts).
      if (entry.isPagedOut || (this.pagedDeadLetters !== undefined && !this.pagedDeadLetters.isIdle)) {
        return this.deadLetterLine().add(entry, reason);
      }
      this.hooks?.deadLetter(this, entry.message, reason);
    }
    this.forget(entry);
  }

  private deadLetterLine(): PagedDeadLetters<DeadLetterReason> {
    return (this.pagedDeadLetters ??= new PagedDeadLetters<DeadLetterReason>(
      (entries) => this.readBodies(entries),
      (entry, message, reason) => {
        if (message !== undefined && !this.isDeleted) this.hooks?.deadLetter(this, message, reason);
        // Not stored any more (quarantined as damaged): nothing to dead-letter, the store reports it.
        if (message !== undefined) this.forget(entry);
      },
      (error) => (this.hooks?.reportError ?? reportToStderr)(`queue '${this.name}' dead-letter read`, error),
    ));
  }

  /** Drops the stored copy (or the spilled transient record) of a message that left the queue for good. */
  private forget(entry: QueueEntry): void {
    if (this.isStored(entry)) {
      if (!this.isDeleted) this.storage!.remove(this.storageId, [entry.seq]);
    } else if (entry.isPagedOut) this.spill?.drop(entry.seq);
  }

  /** Whether the store holds `entry` durably (a persistent message of a store-backed queue). */
  private isStored(entry: QueueEntry): boolean {
    return this.storage !== undefined && entry.isPersistent;
  }

  /** Reads paged-out bodies back: stored ones and spilled transient ones, one store read each. */
  private readBodies(entries: QueueEntry[]): Promise<Array<{ readonly data: Buffer } | undefined>> {
    const stored: number[] = [];
    const spilled: number[] = [];
    for (const entry of entries) (this.isStored(entry) ? stored : spilled).push(entry.seq);
    const storedRead = stored.length > 0 ? this.storage!.read(this.storageId, stored) : undefined;
    const spilledRead = spilled.length > 0 && this.spill ? this.spill.read(spilled) : undefined;
    return Promise.all([storedRead, spilledRead]).then(([storedMessages, spilledData]) => {
      let s = 0;
      let t = 0;
      return entries.map((entry) => {
        if (this.isStored(entry)) return storedMessages?.[s++];
        const data = spilledData?.[t++];
        return data && { data };
      });
    });
  }
}
