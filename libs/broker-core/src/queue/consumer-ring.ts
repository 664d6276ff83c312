import type { QueueConsumer } from './consumer.js';

/**
 * A queue's consumers, served round-robin: each delivery goes to the next one with capacity (its prefetch). With
 * `x-single-active-consumer` only the first registered receives; when it goes, the next one in registration order
 * takes over (RabbitMQ semantics).
 */
export class ConsumerRing {
  private readonly list: QueueConsumer[] = [];
  private next = 0;

  constructor(
    /** `x-single-active-consumer`. */
    private readonly isSingleActive = false,
  ) {}

  /** Active consumers. */
  get length(): number {
    return this.list.length;
  }

  /** The consumers, in registration order. */
  get all(): readonly QueueConsumer[] {
    return this.list;
  }

  /** Whether the current exclusive consumer forbids more. */
  get hasExclusive(): boolean {
    return this.list.length === 1 && this.list[0]!.exclusive;
  }

  add(consumer: QueueConsumer): void {
    this.list.push(consumer);
  }

  /** Unregisters a consumer; returns whether it was registered. The rotation goes on where it was. */
  remove(consumer: QueueConsumer): boolean {
    const index = this.list.indexOf(consumer);
    if (index < 0) return false;
    this.list.splice(index, 1);
    if (this.next > index) this.next--;
    if (this.next >= this.list.length) this.next = 0;
    return true;
  }

  /** Removes every consumer (queue deleted) and returns them. */
  takeAll(): QueueConsumer[] {
    this.next = 0;
    return this.list.splice(0);
  }

  /**
   * The next consumer that can accept a delivery, round-robin from the last one served (the single active one when
   * there is one); undefined when none can.
   */
  pick(): QueueConsumer | undefined {
    const consumers = this.list;
    if (this.isSingleActive) return consumers[0]?.canAccept() ? consumers[0] : undefined;
    const count = consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (this.next + i) % count;
      if (consumers[index]!.canAccept()) {
        this.next = (index + 1) % count;
        return consumers[index];
      }
    }
    return undefined;
  }
}
