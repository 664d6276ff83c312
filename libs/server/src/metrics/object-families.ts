import type { MessageCounters, Queue } from '@app/broker-core';
import type { Exchange } from '@app/routing';
import type { AmqpConnection } from '../connection/connection.js';
import type { Channel } from '../connection/channel.js';
import type { ManagementHost } from '../management/management-host.js';
import { CHANNEL_COUNTERS } from './rabbitmq-counters.js';
import { ScrapeObjects } from './scrape-objects.js';
import type { SeriesFamily } from './series-metric.js';

/** Open client connections (not the admin API's management connection, not ones closing before their vhost). */
export function* clientConnections(host: ManagementHost): Generator<AmqpConnection> {
  for (const connection of host.allConnections()) {
    if (connection.state !== 'closed' && connection.vhost && !connection.isManagement) yield connection;
  }
}

const QUEUE_GAUGES: ReadonlyArray<readonly [name: string, help: string, read: (queue: Queue) => number]> = [
  ['rabbitmq_queue_messages_ready', 'Messages ready to be delivered to consumers', (q) => q.reportedReadyCount],
  [
    'rabbitmq_queue_messages_unacked',
    'Messages delivered to consumers but not yet acknowledged',
    (q) => q.reportedTotalCount - q.reportedReadyCount,
  ],
  ['rabbitmq_queue_messages', 'Sum of ready and unacknowledged messages - total queue depth', (q) => q.reportedTotalCount],
  ['rabbitmq_queue_messages_ready_bytes', 'Size in bytes of ready messages', (q) => q.messageBytes],
  ['rabbitmq_queue_consumers', 'Consumers on a queue', (q) => q.consumerCount],
  ['rabbitmq_queue_messages_published_total', 'Total number of messages published to queues', (q) => q.stats.publish],
];

/** Warren's own per-exchange counters (RabbitMQ's `publish_in` / `publish_out` of the management API). */
const EXCHANGE_COUNTERS: ReadonlyArray<readonly [name: string, help: string, read: (exchange: Exchange<Queue>) => number]> = [
  ['rabbitmq_exchange_messages_published_in_total', 'Total number of messages published to an exchange', (e) => e.publishIn],
  [
    'rabbitmq_exchange_messages_published_out_total',
    'Total number of messages an exchange routed to at least one queue',
    (e) => e.publishOut,
  ],
];

/** The queue, channel and exchange families of one endpoint, and the end of a scrape. */
export interface ObjectFamilies {
  readonly families: readonly SeriesFamily[];
  /** Forgets the scrape's object lists (called when a scrape is written). */
  endScrape(): void;
}

/**
 * Queue, channel and exchange metrics: one series per object on `/metrics/per-object` (queues labelled `vhost`,
 * `queue`; channels `channel`; exchanges `vhost`, `exchange`), one unlabelled sum per metric on `/metrics` (no
 * exchange metrics there, as RabbitMQ's aggregated output has none).
 */
export function createObjectFamilies(host: ManagementHost, perObject: boolean): ObjectFamilies {
  const queues = new ScrapeObjects<Queue>(
    (add) => {
      for (const vhost of host.core.allVhosts()) for (const queue of vhost.allQueues()) add(queue, '');
    },
    perObject ? (queue) => ['vhost', queue.vhost, 'queue', queue.name] : undefined,
  );
  const channels = new ScrapeObjects<Channel>(
    (add) => {
      for (const connection of clientConnections(host)) for (const channel of connection.allChannels()) add(channel, connection.name);
    },
    perObject ? (channel, connectionName) => ['channel', `${connectionName} (${channel.id})`] : undefined,
  );
  const exchanges = new ScrapeObjects<Exchange<Queue>>(
    (add) => {
      for (const vhost of host.core.allVhosts()) for (const exchange of vhost.topology.exchanges()) add(exchange, vhost.name);
    },
    perObject ? (exchange, vhostName) => ['vhost', vhostName, 'exchange', exchange.name] : undefined,
  );

  /** A family over one kind of objects: per object, or their sum. */
  function family<T extends object>(
    objects: ScrapeObjects<T>,
    name: string,
    help: string,
    type: SeriesFamily['type'],
    read: (object: T) => number,
  ): SeriesFamily {
    return {
      name,
      help,
      type,
      collect(sample) {
        const listed = objects.objects();
        if (perObject) {
          const labels = objects.labelSets();
          for (let i = 0; i < listed.length; i++) sample(labels[i], read(listed[i]));
        } else {
          let sum = 0;
          for (let i = 0; i < listed.length; i++) sum += read(listed[i]);
          sample(undefined, sum);
        }
      },
    };
  }

  const families: SeriesFamily[] = [];
  // The one cumulative queue series is a counter; the rest are levels.
  for (const [name, help, read] of QUEUE_GAUGES)
    families.push(family(queues, name, help, name.endsWith('_total') ? 'counter' : 'gauge', read));
  const channelStats = (read: (counters: MessageCounters) => number) => (channel: Channel) => read(channel.stats);
  for (const [name, help, read] of CHANNEL_COUNTERS) families.push(family(channels, name, help, 'counter', channelStats(read)));
  if (perObject) for (const [name, help, read] of EXCHANGE_COUNTERS) families.push(family(exchanges, name, help, 'counter', read));

  return {
    families,
    endScrape() {
      queues.clear();
      channels.clear();
      exchanges.clear();
    },
  };
}
