import { TypedFieldValue, type BasicProperties, type FieldTable } from '@app/codec';
import type { Message, Queue, VirtualHost } from '@app/broker-core';

/** A message as a test sees it: where it was published, its properties and body. */
export interface InspectedMessage {
  /** The exchange it was published to ('' for the default exchange). */
  exchange: string;
  routingKey: string;
  body: Buffer;
  /** The properties exactly as decoded: header values with a non-default AMQP type stay `TypedFieldValue`s. */
  properties: BasicProperties;
  /**
   * `properties.headers` as plain JS values (a `TypedFieldValue` becomes its value, e.g. a byte `1` from amqplib
   * becomes `1`), for assertions; `{}` without headers.
   */
  headers: Record<string, unknown>;
  /** Set once the message was delivered and came back (nack, recover, consumer gone). Always false in a capture. */
  redelivered: boolean;
}

/** The test-facing view of a core message (the body is shared, not copied: the broker never mutates it). */
export function inspectMessage(message: Message, redelivered: boolean): InspectedMessage {
  return {
    exchange: message.exchange,
    routingKey: message.routingKey,
    body: message.body,
    properties: message.properties,
    headers: plainTable(message.properties.headers),
    redelivered,
  };
}

/** The queue `name` of `vhost`, or an error naming it. */
export function requireQueue(vhost: VirtualHost, name: string): Queue {
  const queue = vhost.getQueue(name);
  if (queue === undefined) throw new Error(`testing: no queue '${name}' in vhost '${vhost.name}'`);
  return queue;
}

/**
 * The first `limit` ready messages of a queue, head first, without consuming them. Messages delivered to a
 * consumer and not yet acked are with the consumer, not in the queue, so they are not listed.
 */
export function peekQueue(queue: Queue, limit = Number.POSITIVE_INFINITY): InspectedMessage[] {
  const peeked: InspectedMessage[] = [];
  if (limit <= 0) return peeked;
  for (const entry of queue.readyEntries()) {
    peeked.push(inspectMessage(entry.message, entry.redelivered));
    if (peeked.length >= limit) break;
  }
  return peeked;
}

function plainTable(table: FieldTable | undefined): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  if (table !== undefined) for (const key of Object.keys(table)) plain[key] = plainValue(table[key]);
  return plain;
}

function plainValue(value: unknown): unknown {
  if (value instanceof TypedFieldValue) return value.value;
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return plainTable(value as FieldTable);
  }
  return value;
}
