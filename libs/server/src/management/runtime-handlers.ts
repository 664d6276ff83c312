import { ReplyCode } from '@app/codec';
import { ManagementPattern } from '@app/management-contract';
import type { AmqpConnection } from '../connection/connection.js';
import type { Channel } from '../connection/channel.js';
import type { CallerAccess } from './caller-access.js';
import { channelStatsJson, connectionStatsJson, overviewStatsJson, statsRangesOf } from '../stats/stats-json.js';
import { jsonOfTable } from './json-format.js';
import { ManagementError } from './management-error.js';
import { listenersOf, nodeNameOf } from './node-handlers.js';
import type { ManagementHost } from './management-host.js';
import { optionalString, stringField, type ManagementHandler } from './management-request.js';

// Overview, vhosts, connections, channels, consumers and health: read-only views of the running broker, plus
// closing a connection.

/** `management.authenticate`: the caller's name and tags (authorization already ran). */
const authenticate: ManagementHandler = (_data, { access }) => ({ name: access.user.name, tags: access.user.tags.join(',') });

/** `GET /api/whoami`, as RabbitMQ 3.9+ prints it. */
const whoami: ManagementHandler = (_data, { access }) => ({ name: access.user.name, tags: [...access.user.tags], is_internal_user: true });

function peerOf(connection: AmqpConnection): { peer_host?: string; peer_port?: number; host?: string; port?: number } {
  const socket = connection.socket;
  return { peer_host: socket.remoteAddress, peer_port: socket.remotePort, host: socket.localAddress, port: socket.localPort };
}

function jsonOfConnection(connection: AmqpConnection): Record<string, unknown> {
  return {
    name: connection.name,
    user: connection.userName,
    vhost: connection.vhost?.name,
    // RabbitMQ shows a publisher paused by a resource alarm as `blocked`.
    state: connection.isBlocked ? 'blocked' : connection.state === 'open' ? 'running' : connection.state,
    protocol: 'AMQP 0-9-1',
    channels: [...connection.allChannels()].length,
    connected_at: connection.connectedAt,
    client_properties: jsonOfTable(connection.clientProperties),
    frame_max: connection.frameMax,
    channel_max: connection.channelMax,
    timeout: connection.heartbeatSec,
    ...peerOf(connection),
  };
}

function channelName(connection: AmqpConnection, channel: Channel): string {
  return `${connection.name} (${channel.id})`;
}

function channelDetails(connection: AmqpConnection, channel: Channel): Record<string, unknown> {
  const peer = peerOf(connection);
  return {
    name: channelName(connection, channel),
    number: channel.id,
    connection_name: connection.name,
    user: connection.userName,
    peer_host: peer.peer_host,
    peer_port: peer.peer_port,
  };
}

/**
 * Open client connections, of one vhost or all, that the caller may see: monitors and administrators see every
 * user's, others their own (RabbitMQ's `filter_user`).
 */
function* openConnections(
  connections: IterableIterator<AmqpConnection>,
  vhost: string | undefined,
  access: CallerAccess | undefined,
): Generator<AmqpConnection> {
  for (const connection of connections) {
    if (connection.state === 'closed' || !connection.vhost) continue;
    if (access && !access.seesUser(connection.userName)) continue;
    if (vhost === undefined || connection.vhost.name === vhost) yield connection;
  }
}

/**
 * The named connection, or 404; 401 `User not authorised to access object` when it is another user's and the
 * caller may not (RabbitMQ's `is_authorized_user`: reading needs monitoring, closing administrator).
 */
function connectionFor(host: ManagementHost, name: string, access: CallerAccess, isClose: boolean): AmqpConnection {
  const connection = [...openConnections(host.allConnections(), undefined, undefined)].find((candidate) => candidate.name === name);
  if (!connection) throw ManagementError.notFound();
  const mayAct = isClose ? access.isAdministrator : access.isMonitor;
  if (!mayAct && connection.userName !== access.user.name) throw ManagementError.notAuthorised('User not authorised to access object');
  return connection;
}

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

const listChannels: ManagementHandler = (data, { host, access }) => {
  const ranges = statsRangesOf(data);
  const now = Date.now();
  const out: Record<string, unknown>[] = [];
  for (const connection of openConnections(host.allConnections(), optionalString(data, 'vhost'), access)) {
    for (const channel of connection.allChannels()) {
      out.push({
        ...channelDetails(connection, channel),
        connection_details: { name: connection.name, peer_host: connection.socket.remoteAddress, peer_port: connection.socket.remotePort },
        vhost: connection.vhost.name,
        consumer_count: channel.consumerCount,
        messages_unacknowledged: channel.unackedCount,
        confirm: channel.isConfirmMode,
        transactional: channel.isTransactional,
        state: 'running',
        ...channelStatsJson(host.stats, channel, ranges, now),
      });
    }
  }
  return out;
};

const listConsumers: ManagementHandler = (data, { host, access }) => {
  const out: Record<string, unknown>[] = [];
  for (const connection of openConnections(host.allConnections(), optionalString(data, 'vhost'), undefined)) {
    // Consumers are listed by vhost, as queues are (RabbitMQ's `filter_vhost`).
    if (!access.reachesVhost(connection.vhost.name)) continue;
    for (const channel of connection.allChannels()) {
      for (const consumer of channel.allConsumers()) {
        out.push({
          consumer_tag: consumer.tag,
          queue: { name: consumer.queue.name, vhost: consumer.queue.vhost },
          channel_details: channelDetails(connection, channel),
          ack_required: !consumer.noAck,
          exclusive: consumer.exclusive,
          prefetch_count: consumer.prefetchCount,
          active: true,
          arguments: {},
        });
      }
    }
  }
  return out;
};

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
  const { message_stats, queueTotalsDetails } = overviewStatsJson(host.stats, host.stats.countersByVhost().total, ranges, Date.now());
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
  [ManagementPattern.ChannelsList]: listChannels,
  [ManagementPattern.ConsumersList]: listConsumers,
  [ManagementPattern.HealthAlarms]: alarmsHealth,
  [ManagementPattern.HealthStorage]: storageHealth,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
