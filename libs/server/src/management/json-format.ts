import type { Queue } from '@app/broker-core';
import { TypedFieldValue, type BasicProperties, type FieldTable, type FieldValue } from '@app/codec';
import type { Binding, Exchange } from '@app/routing';
import { ManagementError } from './management-error.js';

// The management API speaks RabbitMQ's JSON: snake_case keys, field tables as plain JSON. Conversions live here so
// handlers deal in core objects only. Not on the message path: allocation is fine.

/** A field value as JSON: bigints as numbers (strings past 2^53), byte strings as UTF-8, decimals as numbers. */
export function jsonOfFieldValue(value: FieldValue): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return value.map(jsonOfFieldValue);
  if (value instanceof TypedFieldValue) {
    const inner = value.value;
    if (typeof inner === 'object') return inner.value / 10 ** inner.scale;
    return typeof inner === 'bigint' ? jsonOfFieldValue(inner) : inner;
  }
  return jsonOfTable(value);
}

/** A field table as a JSON object. */
export function jsonOfTable(table: FieldTable | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (table) for (const [key, value] of Object.entries(table)) out[key] = jsonOfFieldValue(value);
  return out;
}

/** A JSON object from an HTTP body as a field table (JSON values are all valid field values). */
export function tableOfJson(value: unknown): FieldTable {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw ManagementError.badRequest('arguments must be an object');
  return value as FieldTable;
}

const PROPERTY_NAMES: ReadonlyArray<readonly [keyof BasicProperties, string]> = [
  ['contentType', 'content_type'],
  ['contentEncoding', 'content_encoding'],
  ['headers', 'headers'],
  ['deliveryMode', 'delivery_mode'],
  ['priority', 'priority'],
  ['correlationId', 'correlation_id'],
  ['replyTo', 'reply_to'],
  ['expiration', 'expiration'],
  ['messageId', 'message_id'],
  ['timestamp', 'timestamp'],
  ['type', 'type'],
  ['userId', 'user_id'],
  ['appId', 'app_id'],
  ['clusterId', 'cluster_id'],
];

/** Message properties as RabbitMQ's management API prints them (snake_case; empty properties as `[]`). */
export function jsonOfProperties(properties: BasicProperties): Record<string, unknown> | [] {
  const out: Record<string, unknown> = {};
  for (const [camel, snake] of PROPERTY_NAMES) {
    const value = properties[camel];
    if (value === undefined) continue;
    // A timestamp past 2^53 is a bigint, which JSON cannot carry: a string, as for field values.
    out[snake] = camel === 'headers' ? jsonOfTable(value as FieldTable) : typeof value === 'bigint' ? jsonOfFieldValue(value) : value;
  }
  return Object.keys(out).length === 0 ? [] : out;
}

/** Properties carried as AMQP octets or longlongs, with their ranges; the rest are shortstrs. */
const NUMERIC_PROPERTIES: Partial<Record<keyof BasicProperties, readonly [number, number]>> = {
  deliveryMode: [1, 2],
  priority: [0, 255],
  timestamp: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * Message properties from a `/publish` body (snake_case, as RabbitMQ accepts them). A value of the wrong type or
 * out of range is a 400 naming the property, never an encoding failure deeper down.
 */
export function propertiesOfJson(json: Record<string, unknown> | undefined): BasicProperties {
  const out: Record<string, unknown> = {};
  if (!json) return {};
  if (typeof json !== 'object' || Array.isArray(json)) throw ManagementError.badRequest('properties must be an object');
  for (const [camel, snake] of PROPERTY_NAMES) {
    const value = json[snake];
    if (value === undefined || value === null) continue;
    if (camel === 'headers') {
      out[camel] = tableOfJson(value);
      continue;
    }
    const range = NUMERIC_PROPERTIES[camel];
    if (range) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) {
        throw ManagementError.badRequest(`property ${snake} must be an integer from ${range[0]} to ${range[1]}`);
      }
    } else if (typeof value !== 'string' || Buffer.byteLength(value) > 255) {
      throw ManagementError.badRequest(`property ${snake} must be a string of at most 255 bytes`);
    }
    out[camel] = value;
  }
  return out as BasicProperties;
}

/** An exchange as `/api/exchanges` lists it. */
export function jsonOfExchange(exchange: Exchange<Queue>, vhost: string): Record<string, unknown> {
  return {
    name: exchange.name,
    vhost,
    type: exchange.type.name,
    durable: exchange.durable,
    auto_delete: exchange.autoDelete,
    internal: exchange.internal,
    arguments: jsonOfTable(exchange.arguments as FieldTable),
  };
}

/** A queue as `/api/queues` lists it. */
export function jsonOfQueue(queue: Queue): Record<string, unknown> {
  return {
    name: queue.name,
    vhost: queue.vhost,
    durable: queue.options.durable,
    auto_delete: queue.options.autoDelete,
    exclusive: queue.options.exclusive,
    arguments: jsonOfTable(queue.options.arguments),
    type: 'classic',
    state: 'running',
    consumers: queue.consumerCount,
    messages: queue.messageCount + queue.unackedCount,
    messages_ready: queue.messageCount,
    messages_unacknowledged: queue.unackedCount,
    message_bytes_ready: queue.messageBytes,
    ...(queue.policy.singleActiveConsumer ? { single_active_consumer_tag: queue.activeConsumerTag ?? null } : {}),
  };
}

/** A binding as `/api/bindings` lists it. */
export function jsonOfBinding(binding: Binding<Queue>, vhost: string): Record<string, unknown> {
  return {
    source: binding.source.name,
    vhost,
    destination: binding.destination.name,
    destination_type: binding.destinationType,
    routing_key: binding.routingKey,
    arguments: jsonOfTable(binding.arguments as FieldTable),
    properties_key: binding.propertiesKey,
  };
}

/** The default exchange's implicit binding of a queue, which RabbitMQ lists among a queue's bindings. */
export function jsonOfDefaultBinding(queue: Queue): Record<string, unknown> {
  return {
    source: '',
    vhost: queue.vhost,
    destination: queue.name,
    destination_type: 'queue',
    routing_key: queue.name,
    arguments: {},
    properties_key: queue.name,
  };
}
