import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { channelError } from '../support/amqp-helpers.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/** The x-delayed-message exchange type, compatible with RabbitMQ's delayed-message plugin. */
describe('delayed delivery', () => {
  let server: TestBroker | undefined;
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-delayed-'));
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds a message for x-delay ms, then routes it by x-delayed-type', async () => {
    server = await startBroker();
    const connection = await amqplib.connect(server.url);
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange('later', 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'topic' } });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, 'later', 'jobs.#');
    const sentAt = Date.now();
    channel.publish('later', 'jobs.retry', Buffer.from('slow'), { headers: { 'x-delay': 150 } });
    channel.publish('later', 'jobs.now', Buffer.from('fast'));
    await channel.waitForConfirms();
    const received: Array<[string, number]> = [];
    await channel.consume(queue, (m) => received.push([m!.content.toString(), Date.now() - sentAt]), { noAck: true });
    await waitFor(() => received.length === 2, { what: 'both messages' });
    expect(received.map(([body]) => body)).toEqual(['fast', 'slow']);
    expect(received[1][1]).toBeGreaterThanOrEqual(150);
    await connection.close();
  });

  it('holds a message delayed longer than a Node.js timer can wait (over 24.8 days)', async () => {
    server = await startBroker();
    const connection = await amqplib.connect(server.url);
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange('much-later', 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'direct' } });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, 'much-later', 'k');
    // 30 days: a plain setTimeout of that length fires after 1 ms, so it would arrive before the 150 ms one.
    channel.publish('much-later', 'k', Buffer.from('next month'), { headers: { 'x-delay': 30 * 86_400_000 } });
    channel.publish('much-later', 'k', Buffer.from('soon'), { headers: { 'x-delay': 150 } });
    await channel.waitForConfirms();
    const received: string[] = [];
    await channel.consume(queue, (m) => received.push(m!.content.toString()), { noAck: true });
    await waitFor(() => received.length >= 1, { what: 'the 150 ms message' });
    expect(received).toEqual(['soon']);
    await connection.close();
  });

  it('refuses a delayed exchange without a valid x-delayed-type (406)', async () => {
    server = await startBroker();
    const connection = await amqplib.connect(server.url);
    connection.on('error', () => undefined);
    const error = await channelError(connection, (ch) => ch.assertExchange('bad-delay', 'x-delayed-message', { durable: false }));
    expect(error.code).toBe(406);
    expect(error.message).toContain('x-delayed-type');
    await connection.close();
  });

  it('keeps persistent delayed messages of a durable exchange across a restart', async () => {
    server = await startBroker({ storage: 'level', dataDir });
    let connection = await amqplib.connect(server.url);
    let channel = await connection.createConfirmChannel();
    await channel.assertExchange('durable-later', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
    await channel.assertQueue('delayed-target', { durable: true });
    await channel.bindQueue('delayed-target', 'durable-later', 'k');
    channel.publish('durable-later', 'k', Buffer.from('survivor'), { persistent: true, headers: { 'x-delay': 400 } });
    await channel.waitForConfirms();
    await connection.close();
    await server.close();

    server = await startBroker({ storage: 'level', dataDir });
    connection = await amqplib.connect(server.url);
    channel = await connection.createConfirmChannel();
    expect((await channel.checkQueue('delayed-target')).messageCount).toBe(0);
    await waitFor(async () => (await channel.checkQueue('delayed-target')).messageCount === 1, { what: 'the delayed message' });
    const message = await channel.get('delayed-target', { noAck: true });
    expect(message && message.content.toString()).toBe('survivor');
    await connection.close();
  });
});

describe('delayed delivery and exchange deletion', () => {
  it('drops held messages when their exchange is deleted, even if one of the same name is declared again', async () => {
    const server = await startBroker();
    const connection = await amqplib.connect(server.url);
    try {
      const channel = await connection.createConfirmChannel();
      const declare = () =>
        channel.assertExchange('reborn', 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'fanout' } });
      await declare();
      channel.publish('reborn', '', Buffer.from('orphan'), { headers: { 'x-delay': 50 } });
      await channel.waitForConfirms();
      await channel.deleteExchange('reborn');
      await declare();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, 'reborn', '');
      // Wait until the orphan's timer has certainly fired, then check it went nowhere.
      const vhost = server.broker.core.getVhost('/')!;
      await waitFor(() => vhost.delayed.size === 0, { what: 'the held message to fall due' });
      expect((await channel.checkQueue(queue)).messageCount).toBe(0);
    } finally {
      await connection.close();
      await server.close();
    }
  });
});
