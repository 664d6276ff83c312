import { readdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { MessageCounters, Queue } from '@app/broker-core';
import type { Exchange } from '@app/routing';
import { Counter, Gauge, Registry } from 'prom-client';
import type { AmqpConnection } from '../connection/connection.js';
import type { AlarmState } from '../resource-alarms.js';
import type { StatsSampler } from '../stats/stats-sampler.js';
import { readFdLimit } from '../net/socket-budget.js';
import type { ManagementHost } from '../management/management-host.js';
import { labelText, renderSeriesFamilies, type SeriesFamily } from './series-metric.js';

// RabbitMQ's Prometheus plugin (rabbitmq_prometheus) names, so its published Grafana dashboards work: aggregated
// metrics without object labels on /metrics, the same metrics per queue, exchange and channel on /metrics/per-object.
// Every value is read when scraped (prom-client `collect`), never counted on the message path.

/** What the metrics read from the running broker: WarrenBroker satisfies it. */
export interface MetricsHost extends ManagementHost {
  readonly stats: StatsSampler;
  readonly alarmState: Readonly<AlarmState>;
  /** The memory alarm's threshold in bytes. */
  readonly memoryLimitBytes: number;
  readonly diskFreeLimitBytes: number;
  /** Where free disk space is measured (the data directory; the working directory for an in-memory broker). */
  readonly diskPath: string;
}

const PROTOCOL = { protocol: 'amqp091' };

/** Global counters: RabbitMQ's `rabbitmq_global_messages_*_total`, from the broker's message counters. */
const GLOBAL_COUNTERS: ReadonlyArray<readonly [string, string, (c: MessageCounters) => number]> = [
  ['rabbitmq_global_messages_received_total', 'Total number of messages received from publishers', (c) => c.publish],
  ['rabbitmq_global_messages_confirmed_total', 'Total number of messages confirmed to publishers', (c) => c.confirm],
  [
    'rabbitmq_global_messages_routed_total',
    'Total number of messages routed to queues or streams',
    (c) => c.publish - c.returnUnroutable - c.dropUnroutable,
  ],
  [
    'rabbitmq_global_messages_unroutable_dropped_total',
    'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
    (c) => c.dropUnroutable,
  ],
  [
    'rabbitmq_global_messages_unroutable_returned_total',
    'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
    (c) => c.returnUnroutable,
  ],
  [
    'rabbitmq_global_messages_delivered_total',
    'Total number of messages delivered to consumers',
    (c) => c.deliver + c.deliverNoAck + c.get + c.getNoAck,
  ],
  [
    'rabbitmq_global_messages_delivered_consume_manual_ack_total',
    'Total number of messages delivered to consumers using manual acknowledgement mode',
    (c) => c.deliver,
  ],
  [
    'rabbitmq_global_messages_delivered_consume_auto_ack_total',
    'Total number of messages delivered to consumers using automatic acknowledgement mode',
    (c) => c.deliverNoAck,
  ],
  [
    'rabbitmq_global_messages_delivered_get_manual_ack_total',
    'Total number of messages delivered to consumers using basic.get with manual acknowledgement mode',
    (c) => c.get,
  ],
  [
    'rabbitmq_global_messages_delivered_get_auto_ack_total',
    'Total number of messages delivered to consumers using basic.get with automatic acknowledgement mode',
    (c) => c.getNoAck,
  ],
  ['rabbitmq_global_messages_get_empty_total', 'Total number of times basic.get operations fetched no message', (c) => c.getEmpty],
  ['rabbitmq_global_messages_redelivered_total', 'Total number of messages redelivered to consumers', (c) => c.redeliver],
  ['rabbitmq_global_messages_acknowledged_total', 'Total number of messages acknowledged by consumers', (c) => c.ack],
];

/** Per-channel counters: RabbitMQ's `rabbitmq_channel_*` (summed over open channels on /metrics). */
const CHANNEL_COUNTERS: ReadonlyArray<readonly [string, string, (c: MessageCounters) => number]> = [
  ['rabbitmq_channel_messages_published_total', 'Total number of messages published into an exchange on a channel', (c) => c.publish],
  [
    'rabbitmq_channel_messages_confirmed_total',
    'Total number of messages published into an exchange and confirmed on the channel',
    (c) => c.confirm,
  ],
  [
    'rabbitmq_channel_messages_unroutable_returned_total',
    'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
    (c) => c.returnUnroutable,
  ],
  [
    'rabbitmq_channel_messages_unroutable_dropped_total',
    'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
    (c) => c.dropUnroutable,
  ],
  [
    'rabbitmq_channel_messages_delivered_ack_total',
    'Total number of messages delivered to consumers in manual acknowledgement mode',
    (c) => c.deliver,
  ],
  [
    'rabbitmq_channel_messages_delivered_total',
    'Total number of messages delivered to consumers in automatic acknowledgement mode',
    (c) => c.deliverNoAck,
  ],
  ['rabbitmq_channel_messages_redelivered_total', 'Total number of messages redelivered to consumers', (c) => c.redeliver],
  ['rabbitmq_channel_messages_acked_total', 'Total number of messages acknowledged by consumers', (c) => c.ack],
  ['rabbitmq_channel_get_ack_total', 'Total number of messages fetched with basic.get in manual acknowledgement mode', (c) => c.get],
  ['rabbitmq_channel_get_total', 'Total number of messages fetched with basic.get in automatic acknowledgement mode', (c) => c.getNoAck],
  ['rabbitmq_channel_get_empty_total', 'Total number of times basic.get operations fetched no message', (c) => c.getEmpty],
];

function* clientConnections(host: MetricsHost): Generator<AmqpConnection> {
  for (const connection of host.allConnections()) {
    if (connection.state !== 'closed' && connection.vhost && !connection.isManagement) yield connection;
  }
}

/** One endpoint's metrics: the text of a scrape and its content type. */
export interface MetricsRegistry {
  readonly contentType: string;
  render(): Promise<string>;
}

/**
 * The registry behind `/metrics` (`perObject` false: one unlabelled series per metric, summed over objects) or
 * `/metrics/per-object` (queue metrics labelled `vhost`, `queue`; exchange metrics `vhost`, `exchange`; channel
 * metrics `channel`).
 */
export function createMetricsRegistry(host: MetricsHost, perObject: boolean): MetricsRegistry {
  const registry = new Registry();
  const registers = [registry];
  const node = `warren@${hostname()}`;

  new Gauge({
    name: 'rabbitmq_identity_info',
    help: 'RabbitMQ node & cluster identity info',
    labelNames: ['rabbitmq_node', 'rabbitmq_cluster', 'rabbitmq_cluster_permanent_id'],
    registers,
    collect() {
      this.set({ rabbitmq_node: node, rabbitmq_cluster: node, rabbitmq_cluster_permanent_id: `warren-${node}` }, 1);
    },
  });
  new Gauge({
    name: 'rabbitmq_build_info',
    help: 'RabbitMQ & Erlang/OTP version info',
    labelNames: ['rabbitmq_version', 'product_name', 'product_version', 'node_version'],
    registers,
    collect() {
      this.set({ rabbitmq_version: '3.13.0', product_name: 'Warren', product_version: '0.1.0', node_version: process.version }, 1);
    },
  });

  // Object totals.
  const objectGauge = (name: string, help: string, count: () => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(count());
      },
    });
  };
  objectGauge('rabbitmq_connections', 'Connections currently open', () => [...clientConnections(host)].length);
  objectGauge('rabbitmq_channels', 'Channels currently open', () => {
    let channels = 0;
    for (const connection of clientConnections(host)) for (const _ of connection.allChannels()) channels++;
    return channels;
  });
  objectGauge('rabbitmq_consumers', 'Consumers currently connected', () => {
    let consumers = 0;
    for (const vhost of host.core.allVhosts()) for (const queue of vhost.allQueues()) consumers += queue.consumerCount;
    return consumers;
  });
  objectGauge('rabbitmq_queues', 'Queues available', () => {
    let queues = 0;
    for (const vhost of host.core.allVhosts()) for (const _ of vhost.allQueues()) queues++;
    return queues;
  });

  // Churn.
  const churnCounter = (name: string, help: string, read: (churn: ReturnType<StatsSampler['churn']>) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(host.stats.churn()));
      },
    });
  };
  churnCounter('rabbitmq_connections_opened_total', 'Total number of connections opened', (churn) => churn.connectionsOpened);
  churnCounter('rabbitmq_connections_closed_total', 'Total number of connections closed or terminated', (churn) => churn.connectionsClosed);
  churnCounter('rabbitmq_channels_opened_total', 'Total number of channels opened', (churn) => churn.channelsOpened);
  churnCounter('rabbitmq_channels_closed_total', 'Total number of channels closed', (churn) => churn.channelsClosed);

  // Global message counters.
  let scrapeCounters: MessageCounters | undefined;
  const totals = (): MessageCounters => (scrapeCounters ??= host.stats.countersByVhost().total);
  for (const [name, help, read] of GLOBAL_COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ['protocol'],
      registers,
      collect() {
        this.reset();
        this.inc(PROTOCOL, read(totals()));
      },
    });
  }

  // Queue, channel and exchange metrics: one series per object on /metrics/per-object, rendered by series-metric.ts.
  const families: SeriesFamily[] = [];
  // A queue's labels are rendered once, not per metric and scrape (a queue's name and vhost never change).
  const queueLabels = new WeakMap<Queue, string>();
  const labelsOf = (queue: Queue): string => {
    let labels = queueLabels.get(queue);
    if (labels === undefined) queueLabels.set(queue, (labels = labelText(['vhost', queue.vhost, 'queue', queue.name])));
    return labels;
  };
  const queueGauges: ReadonlyArray<readonly [string, string, (q: Queue) => number]> = [
    ['rabbitmq_queue_messages_ready', 'Messages ready to be delivered to consumers', (q) => q.messageCount],
    ['rabbitmq_queue_messages_unacked', 'Messages delivered to consumers but not yet acknowledged', (q) => q.unackedCount],
    ['rabbitmq_queue_messages', 'Sum of ready and unacknowledged messages - total queue depth', (q) => q.messageCount + q.unackedCount],
    ['rabbitmq_queue_messages_ready_bytes', 'Size in bytes of ready messages', (q) => q.messageBytes],
    ['rabbitmq_queue_consumers', 'Consumers on a queue', (q) => q.consumerCount],
    ['rabbitmq_queue_messages_published_total', 'Total number of messages published to queues', (q) => q.stats.publish],
  ];
  for (const [name, help, read] of queueGauges) {
    families.push({
      name,
      help,
      // The one cumulative queue series is a counter; the rest are levels.
      type: name.endsWith('_total') ? 'counter' : 'gauge',
      collect(emit) {
        let sum = 0;
        for (const vhost of host.core.allVhosts()) {
          for (const queue of vhost.allQueues()) {
            if (perObject) emit(labelsOf(queue), read(queue));
            else sum += read(queue);
          }
        }
        if (!perObject) emit('', sum);
      },
    });
  }
  for (const [name, help, read] of CHANNEL_COUNTERS) {
    families.push({
      name,
      help,
      type: 'counter',
      collect(emit) {
        let sum = 0;
        for (const connection of clientConnections(host)) {
          for (const channel of connection.allChannels()) {
            if (perObject) emit(labelText(['channel', `${connection.name} (${channel.id})`]), read(channel.stats));
            else sum += read(channel.stats);
          }
        }
        if (!perObject) emit('', sum);
      },
    });
  }
  if (perObject) {
    // Warren's own per-exchange counters (RabbitMQ's `publish_in` / `publish_out` of the management API).
    const exchangeCounters: ReadonlyArray<readonly [string, string, (exchange: Exchange<Queue>) => number]> = [
      ['rabbitmq_exchange_messages_published_in_total', 'Total number of messages published to an exchange', (e) => e.publishIn],
      [
        'rabbitmq_exchange_messages_published_out_total',
        'Total number of messages an exchange routed to at least one queue',
        (e) => e.publishOut,
      ],
    ];
    for (const [name, help, read] of exchangeCounters) {
      families.push({
        name,
        help,
        type: 'counter',
        collect(emit) {
          for (const vhost of host.core.allVhosts()) {
            for (const exchange of vhost.topology.exchanges())
              emit(labelText(['vhost', vhost.name, 'exchange', exchange.name]), read(exchange));
          }
        },
      });
    }
  }

  // Node resources and alarms.
  new Gauge({
    name: 'rabbitmq_process_resident_memory_bytes',
    help: 'Memory used in bytes',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: 'rabbitmq_process_open_fds',
    help: 'Open file descriptors',
    registers,
    collect() {
      try {
        this.set(readdirSync('/proc/self/fd').length);
      } catch {
        // No /proc (not Linux): no sample.
        this.reset();
      }
    },
  });
  const maxFds = readFdLimit();
  if (maxFds !== undefined) {
    new Gauge({
      name: 'rabbitmq_process_max_fds',
      help: 'Open file descriptors limit',
      registers,
      collect() {
        this.set(maxFds);
      },
    });
  }
  new Gauge({
    name: 'rabbitmq_resident_memory_limit_bytes',
    help: 'Memory high watermark in bytes',
    registers,
    collect() {
      this.set(host.memoryLimitBytes);
    },
  });
  new Gauge({
    name: 'rabbitmq_disk_space_available_bytes',
    help: 'Disk space available in bytes',
    registers,
    async collect() {
      try {
        const stats = await statfs(host.diskPath);
        this.set(stats.bavail * stats.bsize);
      } catch {
        // The platform cannot tell: no sample rather than a false one.
        this.reset();
      }
    },
  });
  new Gauge({
    name: 'rabbitmq_disk_space_available_limit_bytes',
    help: 'Free disk space low watermark in bytes',
    registers,
    collect() {
      this.set(host.diskFreeLimitBytes);
    },
  });
  const alarm = (name: string, help: string, read: () => boolean): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read() ? 1 : 0);
      },
    });
  };
  alarm('rabbitmq_alarms_memory_used_watermark', 'is 1 if VM memory watermark alarm is in effect', () => host.alarmState.memory);
  alarm('rabbitmq_alarms_free_disk_space_watermark', 'is 1 if free disk space watermark alarm is in effect', () => host.alarmState.disk);
  alarm('rabbitmq_alarms_file_descriptor_limit', 'is 1 if file descriptor limit alarm is in effect', () => false);

  return {
    contentType: registry.contentType,
    // One snapshot of the counters per scrape: prom-client collects every metric before serializing.
    async render() {
      scrapeCounters = undefined;
      try {
        return (await registry.metrics()) + '\n' + renderSeriesFamilies(families);
      } finally {
        scrapeCounters = undefined;
      }
    },
  };
}
