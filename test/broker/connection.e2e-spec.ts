import amqplib from 'amqplib';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

describe('connections from real clients', () => {
  let server: TestBroker;

  beforeAll(async () => {
    server = await startBroker();
  });

  afterAll(async () => {
    await server.close();
  });

  it('amqplib negotiates, opens and closes 100 channels, and closes cleanly', async () => {
    const connection = await amqplib.connect(`${server.url}?heartbeat=20&frameMax=131072`);
    const properties = (connection as unknown as { connection: { serverProperties: Record<string, unknown> } }).connection.serverProperties;
    expect(properties.product).toBe('Warren');
    expect(properties.capabilities).toMatchObject({
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      authentication_failure_close: true,
      per_consumer_qos: true,
      direct_reply_to: true,
    });
    const channels = await Promise.all(Array.from({ length: 100 }, () => connection.createChannel()));
    expect(new Set(channels.map((c) => (c as unknown as { ch: number }).ch)).size).toBe(100);
    await waitFor(
      () =>
        [...server.broker.allConnections()][0]?.allChannels() && [...[...server.broker.allConnections()][0].allChannels()].length === 100,
    );
    await Promise.all(channels.map((c) => c.close()));
    await connection.close();
    await waitFor(() => [...server.broker.allConnections()].length === 0, { what: 'connection gone' });
  });

  it('@cloudamqp/amqp-client negotiates, opens and closes 100 channels, and closes cleanly', async () => {
    const client = new AMQPClient(`${server.url}?frameMax=8192&heartbeat=0`);
    const connection = await client.connect();
    expect(client.frameMax).toBe(8192);
    const channels = [];
    for (let i = 0; i < 100; i++) channels.push(await connection.channel());
    expect(new Set(channels.map((c) => c.id)).size).toBe(100);
    for (const channel of channels) await channel.close();
    await connection.close();
    await waitFor(() => [...server.broker.allConnections()].length === 0, { what: 'connection gone' });
  });

  it('refuses a wrong password with 403 ACCESS_REFUSED', async () => {
    await expect(amqplib.connect(`amqp://guest:wrong@127.0.0.1:${server.port}`)).rejects.toThrow(/ACCESS[-_]REFUSED/);
  });

  it('refuses an unknown vhost with 530 NOT_ALLOWED', async () => {
    const client = new AMQPClient(`amqp://guest:guest@127.0.0.1:${server.port}/nope`);
    await expect(client.connect()).rejects.toThrow(/NOT_ALLOWED - vhost nope not found/);
  });

  it('closes clients with 320 CONNECTION_FORCED when the broker shuts down', async () => {
    const other = await startBroker();
    const connection = await amqplib.connect(other.url);
    const closed = new Promise<Error>((resolve) => connection.on('close', resolve));
    connection.on('error', () => undefined);
    await other.close();
    const error = await closed;
    expect(String(error)).toMatch(/CONNECTION_FORCED/);
  });
});
