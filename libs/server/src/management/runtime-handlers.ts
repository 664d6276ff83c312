import { isLoopbackAddress, MessageCounters, type User } from '@app/broker-core';
import { ReplyCode } from '@app/codec';
import { ManagementPattern, type ManagementCaller } from '@app/management-contract';
import type { AmqpConnection } from '../connection/connection.js';
import type { Channel } from '../connection/channel.js';
import { channelStatsJson, connectionStatsJson, overviewStatsJson, statsRangesOf, vhostStatsJson } from '../stats/stats-json.js';
import { jsonOfTable } from './json-format.js';
import { ManagementError } from './management-error.js';
import { optionalString, stringField, type ManagementHandler } from './management-request.js';

// Overview, vhosts, connections, channels, consumers and health: read-only views of the running broker, plus
// closing a connection.

/** User tags that may use the management API (RabbitMQ's management, monitoring, policymaker, administrator). */
const MANAGEMENT_TAGS = new Set(['management', 'monitoring', 'policymaker', 'administrator']);

/**
 * The user a request acts for, or 401. The admin API verified the password (an AMQP login on the management
 * listener); only management connections reach this, so the broker believes the name and the HTTP client's address,
 * and checks what needs no password: the user exists, may use the management API, and (loopback-only users such as
 * `guest`) calls from loopback.
 */
export function authorizeCaller(caller: ManagementCaller, users: { getUser(name: string): User | undefined }): User {
  const user = users.getUser(caller.username);
  if (!user || (user.isLoopbackOnly && !isLoopbackAddress(caller.remote_address))) throw ManagementError.notAuthorized('Login failed');
  if (!user.tags.some((tag) => MANAGEMENT_TAGS.has(tag))) throw ManagementError.notAuthorized('Not management user');
  return user;
}

/** `management.authenticate`: the caller's name and tags (authorization already ran). */
const authenticate: ManagementHandler = (_data, { host, caller }) => {
  const user = authorizeCaller(caller, host.core.users);
  return { name: user.name, tags: user.tags.join(',') };
};

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

function* openConnections(connections: IterableIterator<AmqpConnection>, vhost: string | undefined): Generator<AmqpConnection> {
  for (const connection of connections) {
    if (connection.state === 'closed' || !connection.vhost) continue;
    if (vhost === undefined || connection.vhost.name === vhost) yield connection;
  }
}

const listConnections: ManagementHandler = (data, { host }) => {
  const ranges = statsRangesOf(data);
  const now = Date.now();
  return [...openConnections(host.allConnections(), optionalString(data, 'vhost'))].map((connection) => ({
    ...jsonOfConnection(connection),
    ...connectionStatsJson(host.stats, connection, ranges, now),
  }));
};

const getConnection: ManagementHandler = (data, { host }) => {
  const name = stringField(data, 'name');
  const connection = [...openConnections(host.allConnections(), undefined)].find((candidate) => candidate.name === name);
  if (!connection) throw ManagementError.notFound();
  return { ...jsonOfConnection(connection), ...connectionStatsJson(host.stats, connection, statsRangesOf(data), Date.now()) };
};

const closeConnection: ManagementHandler = (data, { host }) => {
  const name = stringField(data, 'name');
  const connection = [...openConnections(host.allConnections(), undefined)].find((candidate) => candidate.name === name);
  if (!connection) throw ManagementError.notFound();
  const reason = optionalString(data, 'reason') ?? 'Closed via management plugin';
  connection.closeConnection(ReplyCode.CONNECTION_FORCED, `CONNECTION_FORCED - ${reason}`);
  return {};
};

const listChannels: ManagementHandler = (data, { host }) => {
  const ranges = statsRangesOf(data);
  const now = Date.now();
  const out: Record<string, unknown>[] = [];
  for (const connection of openConnections(host.allConnections(), optionalString(data, 'vhost'))) {
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

const listConsumers: ManagementHandler = (data, { host }) => {
  const out: Record<string, unknown>[] = [];
  for (const connection of openConnections(host.allConnections(), optionalString(data, 'vhost'))) {
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

const overview: ManagementHandler = (data, { host }) => {
  const ranges = statsRangesOf(data);
  let queues = 0;
  let exchanges = 0;
  let ready = 0;
  let unacked = 0;
  let consumers = 0;
  for (const vhost of host.core.allVhosts()) {
    for (const exchange of vhost.topology.exchanges()) if (exchange) exchanges++;
    for (const queue of vhost.allQueues()) {
      queues++;
      ready += queue.messageCount;
      unacked += queue.unackedCount;
      consumers += queue.consumerCount;
    }
  }
  const connections = [...openConnections(host.allConnections(), undefined)];
  const channels = connections.reduce((sum, connection) => sum + [...connection.allChannels()].length, 0);
  const { message_stats, queueTotalsDetails } = overviewStatsJson(host.stats, host.stats.countersByVhost().total, ranges, Date.now());
  return {
    product_name: 'Warren',
    product_version: '0.1.0',
    management_version: '3.13.0',
    rabbitmq_version: '3.13.0',
    node: 'warren@localhost',
    statistics_db_event_queue: 0,
    message_stats,
    object_totals: { connections: connections.length, channels, exchanges, queues, consumers },
    queue_totals: { messages: ready + unacked, messages_ready: ready, messages_unacknowledged: unacked, ...queueTotalsDetails },
    listeners: [{ protocol: 'amqp', port: host.port }],
    alarms: { ...host.alarmState },
  };
};

const listVhosts: ManagementHandler = (data, { host }) => {
  const ranges = statsRangesOf(data);
  const now = Date.now();
  const { byVhost } = host.stats.countersByVhost();
  return [...host.core.allVhosts()].map((vhost) => {
    let ready = 0;
    let unacked = 0;
    for (const queue of vhost.allQueues()) {
      ready += queue.messageCount;
      unacked += queue.unackedCount;
    }
    const counters = byVhost.get(vhost.name) ?? new MessageCounters();
    return {
      name: vhost.name,
      messages: ready + unacked,
      messages_ready: ready,
      messages_unacknowledged: unacked,
      tracing: false,
      ...vhostStatsJson(host.stats, vhost.name, counters, ranges, now),
    };
  });
};

/** RabbitMQ's `/api/health/checks/alarms`: fails while any resource alarm is in effect. */
const alarmsHealth: ManagementHandler = (_data, { host }) => {
  const alarms = host.alarmState;
  const active = [alarms.memory ? 'memory' : '', alarms.disk ? 'disk' : ''].filter(Boolean);
  return active.length === 0
    ? { status: 'ok' }
    : { status: 'failed', reason: `resource alarm(s) in effect: ${active.join(', ')}`, alarms: active };
};

/** The broker answered over AMQP and is listening: it can serve clients. */
const readyHealth: ManagementHandler = (_data, { host }) =>
  host.port > 0 ? { status: 'ok' } : { status: 'failed', reason: 'the AMQP listener is not up' };

/**
 * Warren's `/api/health/checks/storage-integrity`: fails while stored messages are quarantined (their checksum
 * failed when read back: held out of their queues, never delivered) or the store is faulted.
 */
const storageHealth: ManagementHandler = (_data, { host }) => {
  const quarantined = host.core.quarantined;
  const health = host.core.storage?.messages.health;
  if (health?.status === 'faulted') return { status: 'failed', reason: `the message store is faulted: ${health.error.message}` };
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
  [ManagementPattern.VhostsList]: listVhosts,
  [ManagementPattern.ConnectionsList]: listConnections,
  [ManagementPattern.ConnectionsGet]: getConnection,
  [ManagementPattern.ConnectionsClose]: closeConnection,
  [ManagementPattern.ChannelsList]: listChannels,
  [ManagementPattern.ConsumersList]: listConsumers,
  [ManagementPattern.HealthAlarms]: alarmsHealth,
  [ManagementPattern.HealthStorage]: storageHealth,
  [ManagementPattern.HealthReady]: readyHealth,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
