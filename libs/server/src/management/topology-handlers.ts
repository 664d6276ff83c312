import type { Queue, TopologyCommand, VirtualHost } from '@app/broker-core';
import { ManagementPattern } from '@app/management-contract';
import type { Binding, Exchange } from '@app/routing';
import { exchangeStatsJson, queueStatsJson, statsRangesOf, type StatsRanges } from '../stats/stats-json.js';
import { jsonOfBinding, jsonOfDefaultBinding, jsonOfExchange, jsonOfQueue, tableOfJson } from './json-format.js';
import { ManagementError } from './management-error.js';
import type { ManagementHost } from './management-host.js';
import {
  booleanField,
  optionalString,
  persisted,
  requireExchange,
  requireQueue,
  requireVhost,
  stringField,
  vhostsOf,
  type ManagementHandler,
  type RequestData,
} from './management-request.js';

// Exchanges, queues and bindings over the core's own declare/delete methods (docs/ARCHITECTURE.md, "Topology changes: one path": the admin API goes
// through the same core methods as AMQP clients, so equivalence checks and reply texts are identical).

/** An exchange with its `message_stats`. */
function exchangeWithStats(host: ManagementHost, exchange: Exchange<Queue>, vhost: string, ranges: StatsRanges, now: number): unknown {
  if (ranges.disabled) return jsonOfExchange(exchange, vhost);
  const stats = exchangeStatsJson(exchange, host.stats.exchangeHistory(exchange), ranges.msgRates, now);
  return { ...jsonOfExchange(exchange, vhost), message_stats: stats };
}

const listExchanges: ManagementHandler = (data, { host, access }) => {
  const ranges = statsRangesOf(data);
  const now = Date.now();
  return vhostsOf(host, data, access).flatMap((vhost) =>
    [...vhost.topology.exchanges()].map((exchange) => exchangeWithStats(host, exchange, vhost.name, ranges, now)),
  );
};

const getExchange: ManagementHandler = (data, { host }) => {
  const vhost = requireVhost(host, stringField(data, 'vhost'));
  return exchangeWithStats(host, requireExchange(vhost, stringField(data, 'name')), vhost.name, statsRangesOf(data), Date.now());
};

const declareExchange: ManagementHandler = async (data, context) => {
  const { host } = context;
  const vhost = requireVhost(host, stringField(data, 'vhost'));
  const options = {
    type: stringField(data, 'type'),
    durable: booleanField(data, 'durable', true),
    autoDelete: booleanField(data, 'auto_delete', false),
    internal: booleanField(data, 'internal', false),
    arguments: tableOfJson(data.arguments),
  };
  const { created } = await persisted(vhost, { kind: 'exchange.declare', exchange: stringField(data, 'name'), options }, context);
  return { created };
};

const deleteExchange: ManagementHandler = async (data, context) => {
  const vhost = requireVhost(context.host, stringField(data, 'vhost'));
  const exchange = requireExchange(vhost, stringField(data, 'name'));
  await persisted(vhost, { kind: 'exchange.delete', exchange: exchange.name, ifUnused: booleanField(data, 'if_unused', false) }, context);
  return {};
};

const exchangeBindings: ManagementHandler = (data, { host }) => {
  const vhost = requireVhost(host, stringField(data, 'vhost'));
  const exchange = requireExchange(vhost, stringField(data, 'name'));
  const bindings =
    data.side === 'destination'
      ? [...vhost.topology.bindings()].filter((binding) => binding.destination === exchange)
      : [...exchange.bindings];
  return bindings.map((binding) => jsonOfBinding(binding, vhost.name));
};

const listQueues: ManagementHandler = (data, { host, access }) => {
  const ranges = statsRangesOf(data);
  const now = Date.now();
  return vhostsOf(host, data, access).flatMap((vhost) =>
    [...vhost.allQueues()].map((queue) => ({ ...jsonOfQueue(queue), ...queueStatsJson(host.stats, queue, ranges, now) })),
  );
};

const getQueue: ManagementHandler = (data, { host }) => {
  const vhost = requireVhost(host, stringField(data, 'vhost'));
  const queue = requireQueue(vhost, stringField(data, 'name'));
  return { ...jsonOfQueue(queue), ...queueStatsJson(host.stats, queue, statsRangesOf(data), Date.now()) };
};

const declareQueue: ManagementHandler = async (data, context) => {
  const vhost = requireVhost(context.host, stringField(data, 'vhost'));
  const name = stringField(data, 'name');
  if (name === '') throw ManagementError.badRequest('queue name must not be empty');
  const options = {
    durable: booleanField(data, 'durable', true),
    exclusive: false,
    autoDelete: booleanField(data, 'auto_delete', false),
    arguments: tableOfJson(data.arguments),
  };
  const { created } = await persisted(vhost, { kind: 'queue.declare', queue: name, options }, context);
  return { created };
};

const deleteQueue: ManagementHandler = async (data, context) => {
  const vhost = requireVhost(context.host, stringField(data, 'vhost'));
  const queue = requireQueue(vhost, stringField(data, 'name'));
  const ifUnused = booleanField(data, 'if_unused', false);
  const ifEmpty = booleanField(data, 'if_empty', false);
  // A shared queue (multi-node) is judged on its consumers of every node and its whole ready backlog.
  const acrossNodes = (ifUnused || ifEmpty) && queue.shared?.judgeDelete !== undefined ? await queue.shared.judgeDelete(queue) : undefined;
  await persisted(vhost, { kind: 'queue.delete', queue: queue.name, ifUnused, ifEmpty, acrossNodes }, context);
  return {};
};

const queueBindings: ManagementHandler = (data, { host }) => {
  const vhost = requireVhost(host, stringField(data, 'vhost'));
  const queue = requireQueue(vhost, stringField(data, 'name'));
  return [jsonOfDefaultBinding(queue), ...vhost.topology.bindingsOfQueue(queue).map((binding) => jsonOfBinding(binding, vhost.name))];
};

/** `destination_type` `q` or `e` as in RabbitMQ's binding URLs. */
function isQueueDestination(data: RequestData): boolean {
  return data.destination_type !== 'e' && data.destination_type !== 'exchange';
}

/** The bindings from `source` to `destination` (both must exist: 404 otherwise). */
function bindingsBetween(vhost: VirtualHost, data: RequestData): Binding<Queue>[] {
  const source = requireExchange(vhost, stringField(data, 'source'));
  const destination = isQueueDestination(data)
    ? requireQueue(vhost, stringField(data, 'destination'))
    : requireExchange(vhost, stringField(data, 'destination'));
  return [...source.bindings].filter((binding) => binding.destination === destination);
}

/** Matches a URL `props` segment whether or not the router already decoded its `%XX` escapes. */
function hasPropertiesKey(binding: Binding<Queue>, props: string): boolean {
  if (binding.propertiesKey === props) return true;
  try {
    return decodeURIComponent(binding.propertiesKey.replace(/\+/g, ' ')) === props.replace(/\+/g, ' ');
  } catch {
    return false;
  }
}

const listBindings: ManagementHandler = (data, { host, access }) => {
  if (data.source !== undefined) {
    const vhost = requireVhost(host, stringField(data, 'vhost'));
    return bindingsBetween(vhost, data).map((binding) => jsonOfBinding(binding, vhost.name));
  }
  return vhostsOf(host, data, access).flatMap((vhost) => [
    ...[...vhost.allQueues()].map(jsonOfDefaultBinding),
    ...[...vhost.topology.bindings()].map((binding) => jsonOfBinding(binding, vhost.name)),
  ]);
};

const getBinding: ManagementHandler = (data, { host }) => {
  const vhost = requireVhost(host, stringField(data, 'vhost'));
  const props = stringField(data, 'props');
  const binding = bindingsBetween(vhost, data).find((candidate) => hasPropertiesKey(candidate, props));
  if (!binding) throw ManagementError.notFound();
  return jsonOfBinding(binding, vhost.name);
};

const createBinding: ManagementHandler = async (data, context) => {
  const vhost = requireVhost(context.host, stringField(data, 'vhost'));
  const source = requireExchange(vhost, stringField(data, 'source'));
  const routingKey = optionalString(data, 'routing_key') ?? '';
  const args = tableOfJson(data.arguments);
  const destinationName = stringField(data, 'destination');
  if (isQueueDestination(data)) {
    const queue = requireQueue(vhost, destinationName);
    await persisted(vhost, { kind: 'queue.bind', queue: queue.name, exchange: source.name, routingKey, arguments: args }, context);
  } else {
    const destination = requireExchange(vhost, destinationName);
    const command = { kind: 'exchange.bind', destination: destination.name, source: source.name, routingKey, arguments: args } as const;
    await persisted(vhost, command, context);
  }
  const created = [...source.bindings].find(
    (binding) => binding.destination.name === destinationName && binding.routingKey === routingKey && sameArgs(binding, args),
  );
  return { properties_key: created?.propertiesKey ?? '~' };
};

function sameArgs(binding: Binding<Queue>, args: object): boolean {
  return JSON.stringify(binding.arguments) === JSON.stringify(args);
}

const deleteBinding: ManagementHandler = async (data, context) => {
  const vhost = requireVhost(context.host, stringField(data, 'vhost'));
  const props = stringField(data, 'props');
  const binding = bindingsBetween(vhost, data).find((candidate) => hasPropertiesKey(candidate, props));
  if (!binding) throw ManagementError.notFound();
  const { source, routingKey, arguments: args } = binding;
  const command: TopologyCommand =
    binding.destinationType === 'queue'
      ? { kind: 'queue.unbind', queue: binding.destination.name, exchange: source.name, routingKey, arguments: args }
      : { kind: 'exchange.unbind', destination: binding.destination.name, source: source.name, routingKey, arguments: args };
  await persisted(vhost, command, context);
  return {};
};

/** Exchange, queue and binding RPCs, by pattern. */
export const topologyHandlers = {
  [ManagementPattern.ExchangesList]: listExchanges,
  [ManagementPattern.ExchangesGet]: getExchange,
  [ManagementPattern.ExchangesDeclare]: declareExchange,
  [ManagementPattern.ExchangesDelete]: deleteExchange,
  [ManagementPattern.ExchangesBindings]: exchangeBindings,
  [ManagementPattern.QueuesList]: listQueues,
  [ManagementPattern.QueuesGet]: getQueue,
  [ManagementPattern.QueuesDeclare]: declareQueue,
  [ManagementPattern.QueuesDelete]: deleteQueue,
  [ManagementPattern.QueuesBindings]: queueBindings,
  [ManagementPattern.BindingsList]: listBindings,
  [ManagementPattern.BindingsGet]: getBinding,
  [ManagementPattern.BindingsCreate]: createBinding,
  [ManagementPattern.BindingsDelete]: deleteBinding,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
