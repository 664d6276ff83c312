import { startTestBroker, type TestBroker } from '@app/testing';
import amqplib, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { waitFor } from '../support/wait-for.js';
import { startAdminApi, type AdminApi } from './support/admin-stack.js';

// RabbitMQ's `message_stats` and `*_details` over the real admin API, from traffic of real amqplib clients. The broker
// samples every 100 ms (`statsIntervalMs`), so rates appear within a few hundred ms.
describe('admin API: message rates (message_stats)', () => {
  let broker: TestBroker;
  let admin: AdminApi;
  let connection: ChannelModel;

  beforeAll(async () => {
    broker = await startTestBroker({ config: { statsIntervalMs: 100 } });
    admin = await startAdminApi(broker.managementUrl);
    connection = await amqplib.connect(broker.url);
  }, 120_000);

  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    await admin?.stop();
    await broker?.close();
  }, 60_000);

  async function get(path: string): Promise<any> {
    const response = await admin.api('GET', path);
    expect(response.status).toBe(200);
    return response.body;
  }

  /** Publishes to `queue` every 10 ms until `condition` holds (rates need traffic across two samples). */
  async function publishUntil(channel: ConfirmChannel, queue: string, condition: () => Promise<boolean>, what: string): Promise<number> {
    let published = 0;
    let isDone = false;
    const timer = setInterval(() => {
      if (!isDone) {
        channel.sendToQueue(queue, Buffer.from('tick'));
        published++;
      }
    }, 10);
    try {
      await waitFor(condition, { timeoutMs: 20_000, what });
    } finally {
      isDone = true;
      clearInterval(timer);
    }
    await channel.waitForConfirms();
    return published;
  }

  it('counts publishes, confirms, unroutables, deliveries, gets and acks per queue, exchange, channel, connection and vhost', async () => {
    const publisher = await connection.createConfirmChannel();
    await publisher.assertQueue('stats.counted', { durable: false });
    for (let i = 0; i < 20; i++) publisher.sendToQueue('stats.counted', Buffer.from(`m${i}`));
    for (let i = 0; i < 3; i++) publisher.publish('amq.direct', 'nowhere', Buffer.from('returned'), { mandatory: true });
    for (let i = 0; i < 2; i++) publisher.publish('amq.direct', 'nowhere', Buffer.from('dropped'));
    await publisher.waitForConfirms();

    // Prefetch 15, nothing acked until the consumer is cancelled: exactly 15 deliveries; 10 acked, 5 requeued on close.
    const consumer = await connection.createChannel();
    await consumer.prefetch(15);
    const deliveries: amqplib.ConsumeMessage[] = [];
    const { consumerTag } = await consumer.consume('stats.counted', (message) => message && deliveries.push(message));
    await waitFor(() => deliveries.length === 15, { what: '15 deliveries' });
    await consumer.cancel(consumerTag);
    for (const message of deliveries.slice(0, 10)) consumer.ack(message);
    await consumer.close();
    await broker.waitForQueue('stats.counted', { consumers: 0, unacked: 0, messages: 10 });
    const getter = await connection.createChannel();
    const got = await getter.get('stats.counted', { noAck: true });
    expect(got && got.fields.redelivered).toBe(true);
    await getter.get('stats.counted', { noAck: false }).then((message) => message && getter.ack(message));
    await getter.close();

    const queue = await get('/api/queues/%2F/stats.counted');
    expect(queue.message_stats).toMatchObject({
      publish: 20,
      deliver: 15,
      deliver_no_ack: 0,
      ack: 11,
      get_no_ack: 1,
      get: 1,
      deliver_get: 17,
      publish_details: { rate: expect.any(Number) },
      ack_details: { rate: expect.any(Number) },
    });
    expect(queue.message_stats.redeliver).toBeGreaterThanOrEqual(1);
    expect(queue.messages_details).toEqual({ rate: expect.any(Number) });
    expect(queue.messages_ready_details).toEqual({ rate: expect.any(Number) });
    expect(queue.messages_unacknowledged_details).toEqual({ rate: expect.any(Number) });
    expect(queue.messages).toBe(8);

    const exchange = await get('/api/exchanges/%2F/amq.direct');
    expect(exchange.message_stats).toMatchObject({ publish_in: 5, publish_out: 0, publish_in_details: { rate: expect.any(Number) } });
    expect((await get('/api/exchanges/%2F/amq.default')).message_stats).toMatchObject({ publish_in: 20, publish_out: 20 });

    // The admin API's own connection (on the management listener) is listed too: look at the client's.
    const [client] = (await get('/api/connections')).filter((candidate: any) => candidate.port === broker.port);
    const channels = (await get('/api/channels')).filter((candidate: any) => candidate.connection_details.name === client.name);
    const [channel] = channels.filter((candidate: any) => candidate.confirm);
    expect(channel.message_stats).toMatchObject({ publish: 25, confirm: 25, return_unroutable: 3, drop_unroutable: 2 });
    // The closed consumer and getter channels still count in their connection.
    expect(client.message_stats).toMatchObject({ publish: 25, confirm: 25, deliver: 15, ack: 11, get: 1, get_no_ack: 1 });
    const vhost = await get('/api/vhosts/%2F');
    expect(vhost.message_stats).toMatchObject({ publish: 25, return_unroutable: 3, drop_unroutable: 2, deliver_get: 17 });
    expect(vhost.messages_details).toEqual({ rate: expect.any(Number) });

    const overview = await get('/api/overview');
    expect(overview.message_stats).toMatchObject({ publish: 25, confirm: 25, ack: 11, publish_details: { rate: expect.any(Number) } });
    expect(overview.queue_totals).toMatchObject({ messages: 8, messages_details: { rate: expect.any(Number) } });
    expect(overview.object_totals).toMatchObject({ queues: 1 });
    await publisher.close();
  });

  it('shows a non-zero publish rate while messages flow, on the queue and in the overview', async () => {
    const publisher = await connection.createConfirmChannel();
    await publisher.assertQueue('stats.rate', { durable: false });
    await publishUntil(
      publisher,
      'stats.rate',
      async () => {
        const [queue, overview] = await Promise.all([get('/api/queues/%2F/stats.rate'), get('/api/overview')]);
        return queue.message_stats.publish_details.rate > 0 && overview.message_stats.publish_details.rate > 0;
      },
      'publish rates above 0',
    );
    await publisher.close();
  });

  it('lists samples, averages and average rates for lengths_age/lengths_incr and msg_rates_age/msg_rates_incr', async () => {
    const publisher = await connection.createConfirmChannel();
    await publisher.assertQueue('stats.samples', { durable: false });
    const query = '?lengths_age=60&lengths_incr=1&msg_rates_age=60&msg_rates_incr=1';
    let queue: any;
    await publishUntil(
      publisher,
      'stats.samples',
      async () => {
        queue = await get(`/api/queues/%2F/stats.samples${query}`);
        return queue.messages_details.samples.length >= 2 && queue.message_stats.publish_details.samples.length >= 2;
      },
      'two samples a second apart',
    );
    for (const details of [queue.messages_details, queue.messages_ready_details, queue.message_stats.publish_details]) {
      expect(details).toEqual({
        rate: expect.any(Number),
        samples: expect.any(Array),
        avg: expect.any(Number),
        avg_rate: expect.any(Number),
      });
      const [newest, older] = details.samples;
      expect(newest.timestamp - older.timestamp).toBe(1000);
      expect(newest.timestamp % 1000).toBe(0);
    }
    // Lengths and counts only grow here (nobody consumes), so the average rates are positive.
    expect(queue.message_stats.publish_details.avg_rate).toBeGreaterThan(0);
    expect(queue.messages_details.samples[0].sample).toBeGreaterThan(queue.messages_details.samples.at(-1).sample);

    // The same parameters on lists, the overview and vhosts.
    const [listed] = (await get(`/api/queues/%2F${query}&name=stats.samples`)) as any[];
    expect(listed.messages_details.samples.length).toBeGreaterThanOrEqual(2);
    const overview = await get(`/api/overview${query}`);
    expect(overview.message_stats.publish_details.samples.length).toBeGreaterThanOrEqual(2);
    expect(overview.queue_totals.messages_details.samples.length).toBeGreaterThanOrEqual(2);
    expect((await get(`/api/vhosts/%2F${query}`)).message_stats.publish_details.samples.length).toBeGreaterThanOrEqual(2);
    expect((await get(`/api/exchanges/%2F/amq.default${query}`)).message_stats.publish_in_details.samples.length).toBeGreaterThanOrEqual(2);
    await publisher.close();
  });

  it('leaves the statistics out with disable_stats=true', async () => {
    const [queue] = (await get('/api/queues?disable_stats=true&name=stats.counted')) as any[];
    expect(queue).toMatchObject({ name: 'stats.counted', messages: 8 });
    expect(queue.message_stats).toBeUndefined();
    expect(queue.messages_details).toBeUndefined();
    expect((await get('/api/queues/%2F/stats.counted?disable_stats=true')).message_stats).toBeUndefined();
    expect((await get('/api/exchanges/%2F/amq.direct?disable_stats=true')).message_stats).toBeUndefined();
    expect((await get('/api/queues/%2F/stats.counted?disable_stats=false')).message_stats).toMatchObject({ publish: 20 });
  });

  it('refuses bad sample windows with 400', async () => {
    for (const query of [
      'lengths_age=0',
      'msg_rates_incr=-5',
      'lengths_age=abc',
      'lengths_age=86400&lengths_incr=1',
      'disable_stats=yes',
    ]) {
      const response = await admin.api('GET', `/api/queues?${query}`);
      expect([query, response.status]).toEqual([query, 400]);
    }
  });
});
