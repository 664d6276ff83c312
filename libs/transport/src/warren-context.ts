import { BaseRpcContext } from '@nestjs/microservices';
import type { Channel, ConsumeMessage } from 'amqplib';

/** Options of {@link WarrenContext#nack}. */
export interface NackOptions {
  /** Put the message straight back in its queue (basic.nack requeue=true), with no retry count or delay. */
  requeue?: boolean;
  /** With `false`, skip the remaining retries and dead-letter now. Default true (retry per the group's policy). */
  retry?: boolean;
  /** Recorded in the `x-warren-error` header of the retried or dead-lettered copy. */
  reason?: string;
}

/** How a context settles its delivery; implemented by the server, which owns the channel and the retry topology. */
export interface DeliverySettler {
  ack(): Promise<void>;
  nack(options: NackOptions): Promise<void>;
}

/** The arguments a WarrenContext carries: the delivery, its channel, the pattern, the retry count and metadata. */
export type WarrenContextArgs = [
  message: ConsumeMessage,
  channel: Channel,
  pattern: string,
  retryCount: number,
  metadata: Record<string, string>,
];

/**
 * The context of a message handled by WarrenServer (`@Ctx() ctx: WarrenContext`).
 *
 * A delivery is settled once: the first `ack()`/`nack()` wins and later calls return the same promise. With the
 * default `ackMode: 'auto'` the server acks after the handler succeeds and retries after it fails, unless the
 * handler settled first.
 */
export class WarrenContext extends BaseRpcContext<WarrenContextArgs> {
  private settlement?: Promise<void>;

  constructor(
    args: WarrenContextArgs,
    private readonly settler: DeliverySettler,
  ) {
    super(args);
  }

  /** The amqplib delivery (fields, properties, content). */
  getMessage(): ConsumeMessage {
    return this.args[0];
  }

  /** The amqplib channel the message arrived on. Prefer `ack()`/`nack()` to acking on it directly. */
  getChannel(): Channel {
    return this.args[1];
  }

  /** The pattern the message was dispatched with (a routing key, or an object pattern's JSON). */
  getPattern(): string {
    return this.args[2];
  }

  /** How many times this message was retried before this attempt (0 on the first). */
  getRetryCount(): number {
    return this.args[3];
  }

  /** Metadata the client attached to the packet (ClientProxy#setOnDispatchHook). */
  getMetadata(): Record<string, string> {
    return this.args[4];
  }

  /** The message's AMQP headers. */
  getHeaders(): Record<string, unknown> {
    return this.args[0].properties.headers ?? {};
  }

  /** Whether `ack()` or `nack()` was called. */
  get isSettled(): boolean {
    return this.settlement !== undefined;
  }

  /** Acknowledges the message: the broker forgets it. */
  ack(): Promise<void> {
    return (this.settlement ??= this.settler.ack());
  }

  /** Rejects this attempt: the message is retried after a delay, or dead-lettered once out of retries (see NackOptions). */
  nack(options: NackOptions = {}): Promise<void> {
    return (this.settlement ??= this.settler.nack(options));
  }
}
