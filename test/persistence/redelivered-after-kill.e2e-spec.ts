import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { spawnBrokerProcess, type BrokerProcess } from '../support/broker-process.js';
import { waitFor } from '../support/wait-for.js';

const ROUNDS = 3;
const QUEUE = 'redelivered-after-kill';
const BACKLOG = 4000;
const PREFETCH = 100;

/**
 * `redelivered` after SIGKILL: every message a consumer received before the broker was killed and that comes back
 * (not acked, or its ack not processed) may have been processed, so it must carry `redelivered=true` (RabbitMQ
 * quorum queues do). The consumer reads a confirmed backlog (long committed, so a delivered mark written after the
 * delivery lands in a later batch) while a publisher keeps fsyncs in flight; the broker is killed from the
 * consumer's callback, mid-stream.
 */
describe('redelivered flag after kill -9', () => {
  let dataDir: string;
  let broker: BrokerProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-redelivered-'));
  });

  afterAll(async () => {
    if (broker !== undefined && broker.child.exitCode === null && broker.child.signalCode === null) {
      broker.child.kill('SIGKILL');
      await broker.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<string> {
    broker = spawnBrokerProcess({ WARREN_DATA_DIR: dataDir });
    return `amqp://guest:guest@127.0.0.1:${await broker.port()}`;
  }

  it(`brings back every received, unacked message with redelivered=true over ${ROUNDS} SIGKILL rounds`, async () => {
    let url = await start();
    let next = 0;
    let flagged = 0;
    const notFlagged: string[] = [];
    const confirmedButLost: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const publisher = await amqplib.connect(url);
      publisher.on('error', () => undefined);
      const channel = await publisher.createConfirmChannel();
      channel.on('error', () => undefined);
      await channel.assertQueue(QUEUE, { durable: true });
      const confirmed = new Set<string>();
      const publish = (): boolean => {
        const id = `m${next++}`;
        try {
          channel.sendToQueue(QUEUE, Buffer.from(id), { persistent: true, messageId: id }, (error) => {
            if (!error) confirmed.add(id);
          });
          return true;
        } catch {
          return false; // the broker is gone
        }
      };
      for (let i = 0; i < BACKLOG; i++) publish();
      await channel.waitForConfirms();

      // Keeps a synced batch in flight while the backlog is delivered.
      let isCrashed = false;
      const publishing = (async () => {
        while (!isCrashed && publish()) await new Promise((resolve) => setImmediate(resolve));
      })();

      const consumer = await amqplib.connect(url);
      consumer.on('error', () => undefined);
      const consuming = await consumer.createChannel();
      consuming.on('error', () => undefined);
      // A prefetch window with prompt acks: each ack lets one more backlog message out, one turn at a time.
      await consuming.prefetch(PREFETCH);
      const received = new Set<string>();
      const acked = new Set<string>();
      const killAt = 1000 + Math.floor(Math.random() * 2000);
      await consuming.consume(QUEUE, (message) => {
        if (!message || isCrashed) return;
        received.add(message.properties.messageId as string);
        if (received.size >= killAt) {
          isCrashed = true;
          broker!.child.kill('SIGKILL');
          return;
        }
        consuming.ack(message);
        acked.add(message.properties.messageId as string);
      });
      await waitFor(() => isCrashed, { timeoutMs: 30_000, what: 'deliveries before the crash' });
      await broker!.exited;
      await publishing;

      url = await start();
      // Drain everything, acking, and check the messages received before the kill.
      const checker = await amqplib.connect(url);
      const checking = await checker.createChannel();
      const { messageCount } = await checking.checkQueue(QUEUE);
      const back = new Map<string, boolean>();
      await checking.consume(QUEUE, (message) => {
        if (!message) return;
        back.set(message.properties.messageId as string, message.fields.redelivered);
        checking.ack(message);
      });
      await waitFor(() => back.size >= messageCount, { timeoutMs: 30_000, what: 'the drain' });
      await checker.close();
      // Received, then back after the crash: its ack (if any) was never processed.
      for (const id of received) {
        const redelivered = back.get(id);
        if (redelivered === true) flagged++;
        else if (redelivered === false) notFlagged.push(id);
        else if (confirmed.has(id) && !acked.has(id)) confirmedButLost.push(id);
      }
    }
    broker!.child.kill('SIGTERM');
    await broker!.exited;
    broker = undefined;

    expect(confirmedButLost).toEqual([]);
    expect({ flagged, notFlagged: notFlagged.length }).toEqual({ flagged: expect.any(Number), notFlagged: 0 });
    // At least the message the kill came with in each round.
    expect(flagged).toBeGreaterThanOrEqual(ROUNDS);
  });
});
