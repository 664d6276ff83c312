import { ManagementPattern } from '@app/management-contract';
import type { AmqpConnection } from '../connection/connection.js';
import { channelStatsJson, statsRangesOf, type StatsRanges } from '../stats/stats-json.js';
import { channelFor, connectionFor, jsonOfChannel, jsonOfConsumer, openConnections } from './connection-json.js';
import { ManagementError } from './management-error.js';
import type { ManagementHost } from './management-host.js';
import { optionalString, stringField, type ManagementHandler } from './management-request.js';

// RabbitMQ's channel routes: `/api/channels`, `/api/vhosts/{vhost}/channels`, `/api/connections/{name}/channels`
// and `/api/channels/{name}`. Who sees which: see connection-json.ts.

function channelsOf(host: ManagementHost, connection: AmqpConnection, ranges: StatsRanges, now: number): Record<string, unknown>[] {
  return [...connection.allChannels()].map((channel) => ({
    ...jsonOfChannel(connection, channel),
    ...channelStatsJson(host.stats, channel, ranges, now),
  }));
}

/** Every channel the caller may see, of one vhost (404 when it does not exist) or all. */
const listChannels: ManagementHandler = (data, { host, access }) => {
  const vhost = optionalString(data, 'vhost');
  if (vhost !== undefined && !host.core.getVhost(vhost)) throw ManagementError.notFound();
  const ranges = statsRangesOf(data);
  const now = Date.now();
  return [...openConnections(host.allConnections(), vhost, access)].flatMap((connection) => channelsOf(host, connection, ranges, now));
};

/** The channels of one connection (RabbitMQ's `rabbit_mgmt_wm_connection_channels`: the connection's access rule). */
const connectionChannels: ManagementHandler = (data, { host, access }) => {
  const connection = connectionFor(host, stringField(data, 'name'), access, false);
  return channelsOf(host, connection, statsRangesOf(data), Date.now());
};

/**
 * One channel with its `consumer_details`. RabbitMQ also lists `publishes` per exchange and `deliveries` per queue;
 * Warren counts per channel only (a per-exchange map on the publish path would cost every message a lookup), so
 * both are empty lists here.
 */
const getChannel: ManagementHandler = (data, { host, access }) => {
  const { connection, channel } = channelFor(host, stringField(data, 'name'), access);
  return {
    ...jsonOfChannel(connection, channel),
    ...channelStatsJson(host.stats, channel, statsRangesOf(data), Date.now()),
    consumer_details: [...channel.allConsumers()].map((consumer) => jsonOfConsumer(connection, channel, consumer)),
    publishes: [],
    deliveries: [],
  };
};

/** Channel RPCs, by pattern. */
export const channelHandlers = {
  [ManagementPattern.ChannelsList]: listChannels,
  [ManagementPattern.ChannelsGet]: getChannel,
  [ManagementPattern.ConnectionsChannels]: connectionChannels,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
