import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { startTestBroker, type TestBroker } from '@app/testing';
import amqplib, { type ChannelModel } from 'amqplib';
import { waitFor } from '../support/wait-for.js';

/** One metric family as parse-prometheus-text-format returns it. */
interface MetricFamily {
  name: string;
  type: string;
  metrics: Array<{ value: string; labels?: Record<string, string> }>;
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => MetricFamily[];

/** A port free right now (the broker's metrics port 0 means "off", so tests pick one). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// The broker's Prometheus endpoint, scraped over real HTTP and parsed by a Prometheus text-format parser, after known
// traffic from real amqplib clients.
describe('Prometheus /metrics on the broker', () => {
  let broker: TestBroker;
  let connection: ChannelModel;
  let baseUrl: string;

  beforeAll(async () => {
    // A port picked then freed can be taken meanwhile: try a few.
    for (let attempt = 0; !broker; attempt++) {
      const port = await freePort();
      try {
        broker = await startTestBroker({ config: { metricsPort: port, metricsHost: '127.0.0.1' } });
      } catch (error) {
        if (attempt >= 4) throw error;
      }
    }
    baseUrl = `http://127.0.0.1:${broker.broker.metricsPort}`;
    connection = await amqplib.connect(broker.url);
  }, 60_000);

  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    await broker?.close();
  });

  /** Scrapes and parses; `encoding` is the Accept-Encoding sent (fetch's own default asks for gzip). */
  async function scrape(path = '/metrics', encoding = 'gzip, deflate'): Promise<Map<string, MetricFamily>> {
    const response = await fetch(baseUrl + path, { headers: { 'accept-encoding': encoding } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    if (encoding === 'identity') {
      expect(response.headers.get('content-encoding')).toBeNull();
      expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    } else {
      expect(response.headers.get('content-encoding')).toBe('gzip');
    }
    return new Map(parsePrometheus(text).map((family) => [family.name, family]));
  }

  /** The value of an unlabelled (or single-series) metric. */
  function value(families: Map<string, MetricFamily>, name: string, labels?: Record<string, string>): number {
    const family = families.get(name);
    if (!family) throw new Error(`no metric ${name}`);
    const series = labels
      ? family.metrics.find((metric) => Object.entries(labels).every(([key, wanted]) => metric.labels?.[key] === wanted))
      : family.metrics[0];
    if (!series) throw new Error(`no series of ${name} with ${JSON.stringify(labels)}`);
    return Number(series.value);
  }

  it('exposes RabbitMQ metric names that follow a known publish, deliver and ack sequence', async () => {
    const before = await scrape();
    for (const name of [
      'rabbitmq_identity_info',
      'rabbitmq_build_info',
      'rabbitmq_connections',
      'rabbitmq_channels',
      'rabbitmq_consumers',
      'rabbitmq_queues',
      'rabbitmq_queue_messages_ready',
      'rabbitmq_queue_messages_unacked',
      'rabbitmq_queue_messages',
      'rabbitmq_queue_consumers',
      'rabbitmq_global_messages_received_total',
      'rabbitmq_global_messages_confirmed_total',
      'rabbitmq_global_messages_routed_total',
      'rabbitmq_global_messages_unroutable_dropped_total',
      'rabbitmq_global_messages_unroutable_returned_total',
      'rabbitmq_global_messages_delivered_total',
      'rabbitmq_global_messages_acknowledged_total',
      'rabbitmq_global_messages_redelivered_total',
      'rabbitmq_process_resident_memory_bytes',
      'rabbitmq_disk_space_available_bytes',
      'rabbitmq_alarms_memory_used_watermark',
      'rabbitmq_alarms_free_disk_space_watermark',
      'rabbitmq_alarms_file_descriptor_limit',
      'rabbitmq_connections_opened_total',
      'rabbitmq_channels_closed_total',
      'rabbitmq_process_open_fds',
      'rabbitmq_resident_memory_limit_bytes',
    ]) {
      expect([name, before.has(name)]).toEqual([name, true]);
    }
    expect(before.get('rabbitmq_global_messages_received_total')!.type).toBe('COUNTER');
    expect(before.get('rabbitmq_queue_messages_ready')!.type).toBe('GAUGE');
    expect(value(before, 'rabbitmq_global_messages_received_total', { protocol: 'amqp091' })).toBe(0);
    expect(value(before, 'rabbitmq_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value(before, 'rabbitmq_identity_info')).toBe(1);

    const publisher = await connection.createConfirmChannel();
    await publisher.assertQueue('metrics.work', { durable: false });
    for (let i = 0; i < 10; i++) publisher.sendToQueue('metrics.work', Buffer.from(`job ${i}`));
    publisher.publish('amq.direct', 'nowhere', Buffer.from('lost'));
    publisher.publish('amq.direct', 'nowhere', Buffer.from('back'), { mandatory: true });
    await publisher.waitForConfirms();
    await broker.waitForQueue('metrics.work', { messages: 10 });

    const queued = await scrape();
    expect(value(queued, 'rabbitmq_global_messages_received_total')).toBe(12);
    expect(value(queued, 'rabbitmq_global_messages_confirmed_total')).toBe(12);
    expect(value(queued, 'rabbitmq_global_messages_routed_total')).toBe(10);
    expect(value(queued, 'rabbitmq_global_messages_unroutable_dropped_total')).toBe(1);
    expect(value(queued, 'rabbitmq_global_messages_unroutable_returned_total')).toBe(1);
    expect(value(queued, 'rabbitmq_queue_messages_ready')).toBe(10);
    expect(value(queued, 'rabbitmq_queues')).toBe(1);
    expect(value(queued, 'rabbitmq_connections')).toBe(1);

    // 7 delivered (prefetch), 4 acked after a cancel (so no more come), 3 left unacked.
    const consumer = await connection.createChannel();
    await consumer.prefetch(7);
    const deliveries: amqplib.ConsumeMessage[] = [];
    const { consumerTag } = await consumer.consume('metrics.work', (message) => message && deliveries.push(message));
    await waitFor(() => deliveries.length === 7, { what: '7 deliveries' });
    const counting = await scrape();
    expect(value(counting, 'rabbitmq_queue_consumers')).toBe(1);
    expect(value(counting, 'rabbitmq_consumers')).toBe(1);
    await consumer.cancel(consumerTag);
    for (const message of deliveries.slice(0, 4)) consumer.ack(message);
    await broker.waitForQueue('metrics.work', { unacked: 3 });

    const consuming = await scrape();
    expect(value(consuming, 'rabbitmq_global_messages_delivered_total')).toBe(7);
    expect(value(consuming, 'rabbitmq_global_messages_acknowledged_total')).toBe(4);
    expect(value(consuming, 'rabbitmq_queue_messages_ready')).toBe(3);
    expect(value(consuming, 'rabbitmq_queue_messages_unacked')).toBe(3);
    expect(value(consuming, 'rabbitmq_queue_messages')).toBe(6);
    expect(value(consuming, 'rabbitmq_channels')).toBe(2);

    // Closing the channel requeues the 3 unacked: redelivered next time; totals never go down.
    await consumer.close();
    const redeliver = await connection.createChannel();
    const again = await redeliver.get('metrics.work', { noAck: true });
    expect(again && again.fields.redelivered).toBe(true);
    await redeliver.close();
    const after = await scrape();
    expect(value(after, 'rabbitmq_global_messages_redelivered_total')).toBe(1);
    expect(value(after, 'rabbitmq_global_messages_delivered_total')).toBe(8);
    expect(value(after, 'rabbitmq_global_messages_acknowledged_total')).toBe(4);
    // Churn: this connection's publisher, consumer and get channels; only the publisher is still open.
    expect(value(after, 'rabbitmq_connections_opened_total')).toBe(1);
    expect(value(after, 'rabbitmq_connections_closed_total')).toBe(0);
    expect(value(after, 'rabbitmq_channels_opened_total')).toBe(3);
    expect(value(after, 'rabbitmq_channels_closed_total')).toBe(2);
    expect(value(after, 'rabbitmq_process_open_fds')).toBeGreaterThan(0);
    await publisher.close();
  });

  it('labels queue and exchange metrics per object under /metrics/per-object', async () => {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue('metrics.a', { durable: false });
    await channel.assertQueue('metrics.b', { durable: false });
    channel.sendToQueue('metrics.a', Buffer.from('1'));
    channel.sendToQueue('metrics.a', Buffer.from('2'));
    channel.sendToQueue('metrics.b', Buffer.from('3'));
    await channel.waitForConfirms();
    const families = await scrape('/metrics/per-object');
    expect(value(families, 'rabbitmq_queue_messages_ready', { vhost: '/', queue: 'metrics.a' })).toBe(2);
    expect(value(families, 'rabbitmq_queue_messages_ready', { vhost: '/', queue: 'metrics.b' })).toBe(1);
    expect(value(families, 'rabbitmq_exchange_messages_published_in_total', { vhost: '/', exchange: 'amq.direct' })).toBe(2);
    // Aggregated: one unlabelled series.
    const aggregated = await scrape();
    expect(aggregated.get('rabbitmq_queue_messages_ready')!.metrics).toHaveLength(1);
    expect(aggregated.get('rabbitmq_queue_messages_ready')!.metrics[0].labels ?? {}).toEqual({});
    await channel.close();
  });

  it('labels odd queue names escaped, as the parser reads them back, and drops a deleted queue', async () => {
    const names = ['odd "quoted"', 'back\\slash\\', 'line\nfeed', 'ünïcødé 🐇 {x="y"}, z'];
    const channel = await connection.createConfirmChannel();
    for (const name of names) await channel.assertQueue(name, { durable: false });
    names.forEach((name, index) => {
      for (let i = 0; i <= index; i++) channel.sendToQueue(name, Buffer.from('x'));
    });
    await channel.waitForConfirms();
    for (const encoding of ['identity', 'gzip']) {
      const families = await scrape('/metrics/per-object', encoding);
      names.forEach((name, index) => {
        expect([name, value(families, 'rabbitmq_queue_messages_ready', { vhost: '/', queue: name })]).toEqual([name, index + 1]);
        expect([name, value(families, 'rabbitmq_queue_messages_published_total', { vhost: '/', queue: name })]).toEqual([name, index + 1]);
      });
    }

    await channel.deleteQueue(names[0]);
    await channel.assertQueue('metrics.later', { durable: false });
    const after = await scrape('/metrics/per-object', 'identity');
    const queuesOf = (name: string): string[] => after.get(name)!.metrics.map((metric) => metric.labels!.queue);
    for (const family of ['rabbitmq_queue_messages_ready', 'rabbitmq_queue_messages', 'rabbitmq_queue_consumers']) {
      expect(queuesOf(family)).not.toContain(names[0]);
      expect(queuesOf(family)).toEqual(expect.arrayContaining([...names.slice(1), 'metrics.later']));
    }
    expect(value(after, 'rabbitmq_queue_messages_ready', { vhost: '/', queue: 'metrics.later' })).toBe(0);
    for (const name of names.slice(1)) await channel.deleteQueue(name);
    await channel.deleteQueue('metrics.later');
    await channel.close();
  });

  it('answers concurrent scrapes of both endpoints, each with its own families, and HEAD without a body', async () => {
    const paths = ['/metrics/per-object', '/metrics', '/metrics/per-object', '/metrics/per-object', '/metrics'];
    const texts = await Promise.all(
      paths.map((path) => fetch(baseUrl + path, { headers: { 'accept-encoding': 'identity' } }).then((response) => response.text())),
    );
    for (const [index, text] of texts.entries()) {
      const families = new Map(parsePrometheus(text).map((family) => [family.name, family]));
      expect(families.has('rabbitmq_queue_messages_ready')).toBe(true);
      expect(families.has('rabbitmq_exchange_messages_published_in_total')).toBe(paths[index] === '/metrics/per-object');
    }
    // Nothing moves meanwhile: every per-object scrape has the same queue lines, including the next one, written into
    // the chunks the earlier ones gave back.
    const queueLines = (text: string): string =>
      text
        .split('\n')
        .filter((line) => line.startsWith('rabbitmq_queue_'))
        .join('\n');
    const next = await fetch(`${baseUrl}/metrics/per-object`, { headers: { 'accept-encoding': 'identity' } }).then((response) =>
      response.text(),
    );
    expect(queueLines(next)).toContain('rabbitmq_queue_messages_ready{vhost="/",queue="metrics.a"} 2');
    for (const index of [0, 2, 3]) expect(queueLines(texts[index])).toBe(queueLines(next));
    const head = await fetch(`${baseUrl}/metrics/per-object`, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
    expect(await head.text()).toBe('');
  });

  it('answers 404 elsewhere and 405 to other methods', async () => {
    expect((await fetch(`${baseUrl}/`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses to start on a busy metrics port, naming the setting', async () => {
    await expect(startTestBroker({ config: { metricsPort: broker.broker.metricsPort!, metricsHost: '127.0.0.1' } })).rejects.toThrow(
      /WARREN_METRICS_PORT .*address already in use/,
    );
  });

  it('has no metrics listener with port 0', async () => {
    const port = await freePort();
    const off = await startTestBroker({ config: { metricsPort: 0 } });
    try {
      expect(off.broker.metricsPort).toBeUndefined();
      await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    } finally {
      await off.close();
    }
  });
});
