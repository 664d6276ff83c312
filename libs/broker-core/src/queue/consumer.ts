import type { Queue } from './queue.js';
import type { QueueEntry } from './message.js';

/**
 * What a queue needs from a consumer: implemented by the AMQP channel layer, which owns delivery tags,
 * prefetch accounting and the socket. The core never writes frames itself.
 */
export interface QueueConsumer {
  /** The consumer tag, unique per channel. */
  readonly tag: string;
  /** Messages delivered to a no-ack consumer are settled on delivery. */
  readonly noAck: boolean;
  /** An exclusive consumer is the queue's only consumer. */
  readonly exclusive: boolean;
  /** The connection that owns the consumer, for exclusive-queue checks. */
  readonly owner: object;
  /** Whether prefetch and socket backpressure allow one more delivery now. Must be cheap: called per message. */
  canAccept(): boolean;
  /**
   * How many more deliveries prefetch allows now (Infinity when unbounded): what a shared queue claims for it
   * (docs/SCALE-OUT.md). Optional: a consumer without it counts as one.
   */
  freeCapacity?(): number;
  /** Hands one message over. Called only when `canAccept()` returned true in the same turn. */
  deliver(queue: Queue, entry: QueueEntry): void;
  /** The queue went away under the consumer (deleted): tell the client (`basic.cancel`). */
  cancelledByServer(queue: Queue): void;
}
