import { TypedFieldValue, type BasicProperties, type FieldTable, type FieldValue } from '@app/codec';
import type { DeadLetterReason } from '../queue/queue.js';
import { Message } from '../queue/message.js';

/** The routing keys a message was published with: its routing key plus its `CC` header (RabbitMQ's x-death `routing-keys`). */
function routingKeysOf(message: Message): string[] {
  const cc = message.properties.headers?.CC;
  const keys = [message.routingKey];
  if (Array.isArray(cc)) for (const key of cc) if (typeof key === 'string') keys.push(key);
  return keys;
}

function isTable(value: FieldValue | undefined): value is FieldTable {
  return (
    value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value) && !(value instanceof TypedFieldValue)
  );
}

/**
 * Builds the dead-lettered copy of a message, as RabbitMQ does (docs: "Dead Letter Exchanges"): the `x-death`
 * array gets (or bumps and moves to the front) the entry for this queue and reason, `x-first-death-*` is set once,
 * `x-last-death-*` every time, and a per-message `expiration` is removed (kept as `original-expiration`).
 */
export function deadLetterMessage(
  message: Message,
  queueName: string,
  reason: DeadLetterReason,
  exchange: string,
  routingKey: string,
): Message {
  const properties = message.properties;
  const headers: FieldTable = { ...(properties.headers ?? {}) };
  const deaths = Array.isArray(headers['x-death']) ? [...(headers['x-death'] as FieldValue[])] : [];
  const index = deaths.findIndex((death) => isTable(death) && death.queue === queueName && death.reason === reason);
  const now = new TypedFieldValue('T', Math.floor(Date.now() / 1000));
  let death: FieldTable;
  if (index >= 0) {
    const previous = deaths.splice(index, 1)[0] as FieldTable;
    const count = typeof previous.count === 'number' ? previous.count : Number((previous.count as TypedFieldValue | undefined)?.value ?? 0);
    death = { ...previous, count: new TypedFieldValue('l', count + 1), time: now };
  } else {
    death = {
      count: new TypedFieldValue('l', 1),
      reason,
      queue: queueName,
      time: now,
      exchange: message.exchange,
      'routing-keys': routingKeysOf(message),
    };
    if (properties.expiration !== undefined) death['original-expiration'] = properties.expiration;
  }
  deaths.unshift(death);
  headers['x-death'] = deaths;
  if (headers['x-first-death-reason'] === undefined) {
    headers['x-first-death-reason'] = reason;
    headers['x-first-death-queue'] = queueName;
    headers['x-first-death-exchange'] = message.exchange;
  }
  headers['x-last-death-reason'] = reason;
  headers['x-last-death-queue'] = queueName;
  headers['x-last-death-exchange'] = message.exchange;
  const updated: BasicProperties = { ...properties, headers };
  delete updated.expiration;
  return Message.withProperties(exchange, routingKey, updated, message.body);
}

/**
 * Whether dead-lettering into `queueName` would close a cycle that should stop (RabbitMQ: the message already died
 * in that queue and no rejection happened along the way, so it would loop forever).
 */
export function isDeadLetterCycle(message: Message, queueName: string): boolean {
  const deaths = message.properties.headers?.['x-death'];
  if (!Array.isArray(deaths)) return false;
  let hasDiedThere = false;
  for (const death of deaths) {
    if (!isTable(death)) continue;
    if (death.reason === 'rejected') return false;
    if (death.queue === queueName) hasDiedThere = true;
  }
  return hasDiedThere;
}
