import type { FieldTable } from '@app/codec';
import type { QueueConsumer } from './consumer.js';
import type { Message, QueueEntry } from './message.js';
import { RingBuffer } from './ring-buffer.js';

/**
 * Where a durable queue's persistent messages live (a thin view of the MessageStore port, so the queue does not
 * depend on a backend). Calls are fire-and-forget: the store batches them into its group commits.
 */
export interface QueueStorage {
  /** Settled (acked, rejected, purged) messages: their stored copies go. */
  remove(queueId: string, seqs: readonly number[]): void;
  /** Delivered messages: after a crash they come back with `redelivered=true`. */
  markDelivered(queueId: string, seqs: readonly number[]): void;
}

/** The declared shape of a queue, as `queue.declare` carries it. */
export interface QueueOptions {
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  arguments: FieldTable;
}

/**
 * A queue: ready messages in a ring buffer, consumers served round-robin under their prefetch.
 *
 * Invariants: called only from the event loop thread, never awaits; `dispatch()` is not re-entrant
 * (a delivery cannot enqueue into the same queue synchronously).
 */
export class Queue {
  private readonly ready = new RingBuffer<QueueEntry>();
  private readonly consumerList: QueueConsumer[] = [];
  private nextConsumer = 0;
  private nextSeq = 1;
  private dispatching = false;
  private readyBytes = 0;
  /** Deliveries out with channels and not yet settled. */
  unackedCount = 0;
  /** Set once the queue has had a consumer: auto-delete applies only after that (RabbitMQ semantics). */
  hasHadConsumers = false;
  /** Set when deleted, so late acks and requeues for its messages are dropped. */
  isDeleted = false;
  /** Set for durable, non-exclusive queues of a broker with a message store: persistent messages are stored. */
  storage?: QueueStorage;
  /** The queue's id in storage. */
  readonly storageId: string;

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly options: QueueOptions,
    /** The owning connection of an exclusive queue; null otherwise. */
    readonly exclusiveOwner: object | null,
  ) {
    this.storageId = `${encodeURIComponent(vhost)}/${name}`;
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

  /** Adds a message at the tail and delivers what consumers can take. */
  enqueue(message: Message): QueueEntry {
    const entry = this.push(message);
    if (this.consumerList.length > 0) this.dispatch();
    return entry;
  }

  /** Adds a message at the tail without dispatching (the caller persists it first, then calls `dispatch()`). */
  push(message: Message): QueueEntry {
    const entry: QueueEntry = { message, seq: this.nextSeq++, redelivered: false };
    this.ready.push(entry);
    this.readyBytes += message.bodySize;
    return entry;
  }

  /** Appends recovered messages at start-up, in seq order. */
  restore(entry: QueueEntry): void {
    this.ready.push(entry);
    this.readyBytes += entry.message.bodySize;
    if (entry.seq >= this.nextSeq) this.nextSeq = entry.seq + 1;
  }

  /** Takes the head message for `basic.get`; `isTracked` when the caller will wait for an ack. */
  take(isTracked: boolean): QueueEntry | undefined {
    const entry = this.ready.shift();
    if (entry) {
      this.readyBytes -= entry.message.bodySize;
      if (isTracked) {
        this.unackedCount++;
        if (this.storage && entry.message.isPersistent) this.storage.markDelivered(this.storageId, [entry.seq]);
      } else {
        this.forget(entry);
      }
    }
    return entry;
  }

  /** An unacked delivery of this queue was acked (or rejected without requeue): its stored copy goes. */
  settled(entry: QueueEntry): void {
    this.unackedCount--;
    this.forget(entry);
  }

  /** Drops the stored copy of a message that left the queue for good. */
  private forget(entry: QueueEntry): void {
    if (this.storage && entry.message.isPersistent && !this.isDeleted) this.storage.remove(this.storageId, [entry.seq]);
  }

  /**
   * Puts unacked entries back at their original positions with `redelivered` set (requeue on nack, recover,
   * cancel, channel close, connection loss). `entries` must be in ascending seq order.
   */
  requeue(entries: readonly QueueEntry[]): void {
    if (this.isDeleted || entries.length === 0) return;
    this.unackedCount -= entries.length;
    // Walk backwards so that the common case, everything older than the head, is a run of O(1) unshifts.
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      entry.redelivered = true;
      this.ready.insertAt(this.positionFor(entry.seq), entry);
      this.readyBytes += entry.message.bodySize;
    }
    this.dispatch();
  }

  /** Removes every ready message (unacked ones stay, as AMQP's queue.purge says); returns how many. */
  purge(): number {
    const count = this.ready.length;
    const entries = this.ready.drain();
    this.readyBytes = 0;
    if (this.storage && !this.isDeleted) {
      const seqs: number[] = [];
      for (const entry of entries) if (entry.message.isPersistent) seqs.push(entry.seq);
      if (seqs.length > 0) this.storage.remove(this.storageId, seqs);
    }
    return count;
  }

  /** Registers a consumer and starts delivering to it. */
  addConsumer(consumer: QueueConsumer): void {
    this.consumerList.push(consumer);
    this.hasHadConsumers = true;
    this.dispatch();
  }

  /** Unregisters a consumer; returns whether it was registered. */
  removeConsumer(consumer: QueueConsumer): boolean {
    const index = this.consumerList.indexOf(consumer);
    if (index < 0) return false;
    this.consumerList.splice(index, 1);
    if (this.nextConsumer > index) this.nextConsumer--;
    if (this.nextConsumer >= this.consumerList.length) this.nextConsumer = 0;
    return true;
  }

  /** Marks the queue deleted, cancels its consumers and drops its messages; returns the dropped count. */
  markDeleted(): number {
    this.isDeleted = true;
    const consumers = this.consumerList.splice(0);
    for (const consumer of consumers) consumer.cancelledByServer(this);
    return this.purge();
  }

  /**
   * Delivers ready messages round-robin to consumers that can accept them, until the queue is empty or no consumer
   * has capacity. Called on enqueue, requeue, new consumer, and when a consumer regains capacity (ack, drain).
   */
  dispatch(): void {
    if (this.dispatching || this.isDeleted) return;
    this.dispatching = true;
    try {
      const consumers = this.consumerList;
      while (this.ready.length > 0 && consumers.length > 0) {
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
        const entry = this.ready.shift()!;
        this.readyBytes -= entry.message.bodySize;
        if (chosen.noAck) this.forget(entry);
        else {
          this.unackedCount++;
          if (this.storage && entry.message.isPersistent) this.storage.markDelivered(this.storageId, [entry.seq]);
        }
        chosen.deliver(this, entry);
      }
    } finally {
      this.dispatching = false;
    }
  }

  /** Ready entries from the head, for peeking without consuming (tests, admin `get` previews). */
  *readyEntries(): IterableIterator<QueueEntry> {
    yield* this.ready;
  }

  /** Index at which an entry with `seq` keeps the ready list in seq order (binary search). */
  private positionFor(seq: number): number {
    let low = 0;
    let high = this.ready.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.ready.at(mid)!.seq < seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
