import { propertiesSize, writeProperties } from '@app/codec';
import type { Message, QueueEntry } from './message.js';

/** A new entry for `message` (published, or recovered with its body), not yet in a ready list. */
export function newQueueEntry(message: Message, seq: number, redelivered: boolean, priority: number, expiresAt: number): QueueEntry {
  return {
    message,
    seq,
    redelivered,
    deliveryCount: redelivered ? 1 : 0,
    priority,
    expiresAt,
    size: message.bodySize,
    isPersistent: message.isPersistent,
    isReady: false,
    isPagedOut: false,
    pageWhenStored: false,
  };
}

/** A recovered entry built from its index record alone (queue-index-record.ts): paged out, its body in the store. */
export function pagedQueueEntry(seq: number, redelivered: boolean, priority: number, expiresAt: number, size: number): QueueEntry {
  return {
    // Paged out: the QueueEntry contract says such an entry is never handed out before its body is read.
    message: undefined as unknown as Message,
    seq,
    redelivered,
    deliveryCount: redelivered ? 1 : 0,
    priority,
    expiresAt,
    size,
    isPersistent: true,
    isReady: false,
    isPagedOut: true,
    pageWhenStored: false,
  };
}

/**
 * The property bytes to deliver an entry with: the publisher's own, except on queues with `x-delivery-limit`,
 * where redeliveries carry `x-delivery-count` (RabbitMQ quorum-queue behaviour).
 */
export function deliveryPropertiesOf(entry: QueueEntry, deliveryLimit: number | undefined): Buffer {
  const message = entry.message;
  if (deliveryLimit === undefined || entry.deliveryCount <= 1) return message.rawProperties;
  const properties = message.properties;
  const updated = { ...properties, headers: { ...properties.headers, 'x-delivery-count': entry.deliveryCount - 1 } };
  const raw = Buffer.allocUnsafe(propertiesSize(updated));
  writeProperties(raw, 0, updated);
  return raw;
}
