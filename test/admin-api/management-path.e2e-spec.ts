import { connect as connectTcp, createServer, type AddressInfo, type Socket } from 'node:net';
import { MANAGEMENT_EXCHANGE, MANAGEMENT_QUEUE, ManagementPattern } from '@app/management-contract';
import { FULL_PERMISSIONS } from '@app/broker-core';
import { startTestBroker, type TestBroker } from '@app/testing';
import amqplib, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { channelError } from '../support/amqp-helpers.js';
import { waitFor } from '../support/wait-for.js';
import { startAdminApi, type AdminApi } from './support/admin-stack.js';

/** The HTTP user's password: it must never show up in anything a client can see. */
const SECRET = 'Op5-S3cret-Never-On-The-Wire';

/** A TCP relay in front of the management listener that records what the admin API sends, per connection. */
interface Relay {
  port: number;
  /** Bytes from the admin API, one entry per connection it opened. */
  sent: Buffer[][];
  close(): Promise<void>;
}

async function startRelay(targetPort: number): Promise<Relay> {
  const sent: Buffer[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const chunks: Buffer[] = [];
    sent.push(chunks);
    const upstream = connectTcp(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sent,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// The management path end to end: a real broker (in this process, so alarms and queues can be driven and
// inspected), the real admin API in a child process on the broker's management listener, real amqplib clients.
describe('management path', () => {
  let broker: TestBroker;
  let relay: Relay;
  let admin: AdminApi;
  let client: ChannelModel;
  const ops = `ops:${SECRET}`;

  beforeAll(async () => {
    broker = await startTestBroker({ config: { resourceCheckMs: 10 } });
    await broker.core.users.addUser('ops', SECRET, ['administrator']);
    // RabbitMQ applies AMQP permissions over HTTP too, administrators included.
    await broker.core.permissions.set('ops', '/', FULL_PERMISSIONS);
    await broker.core.users.addUser('viewer', 'viewer-pass', ['management']);
    relay = await startRelay(broker.broker.managementPort);
    admin = await startAdminApi(`amqp://guest:guest@127.0.0.1:${relay.port}`);
    client = await amqplib.connect(broker.url);
    client.on('error', () => undefined);
  }, 120_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await admin?.stop();
    await relay?.close();
    await broker?.close();
  }, 60_000);

  describe('ordinary clients cannot touch the management exchange or queue (403)', () => {
    it.each<[string, (channel: Channel) => unknown]>([
      ['exchange.declare', (channel) => channel.assertExchange(MANAGEMENT_EXCHANGE, 'topic', { durable: false })],
      ['exchange.declare passive', (channel) => channel.checkExchange(MANAGEMENT_EXCHANGE)],
      ['exchange.delete', (channel) => channel.deleteExchange(MANAGEMENT_EXCHANGE)],
      ['queue.declare', (channel) => channel.assertQueue(MANAGEMENT_QUEUE, { durable: false })],
      ['queue.declare passive', (channel) => channel.checkQueue(MANAGEMENT_QUEUE)],
      ['queue.delete', (channel) => channel.deleteQueue(MANAGEMENT_QUEUE)],
      ['queue.purge', (channel) => channel.purgeQueue(MANAGEMENT_QUEUE)],
      [
        'queue.bind to the exchange',
        async (channel) => {
          const { queue } = await channel.assertQueue('', { exclusive: true });
          await channel.bindQueue(queue, MANAGEMENT_EXCHANGE, '#');
        },
      ],
      [
        'exchange.bind to the exchange',
        async (channel) => {
          await channel.assertExchange('spy.exchange', 'topic', { durable: false });
          await channel.bindExchange('spy.exchange', MANAGEMENT_EXCHANGE, '#');
        },
      ],
      ['basic.consume', (channel) => channel.consume(MANAGEMENT_QUEUE, () => undefined)],
      ['basic.get', (channel) => channel.get(MANAGEMENT_QUEUE)],
      [
        'basic.publish',
        (channel) => {
          channel.publish(MANAGEMENT_EXCHANGE, ManagementPattern.QueuesList, Buffer.from('{}'));
          return channel.checkQueue('amq.rabbitmq.reply-to');
        },
      ],
    ])('%s', async (_name, operation) => {
      const error = await channelError(client, operation);
      expect(error.code).toBe(403);
      expect(error.message).toMatch(
        /^Channel closed by server: 403 \(ACCESS-REFUSED\) with message "ACCESS_REFUSED - access to (exchange|queue) 'amq\.warren\.management' in vhost '\/' refused for user 'guest'"$/,
      );
    });

    it('does not list the management queue or exchange over HTTP', async () => {
      const queues = await admin.api('GET', '/api/queues');
      expect(queues.status).toBe(200);
      expect(queues.body.map((queue: { name: string }) => queue.name)).not.toContain(MANAGEMENT_QUEUE);
      expect((await admin.api('GET', `/api/queues/%2F/${MANAGEMENT_QUEUE}`)).status).toBe(404);
      const exchanges = await admin.api('GET', '/api/exchanges');
      expect(exchanges.body.map((exchange: { name: string }) => exchange.name)).not.toContain(MANAGEMENT_EXCHANGE);
    });

    it('lets a login on the management listener do nothing but what the admin API does', async () => {
      const managementUrl = (user: string) => `amqp://${user}@127.0.0.1:${broker.broker.managementPort}`;
      // A non-administrator may log in there (that is how the admin API checks passwords) but not send requests.
      const viewer = await amqplib.connect(managementUrl('viewer:viewer-pass'));
      viewer.on('error', () => undefined);
      const publish = await channelError(viewer, (channel) => {
        channel.publish(MANAGEMENT_EXCHANGE, ManagementPattern.Overview, Buffer.from('{}'));
        return channel.checkQueue('amq.rabbitmq.reply-to');
      });
      expect(publish.code).toBe(403);
      await viewer.close();
      const guest = await amqplib.connect(managementUrl('guest:guest'));
      guest.on('error', () => undefined);
      const declare = await channelError(guest, (channel) => channel.assertQueue('side-door', { durable: false }));
      expect(declare).toMatchObject({ code: 403, message: expect.stringContaining('is not permitted on the management listener') });
      const other = await channelError(guest, (channel) => {
        channel.publish('amq.topic', 'anything', Buffer.from('x'));
        return channel.checkQueue('amq.rabbitmq.reply-to');
      });
      expect(other.code).toBe(403);
      await guest.close();
    });
  });

  it('shows no admin API request and no password to a client bound to everything it can bind to', async () => {
    const spy = await client.createChannel();
    await spy.assertExchange('warren.requests', 'topic', { durable: false }); // the old management exchange
    const seen: ConsumeMessage[] = [];
    for (const exchange of broker.vhost.topology.exchanges()) {
      if (exchange.name === '') continue;
      const { queue } = await spy.assertQueue('', { exclusive: true });
      const type = exchange.type.name;
      const keys = type === 'topic' ? ['#'] : type === 'direct' ? ['', ...Object.values(ManagementPattern)] : [''];
      for (const key of keys) await spy.bindQueue(queue, exchange.name, key, {});
      await spy.consume(queue, (message) => seen.push(message!), { noAck: true });
    }

    expect((await admin.api('GET', '/api/overview', undefined, { auth: ops })).status).toBe(200);
    expect((await admin.api('PUT', '/api/queues/%2F/audited', { durable: false }, { auth: ops })).status).toBe(201);
    const publish = { properties: {}, routing_key: 'audited', payload: 'hello', payload_encoding: 'string' };
    expect((await admin.api('POST', '/api/exchanges/%2F/amq.default/publish', publish, { auth: ops })).body).toEqual({ routed: true });
    expect((await admin.api('GET', '/api/queues', undefined, { auth: ops })).status).toBe(200);
    expect((await admin.api('GET', '/api/queues', undefined, { auth: 'ops:wrong' })).status).toBe(401);

    // A message of our own through the spies proves they are live and have seen everything routed before it.
    spy.publish('amq.topic', 'sentinel', Buffer.from('sentinel'));
    await waitFor(() => seen.some((message) => message.fields.routingKey === 'sentinel'), { what: 'the sentinel' });
    for (const message of seen) {
      expect(message.fields.routingKey).not.toMatch(/^management\./);
      expect(message.content.toString('latin1')).not.toContain(SECRET);
      expect(JSON.stringify(message.properties)).not.toContain(SECRET);
    }

    // On the wire to the management listener, the password appears only in login handshakes that publish nothing;
    // the connection that carries management requests never holds it.
    const connections = relay.sent.map((chunks) => Buffer.concat(chunks));
    const withRequests = connections.filter((bytes) => bytes.includes(MANAGEMENT_EXCHANGE));
    const withSecret = connections.filter((bytes) => bytes.includes(SECRET));
    expect(withRequests.length).toBeGreaterThan(0);
    expect(withSecret.length).toBeGreaterThan(0);
    for (const bytes of withRequests) expect(bytes.includes(SECRET)).toBe(false);
    for (const bytes of withSecret) expect(bytes.includes(MANAGEMENT_EXCHANGE)).toBe(false);
    await spy.close();
  });

  it("refuses an HTTP publish whose user_id is not the HTTP user's (400, nothing delivered)", async () => {
    expect((await admin.api('PUT', '/api/queues/%2F/stamped', { durable: false }, { auth: ops })).status).toBe(201);
    const publish = (userId: string) =>
      admin.api(
        'POST',
        '/api/exchanges/%2F/amq.default/publish',
        { properties: { user_id: userId }, routing_key: 'stamped', payload: userId, payload_encoding: 'string' },
        { auth: ops },
      );
    const spoofed = await publish('guest');
    expect(spoofed.status).toBe(400);
    expect(spoofed.body).toEqual({ error: 'bad_request', reason: "user_id property set to 'guest' but authenticated user was 'ops'" });
    expect(broker.queue('stamped').messageCount).toBe(0);

    expect((await publish('ops')).body).toEqual({ routed: true });
    await broker.waitForQueue('stamped', { messages: 1 });
    expect(broker.peek('stamped').map((message) => message.properties.userId)).toEqual(['ops']);
  });

  it('blocks an ordinary client that publishes with management routing keys during an alarm; the admin API still answers', async () => {
    const setup = await client.createChannel();
    await setup.assertExchange('warren.requests', 'topic', { durable: false });
    await setup.assertQueue('spoof-sink', { durable: false });
    await setup.bindQueue('spoof-sink', 'amq.topic', 'management.#');
    await setup.bindQueue('spoof-sink', 'warren.requests', 'management.#');
    await setup.close();
    const spoofer = await amqplib.connect(broker.url, { clientProperties: { connection_name: 'spoofer' } });
    spoofer.on('error', () => undefined);
    const intruder = await amqplib.connect(broker.url);
    intruder.on('error', () => undefined);
    const blocked: string[] = [];
    spoofer.on('blocked', () => blocked.push('spoofer'));
    intruder.on('blocked', () => blocked.push('intruder'));
    try {
      await broker.broker.setMemoryHighWatermark(2);
      await waitFor(() => blocked.includes('spoofer') && blocked.includes('intruder'), { what: 'connection.blocked' });

      const channel = await spoofer.createChannel();
      const request = Buffer.from(
        JSON.stringify({ id: '1', pattern: ManagementPattern.QueuesList, caller: { username: 'guest' }, data: {} }),
      );
      channel.publish('amq.topic', ManagementPattern.QueuesList, request);
      channel.publish('warren.requests', ManagementPattern.Overview, request);
      const publishToManagement = await channelError(intruder, (intruderChannel) => {
        intruderChannel.publish(MANAGEMENT_EXCHANGE, ManagementPattern.Overview, request);
        return intruderChannel.checkQueue('amq.rabbitmq.reply-to');
      });
      expect(publishToManagement.code).toBe(403);

      // The admin API keeps answering (its connection is a management connection) and shows the spoofer blocked.
      await waitFor(
        async () => {
          const connections = await admin.api('GET', '/api/connections');
          expect(connections.status).toBe(200);
          return connections.body.some(
            (connection: { state: string; client_properties: Record<string, unknown> }) =>
              connection.client_properties.connection_name === 'spoofer' && connection.state === 'blocked',
          );
        },
        { what: 'the spoofer to be blocked', intervalMs: 50 },
      );
      const queues = await admin.api('GET', '/api/queues');
      expect(queues.status).toBe(200);
      expect(queues.body.find((queue: { name: string }) => queue.name === 'spoof-sink')).toMatchObject({ messages: 0 });
      expect(broker.queue('spoof-sink').messageCount).toBe(0);

      // Held, not lost: once the alarm clears, the blocked publishes go through like any publisher's.
      await broker.broker.setMemoryHighWatermark(1024 ** 4);
      await broker.waitForQueue('spoof-sink', { messages: 2 });
    } finally {
      await broker.broker.setMemoryHighWatermark(1024 ** 4);
      await spoofer.close().catch(() => undefined);
      await intruder.close().catch(() => undefined);
    }
  });
});
