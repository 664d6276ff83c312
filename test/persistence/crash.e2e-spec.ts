import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { spawnBrokerProcess, type BrokerProcess } from '../support/broker-process.js';
import { waitFor } from '../support/wait-for.js';

const ROUNDS = 3;

/**
 * Crash recovery: a confirm-mode publisher runs while the broker is
 * killed with SIGKILL; after each restart a checker drains the queues. Confirmed-but-lost and
 * delivered-but-never-published must both be empty; a message seen twice must carry redelivered=true.
 */
describe('crash recovery', () => {
  let dataDir: string;
  let broker: BrokerProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-crash-'));
  });

  afterAll(() => {
    broker?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<string> {
    broker = spawnBrokerProcess({ WARREN_DATA_DIR: dataDir });
    return `amqp://guest:guest@127.0.0.1:${await broker.port()}`;
  }

  it(`loses no confirmed message over ${ROUNDS} SIGKILL rounds`, async () => {
    const published = new Set<string>();
    const confirmed = new Set<string>();
    const consumed = new Map<string, number>();
    const duplicatesWithoutRedelivered: string[] = [];

    async function drain(url: string): Promise<void> {
      const connection = await amqplib.connect(url);
      const channel = await connection.createChannel();
      for (const queue of ['crash.a', 'crash.b']) {
        // Nothing publishes during a drain, so the ready count says how many deliveries to wait for.
        const { messageCount } = await channel.checkQueue(queue);
        let received = 0;
        const { consumerTag } = await channel.consume(queue, (message) => {
          if (!message) return;
          received++;
          const id = `${queue}/${message.properties.messageId}`;
          const seen = consumed.get(id) ?? 0;
          if (seen > 0 && !message.fields.redelivered) duplicatesWithoutRedelivered.push(id);
          consumed.set(id, seen + 1);
          // Ack only some, so the next crash also has delivered-but-unacked messages to bring back.
          if (Math.random() < 0.7) channel.ack(message);
        });
        await waitFor(() => received === messageCount, { timeoutMs: 30_000, what: `draining ${queue}` });
        await channel.cancel(consumerTag);
      }
      await connection.close();
    }

    let url = await start();
    {
      const connection = await amqplib.connect(url);
      const channel = await connection.createChannel();
      await channel.assertExchange('crash', 'fanout', { durable: true });
      for (const queue of ['crash.a', 'crash.b']) {
        await channel.assertQueue(queue, { durable: true });
        await channel.bindQueue(queue, 'crash', '');
      }
      await connection.close();
    }

    let next = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const connection = await amqplib.connect(url);
      connection.on('error', () => undefined);
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      let isCrashed = false;
      const publishing = (async () => {
        while (!isCrashed) {
          const id = `m${next++}`;
          published.add(id);
          try {
            channel.publish('crash', '', Buffer.from(id), { persistent: true, messageId: id }, (error) => {
              if (!error) confirmed.add(id);
            });
          } catch {
            break; // the broker is gone; whatever was not confirmed is "info" (uncertain) in checker terms
          }
          if (next % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      // Let a few thousand messages get confirmed, then kill the broker mid-stream.
      const target = confirmed.size + 2000 + Math.floor(Math.random() * 2000);
      await waitFor(() => confirmed.size >= target, { timeoutMs: 30_000, what: 'confirms before the crash' });
      broker!.child.kill('SIGKILL');
      await broker!.exited;
      isCrashed = true;
      await publishing;
      url = await start();
      await drain(url);
    }
    broker!.child.kill('SIGTERM');
    await broker!.exited;
    broker = undefined;

    const lost: string[] = [];
    const unexpected: string[] = [];
    for (const id of confirmed)
      for (const queue of ['crash.a', 'crash.b']) if (!consumed.has(`${queue}/${id}`)) lost.push(`${queue}/${id}`);
    for (const id of consumed.keys()) if (!published.has(id.split('/')[1])) unexpected.push(id);
    expect(confirmed.size).toBeGreaterThan(ROUNDS * 2000);
    expect(lost).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(duplicatesWithoutRedelivered).toEqual([]);
  });
});
