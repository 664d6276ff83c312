import { Message, PublishOutcome, type ChannelError, type Queue, type QueueEntry, type VirtualHost } from '@app/broker-core';
import { ReplyCode } from '@app/codec';
import { ManagementPattern } from '@app/management-contract';
import { explainRoute, type RouteHop } from '@app/routing';
import { jsonOfProperties, jsonOfTable, propertiesOfJson, tableOfJson } from './json-format.js';
import { asDirectRequest, isAccessRefused, ManagementError } from './management-error.js';
import { SharedQueueOverflowError } from '../cluster/shared-queue-overflow-error.js';
import {
  exchangeNameOf,
  optionalString,
  requireExchange,
  requireQueue,
  requireVhost,
  stringField,
  type ManagementHandler,
} from './management-request.js';

// Publishing, fetching, purging and route explanation. These act on messages, but per HTTP request, never per
// AMQP frame: the broker's message path is untouched.

/** Seconds an HTTP publisher refused by backpressure is told to wait (`Retry-After`). */
const RETRY_AFTER_SECONDS = 5;

/**
 * A refused publish is 400 `403 ACCESS_REFUSED - …`, as RabbitMQ's management plugin answers it (the channel closes
 * after the publish was sent, so it reports the close as a bad request with its code).
 */
function refusedPublish(check: () => void): void {
  try {
    check();
  } catch (error) {
    if (isAccessRefused(error)) throw ManagementError.badRequest(`${ReplyCode.ACCESS_REFUSED} ${(error as ChannelError).replyText}`);
    throw error;
  }
}

const publish: ManagementHandler = async (data, { host, caller, actor }) => {
  const vhost = requireVhost(host, stringField(data, 'vhost'));
  const access = actor.accessTo(vhost.name);
  refusedPublish(() => access.checkPublish(exchangeNameOf(stringField(data, 'name'))));
  const exchange = requireExchange(vhost, stringField(data, 'name'));
  const alarms = host.alarmState;
  if (alarms.memory || alarms.disk) {
    const which = [alarms.memory ? 'memory' : '', alarms.disk ? 'disk' : ''].filter(Boolean).join(', ');
    throw ManagementError.unavailable(`resource alarm in effect (${which}): publishers are blocked`, RETRY_AFTER_SECONDS);
  }
  const routingKey = optionalString(data, 'routing_key') ?? '';
  if (exchange.type.name === 'topic') refusedPublish(() => access.checkTopic('write', exchange.name, routingKey));
  const encoding = optionalString(data, 'payload_encoding') ?? 'string';
  const payload = optionalString(data, 'payload') ?? '';
  const body = encoding === 'base64' ? Buffer.from(payload, 'base64') : Buffer.from(payload, 'utf8');
  const properties = propertiesOfJson(data.properties as Record<string, unknown> | undefined);
  // The same rule as over AMQP (content-assembler.ts): a message may name only its publisher as `user_id`.
  if (properties.userId !== undefined && properties.userId !== caller.username) {
    throw ManagementError.badRequest(`user_id property set to '${properties.userId}' but authenticated user was '${caller.username}'`);
  }
  const outcome = vhost.publish(exchange, routingKey, Message.withProperties(exchange.name, routingKey, properties, body));
  if (outcome === PublishOutcome.Rejected) {
    throw ManagementError.unavailable(`a target queue is full and rejects publishes (x-overflow reject-publish)`, RETRY_AFTER_SECONDS);
  }
  if (outcome === PublishOutcome.Unroutable) return { routed: false };
  if (outcome instanceof Promise) {
    try {
      await outcome;
    } catch (error) {
      // A shared queue (multi-node) refuses across nodes once the store counted it: the same answer as above.
      if (error instanceof SharedQueueOverflowError) {
        throw ManagementError.unavailable(`a target queue is full and rejects publishes (x-overflow reject-publish)`, RETRY_AFTER_SECONDS);
      }
      throw error;
    }
  }
  return { routed: true };
};

/** `ackmode` values of RabbitMQ's `POST /api/queues/{vh}/{q}/get`. */
type AckMode = 'ack_requeue_true' | 'ack_requeue_false' | 'reject_requeue_true' | 'reject_requeue_false';

const getMessages: ManagementHandler = (data, { host, actor }) => {
  const vhost = requireVhost(host, stringField(data, 'vhost'));
  actor.accessTo(vhost.name).check('read', 'queue', stringField(data, 'name'));
  const queue = requireQueue(vhost, stringField(data, 'name'));
  vhost.requireQueue(queue.name, actor.owner);
  const ackMode = (optionalString(data, 'ackmode') ?? 'ack_requeue_true') as AckMode;
  const count = typeof data.count === 'number' ? data.count : 1;
  const encoding = optionalString(data, 'encoding') ?? 'auto';
  const truncate = typeof data.truncate === 'number' ? data.truncate : undefined;
  const isRequeue = ackMode.endsWith('requeue_true');
  const isTracked = ackMode !== 'ack_requeue_false';
  const taken: QueueEntry[] = [];
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const entry = queue.take(isTracked);
    if (!entry) break;
    taken.push(entry);
    out.push(jsonOfEntry(queue, entry, encoding, truncate));
  }
  if (isRequeue) queue.requeue([...taken].sort((a, b) => a.seq - b.seq));
  else if (ackMode === 'reject_requeue_false') for (const entry of taken) queue.rejected(entry);
  return out;
};

function jsonOfEntry(queue: Queue, entry: QueueEntry, encoding: string, truncate: number | undefined): Record<string, unknown> {
  const message = entry.message;
  const body = truncate === undefined ? message.body : message.body.subarray(0, truncate);
  const text = body.toString('utf8');
  // `auto`: a string when the bytes are valid UTF-8 (they survive a round trip), else base64, as RabbitMQ does.
  const isText = encoding !== 'base64' && Buffer.from(text, 'utf8').equals(body);
  return {
    payload_bytes: message.bodySize,
    redelivered: entry.redelivered,
    exchange: message.exchange,
    routing_key: message.routingKey,
    message_count: queue.messageCount,
    properties: jsonOfProperties(message.properties),
    payload: isText ? text : body.toString('base64'),
    payload_encoding: isText ? 'string' : 'base64',
  };
}

const purge: ManagementHandler = async (data, { host, actor }) => {
  const vhost = requireVhost(host, stringField(data, 'vhost'));
  // RabbitMQ purges over HTTP with a direct `queue.purge`: a refusal is 401 `Access refused.`.
  asDirectRequest(() => actor.accessTo(vhost.name).check('read', 'queue', stringField(data, 'name')));
  const queue = requireQueue(vhost, stringField(data, 'name'));
  vhost.requireQueue(queue.name, actor.owner);
  return { message_count: await queue.purgeAll() };
};

function jsonOfHop(hop: RouteHop<Queue>): Record<string, unknown> {
  switch (hop.kind) {
    case 'binding':
      return {
        kind: 'binding',
        source: hop.binding.source.name,
        destination: hop.binding.destination.name,
        destination_type: hop.binding.destinationType,
        routing_key: hop.binding.routingKey,
        arguments: jsonOfTable(hop.binding.arguments as never),
        properties_key: hop.binding.propertiesKey,
      };
    case 'default-exchange':
      return { kind: 'default-exchange', source: '', destination: hop.queueName, destination_type: 'queue', routing_key: hop.queueName };
    case 'alternate-exchange':
      return { kind: 'alternate-exchange', source: hop.source.name, destination: hop.destination.name, destination_type: 'exchange' };
  }
}

/**
 * Where a reached queue would dead-letter its messages (rejected, expired, over its length limit): its effective
 * `x-dead-letter-exchange` (argument or policy) and routing key, or null. `exchange_exists` is false when the
 * exchange is missing, where RabbitMQ drops dead letters. Absent (not null) without one, so the answer for a queue
 * without dead-lettering keeps its earlier shape.
 */
function deadLetterTarget(vhost: VirtualHost, queue: Queue): Record<string, unknown> | undefined {
  const exchange = queue.policy.deadLetterExchange;
  if (exchange === undefined) return undefined;
  return {
    exchange,
    routing_key: queue.policy.deadLetterRoutingKey ?? null,
    exchange_exists: vhost.topology.getExchange(exchange) !== undefined,
  };
}

const route: ManagementHandler = (data, { host }) => {
  const vhost = requireVhost(host, stringField(data, 'vhost'));
  const exchange = requireExchange(vhost, stringField(data, 'name'));
  const routingKey = optionalString(data, 'routing_key') ?? '';
  const explanation = explainRoute(exchange, routingKey, data.headers === undefined ? undefined : tableOfJson(data.headers));
  return {
    routed: explanation.queues.length > 0,
    queues: explanation.queues.map(({ queue, paths }) => ({
      name: queue.name,
      vhost: vhost.name,
      paths: paths.map((path) => path.map(jsonOfHop)),
      dead_letter: deadLetterTarget(vhost, queue),
    })),
    exchanges: explanation.exchanges.map((visited) => visited.name),
    unmatched: explanation.unmatched.map(({ binding, reason }) => ({ ...jsonOfHop({ kind: 'binding', binding }), reason })),
  };
};

/** Message RPCs, by pattern. */
export const messageHandlers = {
  [ManagementPattern.ExchangesPublish]: publish,
  [ManagementPattern.ExchangesRoute]: route,
  [ManagementPattern.QueuesGetMessages]: getMessages,
  [ManagementPattern.QueuesPurge]: purge,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
