import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { startTestBroker, type TestBroker } from '@app/testing';

/** startTestBroker: where it listens, how it stores, how it logs, and that close() releases everything. */
describe('startTestBroker', () => {
  const started: TestBroker[] = [];

  async function start(...args: Parameters<typeof startTestBroker>): Promise<TestBroker> {
    const broker = await startTestBroker(...args);
    started.push(broker);
    return broker;
  }

  afterEach(async () => {
    for (const broker of started.splice(0)) await broker.close();
  });

  it('listens on an ephemeral loopback port with in-memory storage by default', async () => {
    const broker = await start();

    expect(broker.port).toBeGreaterThan(0);
    expect(broker.host).toBe('127.0.0.1');
    expect(broker.url).toBe(`amqp://guest:guest@127.0.0.1:${broker.port}`);
    expect(broker.broker.config.storage).toBe('memory');
    expect(broker.dataDir).toBeUndefined();
    const connection = await amqplib.connect(broker.url);
    const channel = await connection.createChannel();
    await channel.assertQueue('hello');
    await connection.close();
    expect(broker.vhost.getQueue('hello')).toBeDefined();
  });

  it('gives brokers started side by side different ports and separate state', async () => {
    const [a, b] = await Promise.all([start(), start()]);

    expect(a.port).not.toBe(b.port);
    const connection = await amqplib.connect(a.url);
    await (await connection.createChannel()).assertQueue('only-in-a');
    await connection.close();
    expect(a.vhost.getQueue('only-in-a')).toBeDefined();
    expect(b.vhost.getQueue('only-in-a')).toBeUndefined();
  });

  it('uses LevelDB in a temporary directory with { persistent: true } and removes it on close', async () => {
    const broker = await start({ persistent: true });

    expect(broker.broker.config.storage).toBe('level');
    expect(broker.dataDir).toContain('warren-test-');
    expect(existsSync(broker.dataDir!)).toBe(true);
    await broker.close();
    expect(existsSync(broker.dataDir!)).toBe(false);
  });

  it('keeps a given dataDir, so a second broker recovers durable queues and persistent messages', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-testing-kept-'));
    try {
      const first = await start({ dataDir });
      const connection = await amqplib.connect(first.url);
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue('kept', { durable: true });
      channel.sendToQueue('kept', Buffer.from('survives'), { persistent: true });
      await channel.waitForConfirms();
      await connection.close();
      await first.close();
      expect(existsSync(dataDir)).toBe(true);

      const second = await start({ dataDir });

      expect(second.count('kept')).toBe(1);
      expect(second.peek('kept')[0].body.toString()).toBe('survives');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('rejects when the broker cannot start (port taken)', async () => {
    const blocker = await start();

    await expect(startTestBroker({ config: { port: blocker.port } })).rejects.toThrow(/EADDRINUSE/);
  });

  it('is silent by default and logs to the given sink at the given level', async () => {
    const lines: string[] = [];
    const writes: unknown[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: unknown) => writes.push(chunk) > 0) as typeof process.stderr.write;
    try {
      const quiet = await start();
      const loud = await start({ logLevel: 'info', log: (line) => lines.push(line) });
      for (const broker of [quiet, loud]) {
        const connection = await amqplib.connect(broker.url);
        connection.on('error', () => undefined);
        await broker.closeConnections();
      }
    } finally {
      process.stderr.write = write;
    }

    expect(writes).toEqual([]);
    const entries = lines.map((line) => JSON.parse(line) as { level: string; replyText?: string });
    expect(entries.some((entry) => entry.level === 'info' && entry.replyText?.includes('CONNECTION_FORCED'))).toBe(true);
  });

  it('closes idempotently, forcing clients off, with methods bound to the instance', async () => {
    const broker = await start();
    const { close, count } = broker;
    const connection = await amqplib.connect(broker.url);
    const closed = new Promise<unknown>((resolve) => connection.on('close', resolve));
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    await channel.assertQueue('q');
    expect(count('q')).toBe(0);

    await Promise.all([close(), close()]);
    await close();

    await expect(closed).resolves.toBeDefined();
    await expect(amqplib.connect(broker.url)).rejects.toThrow(/ECONNREFUSED/);
  });
});
