/** An entry of the {@link Outbox}: anything with a publish sequence number. */
export interface Sequenced {
  readonly seq: number;
}

/**
 * Messages waiting for a connection, in publish order. New messages are admitted only below `capacity`; messages
 * that were already sent but lost their confirm with the connection come back at their original position
 * regardless, since their emitters were promised delivery.
 *
 * A plain array is enough: the capacity bounds it (default 1000), so `shift()` and the sorted insert stay cheap.
 */
export class Outbox<T extends Sequenced> {
  private readonly items: T[] = [];

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length;
  }

  /** Whether a new message would exceed the capacity. */
  get isFull(): boolean {
    return this.items.length >= this.capacity;
  }

  /** Appends a new message (the caller checked `isFull`). */
  add(item: T): void {
    this.items.push(item);
  }

  /** Puts back a message that was sent but not confirmed, keeping publish order. */
  requeue(item: T): void {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.items[mid].seq < item.seq) low = mid + 1;
      else high = mid;
    }
    this.items.splice(low, 0, item);
  }

  /** Removes and returns the oldest message. */
  take(): T | undefined {
    return this.items.shift();
  }

  /** Removes a message that no longer needs sending (a request that timed out while waiting). */
  remove(item: T): void {
    const index = this.items.indexOf(item);
    if (index >= 0) this.items.splice(index, 1);
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    return this.items.splice(0);
  }
}
