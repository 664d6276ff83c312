import type { Message } from '@app/broker-core';
import type { PublishTarget } from './content-assembler.js';

/** A publish buffered until `tx.commit`. */
export interface TxPublish {
  readonly exchange: PublishTarget;
  readonly routingKey: string;
  readonly isMandatory: boolean;
  readonly message: Message;
}

/** An ack, nack or reject buffered until `tx.commit`. */
export interface TxSettle {
  readonly kind: 'ack' | 'nack';
  readonly deliveryTag: number;
  readonly isMultiple: boolean;
  readonly isRequeue: boolean;
}

/**
 * The open transaction of a channel in tx mode (`tx.select`): publishes and settlements wait here until
 * `tx.commit` applies them (settlements first, as RabbitMQ does) or `tx.rollback` drops them.
 */
export class ChannelTransaction {
  private readonly publishes: TxPublish[] = [];
  private readonly settles: TxSettle[] = [];

  /** Buffers a complete publish. */
  addPublish(publish: TxPublish): void {
    this.publishes.push(publish);
  }

  /** Buffers an ack, nack or reject. */
  addSettle(settle: TxSettle): void {
    this.settles.push(settle);
  }

  /** The buffered settlements, in order, removed from the transaction (commit applies them). */
  takeSettles(): TxSettle[] {
    return this.settles.splice(0);
  }

  /** The buffered publishes, in order, removed from the transaction (commit routes them). */
  takePublishes(): TxPublish[] {
    return this.publishes.splice(0);
  }

  /** What the transaction holds now: publishes and settlements (the management API's uncommitted counts). */
  pendingCounts(): { messages: number; acks: number } {
    return { messages: this.publishes.length, acks: this.settles.length };
  }

  /** `tx.rollback`: forgets everything buffered. */
  rollback(): void {
    this.publishes.length = 0;
    this.settles.length = 0;
  }
}
