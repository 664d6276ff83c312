import { MessageCounters, type SampleRing } from '@app/broker-core';
import { ReplyCode } from '@app/codec';
import { ManagementPattern } from '@app/management-contract';
import { connectionStatsJson, overviewStatsJson, statsRangesOf } from '../stats/stats-json.js';
import { sumHistories } from '../stats/summed-history.js';
import type { CallerAccess } from './caller-access.js';
import { connectionFor, jsonOfConnection, jsonOfConsumer, openConnections } from './connection-json.js';
import { listenersOf, nodeNameOf } from './node-handlers.js';
import type { ManagementHost } from './management-host.js';
import { optionalString, stringField, type ManagementHandler } from './management-request.js';

// Overview, connections, consumers and health: read-only views of the running broker, plus
// closing a connection.

/** `management.authenticate`: the caller's name and tags (authorization already ran). */
const authenticate: ManagementHandler = (_data, { access }) => ({ name: access.user.name, tags: access.user.tags.join(',') });

/** `GET /api/whoami`, as RabbitMQ 3.9+ prints it. */
const whoami: ManagementHandler = (_data, { access }) => ({ name: access.user.name, tags: [...access.user.tags], is_internal_user: true });

const listConnections: ManagementHandler = (data, { host, access }) => {
  const ranges = statsRangesOf(data);
  const now = Date.now();
  return [...openConnections(host.allConnections(), optionalString(data, 'vhost'), access)].map((connection) => ({
    ...jsonOfConnection(connection),
    ...connectionStatsJson(host.stats, connection, ranges, now),
  }));
};

const getConnection: ManagementHandler = (data, { host, access }) => {
  const connection = connectionFor(host, stringField(data, 'name'), access, false);
  return { ...jsonOfConnection(connection), ...connectionStatsJson(host.stats, connection, statsRangesOf(data), Date.now()) };
};

const closeConnection: ManagementHandler = (data, { host, access }) => {
  const connection = connectionFor(host, stringField(data, 'name'), access, true);
  const reason = optionalString(data, 'reason') ?? 'Closed via management plugin';
  connection.closeConnection(ReplyCode.CONNECTION_FORCED, `CONNECTION_FORCED - ${reason}`);
  return {};
};

const listConsumers: ManagementHandler = (data, { host, access }) => {
  const out: Record<string, unknown>[] = [];
  for (const connection of openConnections(host.allConnections(), optionalString(data, 'vhost'), undefined)) {
    // Consumers are listed by vhost, as queues are (RabbitMQ's `filter_vhost`).
    if (!access.reachesVhost(connection.vhost.name)) continue;
    for (const channel of connection.allChannels()) {
      for (const consumer of channel.allConsumers()) {
        out.push(jsonOfConsumer(connection, channel, consumer));
      }
    }
  }
  return out;
};

/**
 * The overview's counters and their history: the whole broker's for monitors and administrators (closed vhosts'
 * counts included), else the sum over the vhosts the caller may log in to, as RabbitMQ's overview sums only a
 * management user's vhosts.
 */
function overviewCounters(host: ManagementHost, access: CallerAccess): { counters: MessageCounters; history: SampleRing } {
  const { byVhost, total } = host.stats.countersByVhost();
  if (access.isMonitor) return { counters: total, history: host.stats.overviewHistory() };
  const counters = new MessageCounters();
  const histories: Array<SampleRing | undefined> = [];
  for (const [vhost, vhostCounters] of byVhost) {
    if (!access.seesVhost(vhost)) continue;
    counters.add(vhostCounters);
    histories.push(host.stats.vhostHistory(vhost));
  }
  return { counters, history: sumHistories(host.stats.overviewHistory(), histories) };
}

/** Totals over the vhosts the caller sees and the connections it may list (RabbitMQ's overview for that user). */
const overview: ManagementHandler = (data, { host, access }) => {
  const ranges = statsRangesOf(data);
  let queues = 0;
  let exchanges = 0;
  let ready = 0;
  let unacked = 0;
  let consumers = 0;
  for (const vhost of host.core.allVhosts()) {
    if (!access.seesVhost(vhost.name)) continue;
    for (const exchange of vhost.topology.exchanges()) if (exchange) exchanges++;
    for (const queue of vhost.allQueues()) {
      queues++;
      ready += queue.messageCount;
      unacked += queue.unackedCount;
      consumers += queue.consumerCount;
    }
  }
  const connections = [...openConnections(host.allConnections(), undefined, access)];
  const channels = connections.reduce((sum, connection) => sum + [...connection.allChannels()].length, 0);
  const { counters, history } = overviewCounters(host, access);
  const { message_stats, queueTotalsDetails } = overviewStatsJson(history, counters, ranges, Date.now());
  return {
    product_name: 'Warren',
    product_version: '0.1.0',
    management_version: '3.13.0',
    rabbitmq_version: '3.13.0',
    node: nodeNameOf(host),
    statistics_db_event_queue: 0,
    message_stats,
    object_totals: { connections: connections.length, channels, exchanges, queues, consumers },
    queue_totals: { messages: ready + unacked, messages_ready: ready, messages_unacknowledged: unacked, ...queueTotalsDetails },
    listeners: listenersOf(host),
    alarms: { ...host.alarmState },
  };
};

/** RabbitMQ's `/api/health/checks/alarms`: fails while any resource alarm is in effect. */
const alarmsHealth: ManagementHandler = (_data, { host }) => {
  const alarms = host.alarmState;
  const active = [alarms.memory ? 'memory' : '', alarms.disk ? 'disk' : ''].filter(Boolean);
  return active.length === 0
    ? { status: 'ok' }
    : { status: 'failed', reason: `resource alarm(s) in effect: ${active.join(', ')}`, alarms: active };
};

/**
 * Warren's `/api/health/checks/storage-integrity`: fails while stored messages are quarantined (their checksum
 * failed when read back: held out of their queues, never delivered), when the full integrity check run after
 * start-up found damage, or while the store is faulted.
 */
const storageHealth: ManagementHandler = (_data, { host }) => {
  const quarantined = host.core.quarantined;
  const health = host.core.storage?.messages.health;
  if (health?.status === 'faulted') return { status: 'failed', reason: `the message store is faulted: ${health.error.message}` };
  const problems = host.core.integrityProblems;
  if (problems.length > 0) return { status: 'failed', reason: `the message store is damaged: ${problems.join('; ')}` };
  if (quarantined.length === 0) return { status: 'ok' };
  const first = quarantined[0];
  return {
    status: 'failed',
    reason: `${quarantined.length} stored message(s) failed their checksum and are quarantined (first: message ${first.seq} of queue ${first.queueId})`,
  };
};

/** Runtime RPCs, by pattern. */
export const runtimeHandlers = {
  [ManagementPattern.Authenticate]: authenticate,
  [ManagementPattern.Overview]: overview,
  [ManagementPattern.Whoami]: whoami,
  [ManagementPattern.ConnectionsList]: listConnections,
  [ManagementPattern.ConnectionsGet]: getConnection,
  [ManagementPattern.ConnectionsClose]: closeConnection,
  [ManagementPattern.ConsumersList]: listConsumers,
  [ManagementPattern.HealthAlarms]: alarmsHealth,
  [ManagementPattern.HealthStorage]: storageHealth,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
