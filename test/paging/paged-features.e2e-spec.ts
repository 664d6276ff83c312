import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

// Queue features with most of the queue paged out: a window of 10 against a few hundred persistent messages.
const WINDOW = { 'x-max-in-memory-length': 10 };
const COUNT = 300;
/** `m<i>` padded past 256 bytes: paged bodies live in the body log's segment files, as real-sized messages do. */
const body = (i: number): Buffer => Buffer.from(`m${i}`.padEnd(300, ' '));

describe('queue features with paged-out messages', () => {
  let dataDir: string;
  let server: TestBroker;
  let connection: amqplib.ChannelModel;
  let channel: amqplib.ConfirmChannel;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-paged-'));
    server = await startBroker({ storage: 'level', dataDir });
    connection = await amqplib.connect(server.url);
    channel = await connection.createConfirmChannel();
  });

  afterEach(async () => {
    await connection.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Publishes `count` persistent messages with confirms, then waits until all but the window are paged out. */
  async function fill(queue: string, count: number, options: (i: number) => amqplib.Options.Publish = () => ({})): Promise<void> {
    for (let i = 0; i < count; i++) channel.sendToQueue(queue, body(i), { persistent: true, ...options(i) });
    await channel.waitForConfirms();
  }

  async function drain(queue: string, expected: number): Promise<string[]> {
    const got: string[] = [];
    const consumer = await connection.createChannel();
    await consumer.prefetch(50);
    await consumer.consume(queue, (message) => {
      got.push(message!.content.toString().trimEnd());
      consumer.ack(message!);
    });
    await waitFor(() => got.length >= expected, { timeoutMs: 30_000, what: `${expected} messages from ${queue}` });
    await consumer.close();
    return got;
  }

  it('delivers priorities highest first, FIFO within a level, from paged-out levels', async () => {
    await channel.assertQueue('prio', { durable: true, arguments: { ...WINDOW, 'x-max-priority': 5 } });
    await fill('prio', COUNT, (i) => ({ priority: i % 6 }));
    await waitFor(() => server.queue('prio').pagedOutCount >= COUNT - 10, { what: 'paging out' });
    const expected = [5, 4, 3, 2, 1, 0].flatMap((level) =>
      Array.from({ length: COUNT }, (_, i) => i)
        .filter((i) => i % 6 === level)
        .map((i) => `m${i}`),
    );
    expect(await drain('prio', COUNT)).toEqual(expected);
  });

  it('dead-letters expired paged-out messages with their bodies, and drops them without a DLX', async () => {
    await channel.assertQueue('dead', { durable: true });
    await channel.assertQueue('ttl-dlx', {
      durable: true,
      arguments: { ...WINDOW, 'x-message-ttl': 300, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' },
    });
    await channel.assertQueue('ttl-drop', { durable: true, arguments: { ...WINDOW, 'x-message-ttl': 300 } });
    await fill('ttl-dlx', COUNT);
    await fill('ttl-drop', COUNT);
    await waitFor(() => server.queue('ttl-dlx').messageCount === 0 && server.queue('ttl-drop').messageCount === 0, {
      timeoutMs: 20_000,
      what: 'expiry',
    });
    expect((await drain('dead', COUNT)).sort()).toEqual(Array.from({ length: COUNT }, (_, i) => `m${i}`).sort());
    // Nothing of the expired messages is left in the store.
    const store = server.broker.core.storage!.messages;
    await waitFor(async () => (await store.queueInfo(server.queue('ttl-drop').storageId))?.messageCount === 0, {
      what: 'stored copies removed',
    });
    expect((await store.queueInfo(server.queue('ttl-dlx').storageId))?.messageCount).toBe(0);
  });

  it('applies x-max-length to paged-out messages: counts them, dead-letters the dropped heads with bodies', async () => {
    await channel.assertQueue('overflow', { durable: true });
    await channel.assertQueue('capped', {
      durable: true,
      arguments: { ...WINDOW, 'x-max-length': 100, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'overflow' },
    });
    await fill('capped', 100);
    await waitFor(() => server.queue('capped').pagedOutCount >= 90, { what: 'paging out' });
    // Each publish now drops the head: loaded at first, paged-out ones once the loaded part is gone.
    for (let i = 100; i < COUNT; i++) channel.sendToQueue('capped', body(i), { persistent: true });
    await channel.waitForConfirms();
    expect(server.queue('capped').messageCount).toBe(100);
    expect(await drain('capped', 100)).toEqual(Array.from({ length: 100 }, (_, i) => `m${COUNT - 100 + i}`));
    expect(await drain('overflow', COUNT - 100)).toEqual(Array.from({ length: COUNT - 100 }, (_, i) => `m${i}`));
  });

  it('counts paged-out bytes for x-max-length-bytes', async () => {
    await channel.assertQueue('bytes', {
      durable: true,
      arguments: { ...WINDOW, 'x-max-length-bytes': 1_000, 'x-overflow': 'reject-publish' },
    });
    for (let i = 0; i < 150; i++) channel.sendToQueue('bytes', Buffer.alloc(10, 1), { persistent: true });
    await expect(channel.waitForConfirms()).rejects.toThrow();
    expect(server.queue('bytes').messageCount).toBe(100);
    expect(server.queue('bytes').messageBytes).toBe(1_000);
  });

  it('answers basic.get in order from a lazy queue (every body paged out), never get-empty while messages wait', async () => {
    await channel.assertQueue('lazy', { durable: true, arguments: { 'x-queue-mode': 'lazy' } });
    await fill('lazy', 100);
    await waitFor(() => server.queue('lazy').pagedOutCount === 100, { what: 'paging out' });
    const got: string[] = [];
    // Each get that finds the head paged out waits for its batch read, then answers get-ok.
    for (let i = 0; i < 100; i++) {
      const message = await channel.get('lazy', { noAck: i % 2 === 0 });
      expect(message).not.toBe(false);
      if (message) {
        got.push(message.content.toString().trimEnd());
        if (i % 2 === 1) channel.ack(message);
      }
    }
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(await channel.get('lazy', { noAck: true })).toBe(false);
  });

  it('dead-letters at the delivery limit, purges and deletes paged-out messages without leaving stored copies', async () => {
    await channel.assertQueue('limited', {
      durable: true,
      arguments: { ...WINDOW, 'x-delivery-limit': 0, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'limit-dead' },
    });
    await channel.assertQueue('limit-dead', { durable: true });
    await fill('limited', 50);
    const consumer = await connection.createChannel();
    let rejected = 0;
    await consumer.consume('limited', (message) => {
      consumer.nack(message!, false, true);
      rejected++;
    });
    await waitFor(() => rejected >= 50 && server.queue('limit-dead').messageCount === 50, { what: 'delivery limit' });
    await consumer.close();
    expect((await drain('limit-dead', 50)).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`).sort());

    await channel.assertQueue('purged', { durable: true, arguments: WINDOW });
    await channel.assertQueue('deleted', { durable: true, arguments: WINDOW });
    await fill('purged', COUNT);
    await fill('deleted', COUNT);
    await waitFor(() => server.queue('purged').pagedOutCount >= COUNT - 10, { what: 'paging out' });
    expect((await channel.purgeQueue('purged')).messageCount).toBe(COUNT);
    expect((await channel.deleteQueue('deleted')).messageCount).toBe(COUNT);
    const store = server.broker.core.storage!.messages;
    await waitFor(async () => (await store.queueInfo(server.queue('purged').storageId))?.messageCount === 0, { what: 'purge written' });
    const report = await store.verifyIntegrity();
    expect(report.ok).toBe(true);
    expect((await store.queueIds()).some((id) => id.endsWith('/deleted'))).toBe(false);
  });
});
