import type { AmqpConnection } from '../connection/connection.js';
import type { Channel } from '../connection/channel.js';
import type { ChannelConsumer } from '../connection/channel-consumer.js';
import type { CallerAccess } from './caller-access.js';
import { jsonOfTable } from './json-format.js';
import { ManagementError } from './management-error.js';
import type { ManagementHost } from './management-host.js';

// Connections, channels and consumers as RabbitMQ's management API prints them, and who may see which: shared by
// the runtime handlers (connections, consumers, overview) and the channel handlers.

function peerOf(connection: AmqpConnection): { peer_host?: string; peer_port?: number; host?: string; port?: number } {
  const socket = connection.socket;
  return { peer_host: socket.remoteAddress, peer_port: socket.remotePort, host: socket.localAddress, port: socket.localPort };
}

/** A connection of `/api/connections`, without its `message_stats`. */
export function jsonOfConnection(connection: AmqpConnection): Record<string, unknown> {
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

/** RabbitMQ's channel name: the connection's name and the channel number, `"<connection> (<number>)"`. */
export function channelName(connection: AmqpConnection, channel: Channel): string {
  return `${connection.name} (${channel.id})`;
}

/** A channel's `channel_details`, as consumers carry them. */
export function channelDetails(connection: AmqpConnection, channel: Channel): Record<string, unknown> {
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

/** A channel of `/api/channels`, without its `message_stats`. */
export function jsonOfChannel(connection: AmqpConnection, channel: Channel): Record<string, unknown> {
  const uncommitted = channel.uncommitted;
  return {
    ...channelDetails(connection, channel),
    connection_details: { name: connection.name, peer_host: connection.socket.remoteAddress, peer_port: connection.socket.remotePort },
    vhost: connection.vhost.name,
    consumer_count: channel.consumerCount,
    messages_unacknowledged: channel.unackedCount,
    messages_unconfirmed: channel.unconfirmedCount,
    messages_uncommitted: uncommitted.messages,
    acks_uncommitted: uncommitted.acks,
    prefetch_count: channel.deliveries.consumerPrefetchCount,
    global_prefetch_count: channel.deliveries.globalPrefetchCount,
    confirm: channel.isConfirmMode,
    transactional: channel.isTransactional,
    state: channel.state === 'closing' ? 'closing' : 'running',
  };
}

/** RabbitMQ's `active` and `activity_status` of a consumer: with `x-single-active-consumer`, `single_active` or `waiting`. */
function activityOf(consumer: ChannelConsumer): { active: boolean; activity_status: string } {
  if (!consumer.queue.policy.singleActiveConsumer) return { active: true, activity_status: 'up' };
  const isActive = consumer.queue.activeConsumer === consumer;
  return { active: isActive, activity_status: isActive ? 'single_active' : 'waiting' };
}

/** A consumer of `/api/consumers` and of a channel's `consumer_details`. */
export function jsonOfConsumer(connection: AmqpConnection, channel: Channel, consumer: ChannelConsumer): Record<string, unknown> {
  return {
    consumer_tag: consumer.tag,
    queue: { name: consumer.queue.name, vhost: consumer.queue.vhost },
    channel_details: channelDetails(connection, channel),
    ack_required: !consumer.noAck,
    exclusive: consumer.exclusive,
    prefetch_count: consumer.prefetchCount,
    ...activityOf(consumer),
    arguments: jsonOfTable(consumer.consumeArguments),
  };
}

/**
 * Open client connections, of one vhost or all, that the caller may see: monitors and administrators see every
 * user's, others their own (RabbitMQ's `filter_user`); every one with `access` undefined. The admin API's own
 * management connections are not clients (RabbitMQ's management plugin uses no AMQP connection), so they are
 * never listed, counted or closable, as the statistics and `/metrics` leave them out too.
 */
export function* openConnections(
  connections: IterableIterator<AmqpConnection>,
  vhost: string | undefined,
  access: CallerAccess | undefined,
): Generator<AmqpConnection> {
  for (const connection of connections) {
    if (connection.state === 'closed' || !connection.vhost || connection.isManagement) continue;
    if (access && !access.seesUser(connection.userName)) continue;
    if (vhost === undefined || connection.vhost.name === vhost) yield connection;
  }
}

/** 401 `User not authorised to access object` unless the caller may act on `owner`'s connection or channel. */
function requireOwnerOrTag(owner: string | undefined, access: CallerAccess, isClose: boolean): void {
  const mayAct = isClose ? access.isAdministrator : access.isMonitor;
  if (!mayAct && owner !== access.user.name) throw ManagementError.notAuthorised('User not authorised to access object');
}

/**
 * The named connection, or 404; 401 `User not authorised to access object` when it is another user's and the
 * caller may not (RabbitMQ's `is_authorized_user`: reading needs monitoring, closing administrator).
 */
export function connectionFor(host: ManagementHost, name: string, access: CallerAccess, isClose: boolean): AmqpConnection {
  const connection = [...openConnections(host.allConnections(), undefined, undefined)].find((candidate) => candidate.name === name);
  if (!connection) throw ManagementError.notFound();
  requireOwnerOrTag(connection.userName, access, isClose);
  return connection;
}

/** `"<connection> (<number>)"`: RabbitMQ's channel names end in the channel number in parentheses. */
const CHANNEL_NAME = /^(.*) \((\d+)\)$/;

/**
 * The named channel and its connection, or 404; 401 for another user's channel unless the caller is a monitor
 * (RabbitMQ's `rabbit_mgmt_wm_channel` checks `is_authorized_user` as for connections).
 */
export function channelFor(host: ManagementHost, name: string, access: CallerAccess): { connection: AmqpConnection; channel: Channel } {
  const parts = CHANNEL_NAME.exec(name);
  if (!parts) throw ManagementError.notFound();
  const id = Number(parts[2]);
  for (const connection of openConnections(host.allConnections(), undefined, undefined)) {
    if (connection.name !== parts[1]) continue;
    for (const channel of connection.allChannels()) {
      if (channel.id !== id) continue;
      requireOwnerOrTag(connection.userName, access, false);
      return { connection, channel };
    }
  }
  throw ManagementError.notFound();
}
