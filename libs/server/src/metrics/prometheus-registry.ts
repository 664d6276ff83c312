import { readdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { MessageCounters } from '@app/broker-core';
import { Counter, Gauge, Registry } from 'prom-client';
import type { AlarmState } from '../resource-alarms.js';
import type { StatsSampler } from '../stats/stats-sampler.js';
import { readFdLimit } from '../net/socket-budget.js';
import type { ManagementHost } from '../management/management-host.js';
import { ChunkPool } from './chunk-pool.js';
import { ExpositionWriter, type ExpositionText, type WrittenText } from './exposition-writer.js';
import { clientConnections, createObjectFamilies } from './object-families.js';
import { GLOBAL_COUNTERS } from './rabbitmq-counters.js';
import { writeSeriesFamilies } from './series-metric.js';

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

/**
 * A scrape's text, lent: `release()` once nothing will read its chunks again (the response has finished writing
 * them), so that they can be reused; a text never released is left to the garbage collector.
 */
export interface ScrapeText extends ExpositionText {
  release(): void;
}

/** One endpoint's metrics: the text of a scrape and its content type. */
export interface MetricsRegistry {
  readonly contentType: string;
  render(): Promise<ScrapeText>;
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

  // Queue, channel and exchange metrics: written by series-metric.ts after prom-client's output (see there why).
  const objects = createObjectFamilies(host, perObject);

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

  const pool = new ChunkPool();

  /** One scrape: one snapshot of the counters and of the object lists (prom-client collects before serializing). */
  async function render(): Promise<WrittenText> {
    scrapeCounters = undefined;
    try {
      const writer = new ExpositionWriter(pool);
      writer.text((await registry.metrics()) + '\n');
      await writeSeriesFamilies(writer, objects.families);
      return writer.finish();
    } finally {
      scrapeCounters = undefined;
      objects.endScrape();
    }
  }

  // Scrapes that arrive while one is being written share its text (the snapshots above are per registry, and two
  // scrapers polling at once need not cost two renders); its chunks go back to the pool when every one has released it.
  let inFlight: { text: Promise<WrittenText>; users: number } | undefined;
  return {
    contentType: registry.contentType,
    async render() {
      if (inFlight === undefined) {
        const scrape = { text: render(), users: 0 };
        inFlight = scrape;
        void scrape.text.then(
          () => inFlight === scrape && (inFlight = undefined),
          () => inFlight === scrape && (inFlight = undefined),
        );
      }
      const scrape = inFlight;
      scrape.users++;
      const text = await scrape.text;
      let released = false;
      return {
        chunks: text.chunks,
        byteLength: text.byteLength,
        release() {
          if (released) return;
          released = true;
          if (--scrape.users === 0) pool.give(text.pooled);
        },
      };
    },
  };
}
