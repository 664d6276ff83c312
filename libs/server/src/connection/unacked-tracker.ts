import type { Queue, QueueEntry } from '@app/broker-core';
import { RingBuffer } from '@app/broker-core';

/** One delivery awaiting its ack. */
export interface Unacked {
  readonly deliveryTag: number;
  readonly queue: Queue;
  readonly entry: QueueEntry;
  /** The consumer it went to, or null for `basic.get`; its prefetch credit returns on settle. */
  readonly consumer: { unackedCount: number } | null;
  isSettled: boolean;
  /** When it was delivered (epoch ms), for the consumer timeout. */
  readonly deliveredAt: number;
}

/**
 * A channel's unacked deliveries in delivery-tag order. Tags only grow, so acks in order are O(1) pops at the head;
 * an ack out of order is a binary search and a tombstone that the head sweep later discards.
 */
export class UnackedTracker {
  private readonly records = new RingBuffer<Unacked>();
  private liveCount = 0;

  /** Unsettled deliveries. */
  get count(): number {
    return this.liveCount;
  }

  /** Tracks a new delivery; `deliveryTag` must be greater than every tracked tag. */
  add(record: Unacked): void {
    this.records.push(record);
    this.liveCount++;
  }

  /**
   * Settles one tag (or every tag up to it with `multiple`; tag 0 with `multiple` means all).
   * Returns the settled records in tag order, or undefined when the tag is unknown or already settled.
   */
  take(deliveryTag: number, isMultiple: boolean): Unacked[] | undefined {
    if (isMultiple) {
      if (deliveryTag === 0) return this.takeAll();
      const out: Unacked[] = [];
      while (this.records.length > 0 && this.records.peek()!.deliveryTag <= deliveryTag) {
        const record = this.records.shift()!;
        if (!record.isSettled) {
          record.isSettled = true;
          out.push(record);
        }
      }
      this.liveCount -= out.length;
      // RabbitMQ: `multiple` with a tag that matches nothing unsettled is an unknown tag.
      return out.length > 0 ? out : undefined;
    }
    const index = this.indexOf(deliveryTag);
    if (index < 0) return undefined;
    const record = this.records.at(index)!;
    if (record.isSettled) return undefined;
    record.isSettled = true;
    this.liveCount--;
    if (index === 0) this.sweep();
    return [record];
  }

  /** Settles everything; returns the records in tag order. */
  takeAll(): Unacked[] {
    const out: Unacked[] = [];
    for (const record of this.records.drain()) {
      if (!record.isSettled) {
        record.isSettled = true;
        out.push(record);
      }
    }
    this.liveCount = 0;
    return out;
  }

  /** Delivery time of the oldest unsettled delivery, or undefined when there is none. */
  oldestDeliveredAt(): number | undefined {
    for (const record of this.records) if (!record.isSettled) return record.deliveredAt;
    return undefined;
  }

  /** Unsettled records, without settling them (consumer-timeout checks, introspection). */
  *unsettled(): IterableIterator<Unacked> {
    for (const record of this.records) if (!record.isSettled) yield record;
  }

  private sweep(): void {
    while (this.records.length > 0 && this.records.peek()!.isSettled) this.records.shift();
  }

  private indexOf(deliveryTag: number): number {
    let low = 0;
    let high = this.records.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const tag = this.records.at(mid)!.deliveryTag;
      if (tag === deliveryTag) return mid;
      if (tag < deliveryTag) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }
}
