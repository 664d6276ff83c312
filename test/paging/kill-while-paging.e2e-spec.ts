import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { LevelMessageStore } from '@app/storage/level';
import { spawnBrokerProcess, type BrokerProcess } from '../support/broker-process.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/**
 * SIGKILL while a queue pages: a confirm-mode publisher fills a queue with a window of 100 while a slow consumer
 * makes the broker read paged bodies back, and every third message is transient (spilled to the store's transient
 * range past the window). After the crash, an in-process broker over the same directory must hold every confirmed
 * persistent message not yet acked and no transient one, and the store must be consistent (counters match, no
 * orphaned bodies or index records, no transient record left, every body segment file gone once drained).
 */
describe('kill -9 while paging', () => {
  let dataDir: string;
  let child: BrokerProcess | undefined;
  let server: TestBroker | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-kill-paging-'));
  });

  afterEach(async () => {
    child?.child.kill('SIGKILL');
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no confirmed message and leaves a consistent store', async () => {
    child = spawnBrokerProcess({ WARREN_DATA_DIR: dataDir });
    const url = `amqp://guest:guest@127.0.0.1:${await child.port()}`;
    const connection = await amqplib.connect(url);
    connection.on('error', () => undefined);
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    await channel.assertQueue('paging', { durable: true, arguments: { 'x-max-in-memory-length': 100 } });
    // Transient messages only, no consumer: past its window they are all spilled.
    await channel.assertQueue('spilling', { durable: true, arguments: { 'x-max-in-memory-length': 10 } });

    const confirmed = new Set<number>();
    const acked = new Set<number>();
    const consumer = await connection.createChannel();
    consumer.on('error', () => undefined);
    await consumer.prefetch(20);
    await consumer.consume('paging', (message) => {
      if (!message) return;
      const n = parseInt(message.content.toString(), 10);
      // Slow and partial: acks every other one, so the backlog keeps growing and paging.
      if (n % 2 === 0) {
        consumer.ack(message);
        acked.add(n);
      } else consumer.nack(message, false, true);
    });
    let isCrashed = false;
    let next = 0;
    const publishing = (async () => {
      while (!isCrashed) {
        const n = next++;
        try {
          const persistent = n % 3 !== 0;
          // Past 256 bytes: persistent records go to the body log's segment files, pointers to LevelDB.
          channel.sendToQueue('paging', Buffer.from(String(n).padEnd(300, '.')), { persistent }, (error) => {
            if (!error && persistent) confirmed.add(n);
          });
          channel.sendToQueue('spilling', Buffer.alloc(512, n % 256));
        } catch {
          break;
        }
        if (next % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await waitFor(() => confirmed.size >= 5_000, { timeoutMs: 30_000, what: 'confirms before the crash' });
    // Far past its window of 10: the broker is spilling transient bodies when it dies.
    expect((await channel.checkQueue('spilling')).messageCount).toBeGreaterThan(1_000);
    child.child.kill('SIGKILL');
    await child.exited;
    child = undefined;
    isCrashed = true;
    await publishing;

    server = await startBroker({ storage: 'level', dataDir });
    const store = server.broker.core.storage!.messages;
    expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
    // Transient messages, spilled or not, are gone with their records.
    expect(server.queue('spilling').messageCount).toBe(0);
    if (!(store instanceof LevelMessageStore)) throw new Error('expected the LevelDB message store');
    expect(await store.spilledCount()).toBe(0);
    const queue = server.queue('paging');
    expect(queue.pagedOutCount).toBeGreaterThan(0);
    const received = new Set<number>();
    const after = await amqplib.connect(server.url);
    const drain = await after.createChannel();
    await drain.consume('paging', (message) => {
      received.add(parseInt(message!.content.toString(), 10));
      drain.ack(message!);
    });
    await waitFor(() => queue.messageCount === 0 && queue.unackedCount === 0, { timeoutMs: 30_000, what: 'draining' });
    await after.close();
    // Confirmed and not acked before the crash: still there (acks written lazily may bring some acked ones back).
    const lost = [...confirmed].filter((n) => !acked.has(n) && !received.has(n));
    expect(lost).toEqual([]);
    expect([...received].filter((n) => n % 3 === 0)).toEqual([]);
    await waitFor(async () => (await store.queueInfo(queue.storageId))?.messageCount === 0, { what: 'acks written' });
    expect(await store.verifyIntegrity()).toEqual({ ok: true, queues: [], errors: [], quarantined: [] });
    // No body left behind: every segment file of the drained queue is gone (the crash's unreferenced tail included).
    await waitFor(() => store.bodySegmentCount === 0 && readdirSync(join(dataDir, 'bodies')).length === 0, {
      timeoutMs: 30_000,
      what: 'body segments dropped',
    });
  }, 90_000);
});
