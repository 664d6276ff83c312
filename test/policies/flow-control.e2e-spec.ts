import { AMQPClient } from '@cloudamqp/amqp-client';
import amqplib, { type ConsumeMessage } from 'amqplib';
import { channelError } from '../support/amqp-helpers.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/** Backpressure and limits: memory alarm, connection and size limits, consumer timeout, overload. */
describe('flow control and limits', () => {
  let server: TestBroker | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('memory alarm: publishers are blocked and released; consumers keep receiving meanwhile', async () => {
    server = await startBroker({ resourceCheckMs: 10 });
    const publisherConnection = await amqplib.connect(server.url);
    const consumerConnection = await amqplib.connect(server.url);
    try {
      const events: string[] = [];
      publisherConnection.on('blocked', (reason: string) => events.push(`blocked: ${reason}`));
      publisherConnection.on('unblocked', () => events.push('unblocked'));
      const publisher = await publisherConnection.createConfirmChannel();
      await publisher.assertQueue('flow', { durable: false });
      for (let i = 0; i < 100; i++) publisher.sendToQueue('flow', Buffer.from(`before ${i}`));
      await publisher.waitForConfirms();

      // A watermark of 2 bytes (values up to 1 are fractions of RAM): RSS is always above it.
      await server.broker.setMemoryHighWatermark(2);
      await waitFor(() => events.includes('blocked: low on memory'), { what: 'connection.blocked' });
      expect(server.broker.alarmState).toEqual({ memory: true, disk: false });
      const whileBlocked = new Promise<void>((resolve) => {
        publisher.sendToQueue('flow', Buffer.from('while blocked'), {}, () => resolve());
      });

      const consumer = await consumerConnection.createChannel();
      const received: string[] = [];
      await consumer.consume('flow', (m: ConsumeMessage | null) => received.push(m!.content.toString()), { noAck: true });
      await waitFor(() => received.length >= 100, { what: 'the consumer to drain while publishers are blocked' });
      expect(received).not.toContain('while blocked');
      expect([...server.broker.allConnections()].some((c) => c.isBlocked)).toBe(true);

      await server.broker.setMemoryHighWatermark(1024 ** 4);
      await waitFor(() => events.includes('unblocked'), { what: 'connection.unblocked' });
      await whileBlocked;
      await waitFor(() => received.includes('while blocked'), { what: 'the held publish' });
    } finally {
      await publisherConnection.close();
      await consumerConnection.close();
    }
  });

  it('refuses connections past maxConnections with 530', async () => {
    server = await startBroker({ maxConnections: 2 });
    const first = await amqplib.connect(server.url);
    const second = await amqplib.connect(server.url);
    const client = new AMQPClient(server.url);
    await expect(client.connect()).rejects.toThrow(/NOT_ALLOWED - connection limit \(2\) is reached/);
    await first.close();
    const third = await amqplib.connect(server.url);
    await third.close();
    await second.close();
  });

  it('406 for a message larger than maxMessageSize', async () => {
    server = await startBroker({ maxMessageSize: 1000 });
    const connection = await amqplib.connect(server.url);
    connection.on('error', () => undefined);
    const error = await channelError(connection, (channel) => {
      channel.sendToQueue('anything', Buffer.alloc(2000));
      return channel.checkQueue('amq.rabbitmq.reply-to');
    });
    expect(error.code).toBe(406);
    expect(error.message).toContain('PRECONDITION_FAILED - message size 2000 is larger than configured max size 1000');
    await connection.close();
  });

  it('406 when a vhost reaches maxQueuesPerVhost', async () => {
    server = await startBroker({ maxQueuesPerVhost: 2 });
    const connection = await amqplib.connect(server.url);
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    await channel.assertQueue('one', { durable: false });
    await channel.assertQueue('two', { durable: false });
    const error = await channelError(connection, (c) => c.assertQueue('three', { durable: false }));
    expect(error.message).toContain("PRECONDITION_FAILED - cannot declare queue 'three': queue limit in vhost '/' (2) is reached");
    await connection.close();
  });

  it('consumer timeout: an unacked delivery past the limit closes the channel with 406 and is requeued', async () => {
    server = await startBroker({ consumerTimeoutMs: 100, consumerTimeoutCheckMs: 20 });
    const connection = await amqplib.connect(server.url);
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    await channel.assertQueue('slow-ack', { durable: false });
    channel.sendToQueue('slow-ack', Buffer.from('never acked'));
    const closed = new Promise<{ code: number; message: string }>((resolve) => channel.on('error', resolve));
    await channel.consume('slow-ack', () => undefined);
    const error = await closed;
    expect(error.code).toBe(406);
    expect(error.message).toContain('delivery acknowledgement on channel 1 timed out. Timeout value used: 100 ms');
    const other = await connection.createChannel();
    const message = await waitFor(async () => (await other.get('slow-ack', { noAck: true })) || undefined);
    expect(message.fields.redelivered).toBe(true);
    await connection.close();
  });

  it('overload: a confirming producer outrunning a slow consumer gets nacks, the queue stays bounded, nothing confirmed is lost', async () => {
    server = await startBroker();
    const connection = await amqplib.connect(server.url);
    const producer = await connection.createConfirmChannel();
    await producer.assertQueue('bounded', { durable: false, arguments: { 'x-max-length': 100, 'x-overflow': 'reject-publish' } });
    const consumer = await connection.createChannel();
    await consumer.prefetch(10);
    const consumed = new Set<string>();
    let isDone = false;
    await consumer.consume('bounded', (m) => {
      consumed.add(m!.content.toString());
      // A slow consumer: acks on a timer, so the producer outruns it.
      setTimeout(() => {
        if (!isDone) consumer.ack(m!);
      }, 1);
    });
    const queue = server.broker.core.getVhost('/')!.getQueue('bounded')!;
    let maxDepth = 0;
    const acked = new Set<string>();
    let nacked = 0;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 5000; i++) {
      const id = String(i);
      pending.push(
        new Promise((resolve) =>
          producer.sendToQueue('bounded', Buffer.from(id), {}, (error) => {
            if (error) nacked++;
            else acked.add(id);
            maxDepth = Math.max(maxDepth, queue.messageCount);
            resolve();
          }),
        ),
      );
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    expect(nacked).toBeGreaterThan(0);
    expect(maxDepth).toBeLessThanOrEqual(100);
    await waitFor(() => [...acked].every((id) => consumed.has(id)), { timeoutMs: 30_000, what: 'every confirmed message' });
    isDone = true;
    await connection.close();
  });
});

describe('backpressure towards slow consumers', () => {
  it('stops writing to a consumer whose socket is full, keeping the rest in the queue', async () => {
    const { RawClient } = await import('../support/raw-client.js');
    const server = await startBroker();
    const raw = await RawClient.connect(server.port);
    const connection = await amqplib.connect(server.url);
    try {
      await raw.handshake();
      await raw.openChannel(1);
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue('firehose', { durable: false });
      raw.sendMethod(1, {
        name: 'basic.consume',
        classId: 60,
        methodId: 20,
        ticket: 0,
        queue: 'firehose',
        consumerTag: 'slow',
        noLocal: false,
        noAck: true,
        exclusive: false,
        nowait: false,
        arguments: {},
      });
      await raw.method('basic.consume-ok');
      // The consumer stops reading its socket; the broker must not buffer everything for it.
      raw.socket.pause();
      const body = Buffer.alloc(64 * 1024, 7);
      for (let i = 0; i < 800; i++) {
        if (!channel.sendToQueue('firehose', body)) await new Promise((resolve) => channel.once('drain', resolve));
      }
      await channel.waitForConfirms();
      const queue = server.broker.core.getVhost('/')!.getQueue('firehose')!;
      const brokerSide = [...server.broker.allConnections()].find((c) => c.allChannels().next().value?.consumerCount === 1)!;
      // 800 × 64 KiB = 50 MiB published; only about the 1 MiB high-water mark plus the kernel buffers left the queue.
      expect(queue.messageCount).toBeGreaterThan(600);
      expect(brokerSide.socket.writableLength).toBeLessThan(4 * 1024 * 1024);
      raw.socket.resume();
      await waitFor(() => queue.messageCount === 0, { timeoutMs: 30_000, what: 'the consumer to catch up after drain' });
    } finally {
      raw.destroy();
      await connection.close();
      await server.close();
    }
  });
});

describe('disk alarm', () => {
  it('blocks publishers when free disk space is below the limit', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-disk-'));
    // A limit no disk satisfies: the alarm must fire at the first check.
    const server = await startBroker({ storage: 'level', dataDir, diskFreeLimitBytes: 2 ** 60, resourceCheckMs: 10 });
    const { RawClient } = await import('../support/raw-client.js');
    const raw = await RawClient.connect(server.port);
    const connection = await amqplib.connect(server.url);
    try {
      await raw.handshake();
      // Capable clients are told at once, even before they publish.
      expect((await raw.method('connection.blocked')).reason).toBe('low on disk');
      expect(server.broker.alarmState.disk).toBe(true);
      const channel = await connection.createChannel();
      channel.sendToQueue('anything', Buffer.from('held'));
      // Publishing connections stop being read.
      await waitFor(() => [...server.broker.allConnections()].some((c) => c.isBlocked), { what: 'the publisher to be paused' });
    } finally {
      raw.destroy();
      await connection.close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('WARREN_DISK_FREE_LIMIT: a limit above any disk blocks publishers from the start (connection.blocked)', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { spawnBrokerProcess } = await import('../support/broker-process.js');
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-disk-env-'));
    const broker = spawnBrokerProcess({ WARREN_DATA_DIR: dataDir, WARREN_DISK_FREE_LIMIT: '1000TB' });
    try {
      const { RawClient } = await import('../support/raw-client.js');
      // A raw client: amqplib may read connection.blocked with open-ok, before a listener could be attached.
      const raw = await RawClient.connect(await broker.port(60_000));
      try {
        await raw.handshake();
        expect((await raw.method('connection.blocked')).reason).toBe('low on disk');
      } finally {
        raw.destroy();
      }
    } finally {
      broker.child.kill('SIGKILL');
      await broker.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
