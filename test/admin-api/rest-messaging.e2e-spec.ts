import amqplib, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { waitFor } from '../support/wait-for.js';
import { startAdminStack, type AdminStack } from './support/admin-stack.js';

// Real HTTP against real admin API and broker processes: topology and messages over REST meet amqplib clients.
describe('admin API: topology and messages over REST', () => {
  let stack: AdminStack;
  let connection: ChannelModel;

  beforeAll(async () => {
    stack = await startAdminStack();
    connection = await amqplib.connect(stack.amqpUrl);
  }, 120_000);

  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    await stack?.stop();
  }, 60_000);

  it('routes a REST-published message through a REST-made exchange, queue and binding to an amqplib consumer', async () => {
    expect((await stack.api('PUT', '/api/exchanges/%2F/orders', { type: 'direct' })).status).toBe(201);
    expect((await stack.api('PUT', '/api/exchanges/%2F/orders', { type: 'direct' })).status).toBe(204);
    expect((await stack.api('PUT', '/api/queues/%2F/orders.created', { durable: true })).status).toBe(201);
    expect((await stack.api('PUT', '/api/queues/%2F/orders.created', {})).status).toBe(204);
    const bound = await stack.api('POST', '/api/bindings/%2F/e/orders/q/orders.created', { routing_key: 'created' });
    expect(bound.status).toBe(201);
    expect(bound.headers.get('location')).toBe('orders.created/created');
    expect((await stack.api('GET', '/api/bindings/%2F/e/orders/q/orders.created/created')).body).toMatchObject({
      source: 'orders',
      destination: 'orders.created',
      routing_key: 'created',
      properties_key: 'created',
    });

    const channel = await connection.createChannel();
    const received: ConsumeMessage[] = [];
    await channel.consume('orders.created', (message) => message && received.push(message), { noAck: true });
    const published = await stack.api('POST', '/api/exchanges/%2F/orders/publish', {
      properties: { content_type: 'text/plain', headers: { source: 'rest' } },
      routing_key: 'created',
      payload: 'order 42',
      payload_encoding: 'string',
    });
    expect(published).toMatchObject({ status: 200, body: { routed: true } });
    await waitFor(() => received.length === 1, { timeoutMs: 20_000, what: 'the delivery' });
    expect(received[0].content.toString()).toBe('order 42');
    expect(received[0].properties.contentType).toBe('text/plain');
    expect(received[0].properties.headers).toMatchObject({ source: 'rest' });
    expect(received[0].fields).toMatchObject({ exchange: 'orders', routingKey: 'created' });
    await channel.close();
  });

  it('fetches a message published over AMQP with POST …/get', async () => {
    expect((await stack.api('PUT', '/api/queues/%2F/inbox', { durable: false })).status).toBe(201);
    const channel = await connection.createConfirmChannel();
    channel.publish('', 'inbox', Buffer.from('hello from amqp'), { messageId: 'm-1', persistent: false });
    await channel.waitForConfirms();
    await channel.close();

    const peek = await stack.api('POST', '/api/queues/%2F/inbox/get', { count: 5, ackmode: 'ack_requeue_true', encoding: 'auto' });
    expect(peek.status).toBe(200);
    expect(peek.body).toEqual([
      expect.objectContaining({
        payload: 'hello from amqp',
        payload_encoding: 'string',
        exchange: '',
        routing_key: 'inbox',
        redelivered: false,
        message_count: 0,
        properties: expect.objectContaining({ message_id: 'm-1', delivery_mode: 1 }),
      }),
    ]);
    // Requeued: still there, now redelivered; then taken for good.
    expect((await stack.api('GET', '/api/queues/%2F/inbox')).body).toMatchObject({ messages_ready: 1, messages_unacknowledged: 0 });
    const taken = await stack.api('POST', '/api/queues/%2F/inbox/get', { count: 5, ackmode: 'ack_requeue_false', encoding: 'base64' });
    expect(taken.body).toEqual([
      expect.objectContaining({
        redelivered: true,
        payload_encoding: 'base64',
        payload: Buffer.from('hello from amqp').toString('base64'),
      }),
    ]);
    expect((await stack.api('GET', '/api/queues/%2F/inbox')).body).toMatchObject({ messages_ready: 0 });
  });

  it('answers 503 with Retry-After when a reject-publish queue is full', async () => {
    const declared = await stack.api('PUT', '/api/queues/%2F/bounded', {
      arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
    });
    expect(declared.status).toBe(201);
    const message = { properties: {}, routing_key: 'bounded', payload: 'x', payload_encoding: 'string' };
    expect((await stack.api('POST', '/api/exchanges/%2F/amq.default/publish', message)).body).toEqual({ routed: true });
    const refused = await stack.api('POST', '/api/exchanges/%2F/amq.default/publish', message);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ error: 'service_unavailable' });
    // Purge makes room again.
    expect((await stack.api('DELETE', '/api/queues/%2F/bounded/contents')).status).toBe(204);
    expect((await stack.api('POST', '/api/exchanges/%2F/amq.default/publish', message)).body).toEqual({ routed: true });
  });

  it('answers {routed:false} when no binding matches', async () => {
    const published = await stack.api('POST', '/api/exchanges/%2F/orders/publish', {
      properties: {},
      routing_key: 'nobody-listens',
      payload: 'lost',
      payload_encoding: 'string',
    });
    expect(published).toMatchObject({ status: 200, body: { routed: false } });
  });

  it('lists and pages queues, shows connections and closes one with 320 and X-Reason', async () => {
    const paged = await stack.api('GET', '/api/queues/%2F?page=1&page_size=2&sort=name');
    expect(paged.body).toMatchObject({ page: 1, page_size: 2, item_count: 2, filtered_count: 3, total_count: 3 });
    expect(paged.body.items.map((q: { name: string }) => q.name)).toEqual(['bounded', 'inbox']);
    const filtered = await stack.api('GET', '/api/queues?name=^orders&use_regex=true');
    expect(filtered.body.map((q: { name: string }) => q.name)).toEqual(['orders.created']);

    const victim = await amqplib.connect(stack.amqpUrl, { clientProperties: { connection_name: 'victim' } });
    victim.on('error', () => undefined);
    const closed = new Promise<Error>((resolve) => victim.on('close', resolve));
    const victimEntry = await waitFor(
      async () => {
        const list = await stack.api('GET', '/api/connections');
        return (list.body as { name: string; client_properties: Record<string, unknown> }[]).find(
          (c) => c.client_properties.connection_name === 'victim',
        );
      },
      { timeoutMs: 20_000, what: 'the connection to be listed' },
    );
    const deleted = await stack.api('DELETE', `/api/connections/${encodeURIComponent(victimEntry.name)}`, undefined, {
      headers: { 'X-Reason': 'test says bye' },
    });
    expect(deleted.status).toBe(204);
    const error = await closed;
    expect(error.message).toContain('320');
    expect(error.message).toContain('test says bye');
  });

  it('reports overview, alarms and readiness health', async () => {
    expect((await stack.api('GET', '/api/overview')).body).toMatchObject({
      alarms: { memory: false, disk: false },
      object_totals: { queues: 3 },
    });
    expect(await stack.api('GET', '/api/health/checks/alarms')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await stack.api('GET', '/api/health/checks/ready-to-serve-clients')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});
