import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import type { LevelBatchFn } from '@app/storage/level';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

const KEEP = 'fault.keep';
const READ = 'fault.read';

/**
 * Storage faults: while every LevelDB write fails as on a full disk,
 * persistent publishes are nacked and never confirmed, consumers keep receiving and acking what is stored, the
 * broker reopens the store by itself once writes work again, and nothing confirmed is lost across a restart.
 */
describe('storage fault (disk full)', () => {
  let dataDir: string;
  let server: TestBroker | undefined;
  let connection: amqplib.ChannelModel | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-fault-'));
  });

  afterEach(async () => {
    await connection?.close().catch(() => undefined);
    connection = undefined;
    await server?.close();
    server = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('nacks publishes while writes fail, keeps serving reads, reopens by itself and loses nothing confirmed', async () => {
    let isDiskFull = false;
    let failedWrites = 0;
    // A hand-written fake around the real batch: fails every write, as LevelDB does on ENOSPC, while the flag is set.
    const batchFn: LevelBatchFn = (db, ops, options) => {
      if (!isDiskFull) return db.batch(ops, options);
      failedWrites++;
      return Promise.reject(new Error('IO error: /data/000005.log: No space left on device'));
    };
    server = await startBroker({ storage: 'level', dataDir, storageRetryMs: 20 }, { batchFn });
    connection = await amqplib.connect(server.url);
    const publisher = await connection.createConfirmChannel();
    await publisher.assertQueue(KEEP, { durable: true });
    await publisher.assertQueue(READ, { durable: true });

    const published = new Set<string>();
    const confirmed = new Set<string>();
    const nacked = new Set<string>();
    /** Publishes one persistent message; resolves true on basic.ack, false on basic.nack. */
    const publish = (queue: string, id: string): Promise<boolean> =>
      new Promise((resolve) => {
        published.add(id);
        publisher.sendToQueue(queue, Buffer.from(id), { persistent: true, messageId: id }, (error) => {
          (error ? nacked : confirmed).add(id);
          resolve(!error);
        });
      });

    // Before: confirmed into both queues.
    const before = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => publish(KEEP, `before-keep-${i}`)),
      ...Array.from({ length: 20 }, (_, i) => publish(READ, `before-read-${i}`)),
    ]);
    expect(before.every(Boolean)).toBe(true);

    // During: every persistent publish is nacked, none is confirmed.
    isDiskFull = true;
    const during = await Promise.all(Array.from({ length: 10 }, (_, i) => publish(KEEP, `during-${i}`)));
    expect(during).toEqual(Array.from({ length: 10 }, () => false));
    expect(failedWrites).toBeGreaterThan(0);
    // Nacked messages do not linger in memory (they would be delivered now and gone after a restart).
    expect((await connection.createChannel().then((c) => c.checkQueue(KEEP))).messageCount).toBe(20);

    // Reads go on: a consumer gets every stored message of READ and acks it, with writes still failing.
    const consumer = await connection.createChannel();
    const received = new Set<string>();
    const { consumerTag } = await consumer.consume(READ, (message) => {
      if (!message) return;
      received.add(message.properties.messageId as string);
      consumer.ack(message);
    });
    await waitFor(() => received.size >= 20, { what: 'the stored messages of the read queue' });
    for (let i = 0; i < 20; i++) expect(received).toContain(`before-read-${i}`);
    await consumer.cancel(consumerTag);
    // The acks were accepted (an unknown delivery tag would have closed the channel) and the queue is drained.
    expect((await consumer.checkQueue(READ)).messageCount).toBe(0);
    // Still failing: still nacked.
    expect(await publish(KEEP, 'during-late')).toBe(false);

    // After: writes work again; the broker reopens the store on its own, and publishes are confirmed again.
    isDiskFull = false;
    let probe = 0;
    await waitFor(() => publish(KEEP, `probe-${probe++}`), { intervalMs: 20, what: 'a persistent publish to be confirmed again' });
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => publish(KEEP, `after-${i}`)));
    expect(after.every(Boolean)).toBe(true);
    expect(server.broker.core.storage?.messages.health.status).toBe('ok');

    for (const id of confirmed) expect(nacked).not.toContain(id);
    await connection.close();
    connection = undefined;
    await server.close();

    // Nothing confirmed is lost: after a restart KEEP holds every confirmed message, in order, and nothing that
    // was never published. (READ may bring back some acked messages whose removal failed: a redelivery.)
    server = await startBroker({ storage: 'level', dataDir });
    connection = await amqplib.connect(server.url);
    const checker = await connection.createChannel();
    const kept: string[] = [];
    for (;;) {
      const message = await checker.get(KEEP, { noAck: true });
      if (!message) break;
      kept.push(message.properties.messageId as string);
    }
    const confirmedToKeep = [...confirmed].filter((id) => !id.startsWith('before-read-'));
    expect(kept.filter((id) => confirmed.has(id))).toEqual(confirmedToKeep);
    for (const id of kept) expect(published).toContain(id);
    expect(new Set(kept).size).toBe(kept.length);
    for (;;) {
      const message = await checker.get(READ, { noAck: true });
      if (!message) break;
      expect(message.properties.messageId).toMatch(/^before-read-/);
    }
  });
});
