import type { BasicProperties } from '@app/codec';

/**
 * One published message, shared by reference by every queue it was routed to.
 * `rawProperties` are the publisher's encoded property bytes (from the property flags on), re-sent on delivery
 * unchanged so the hot path never re-encodes properties it did not modify.
 */
export class Message {
  /** Set once at publish: deliveryMode 2. */
  readonly isPersistent: boolean;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    public rawProperties: Buffer,
    public properties: BasicProperties,
    readonly body: Buffer,
  ) {
    this.isPersistent = properties.deliveryMode === 2;
  }

  /** Body length in bytes. */
  get bodySize(): number {
    return this.body.length;
  }
}

/**
 * A message's place in one queue. One per (message, queue) pair: the queue-local sequence number orders requeues
 * back into their original position.
 */
export interface QueueEntry {
  readonly message: Message;
  readonly seq: number;
  redelivered: boolean;
}
