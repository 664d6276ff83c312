import amqplib from 'amqplib';
import { waitFor } from '../support/wait-for.js';
import { levelStore, useRestartableBroker } from '../support/restartable-broker.js';

// Deep enough that reading it at start-up would show: 20 times the window.
const COUNT = 4_000;
const WINDOW = 200;
// The head's first read-ahead batch (queue-pager.ts MAX_READ_BATCH) is the most a restart may read per queue.
const MAX_HEAD_READ = 1_000;

function body(i: number): Buffer {
  return Buffer.from(`restart-index-${i}|${'x'.repeat(100)}`);
}

/**
 * A restart reads each queue's index records (a few dozen bytes per message), not its backlog: the store's count of
 * message records read stays at the head window however deep the queue, counts and per-message facts (priority,
 * TTL, redelivered) come back from the index, and the bodies are read when consumers get there.
 */
describe('restart of a deep queue', () => {
  const restart = useRestartableBroker('warren-restart-index-');

  it('reads index records, not bodies, and delivers everything in order afterwards', async () => {
    let broker = await restart();
    let connection = await amqplib.connect(broker.url);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue('deep', { durable: true, arguments: { 'x-max-in-memory-length': WINDOW } });
    for (let i = 0; i < COUNT; i++) channel.sendToQueue('deep', body(i), { persistent: true });
    await channel.waitForConfirms();
    // One delivered and requeued by a closed channel: it must come back redelivered.
    const peek = await connection.createChannel();
    const got = await peek.get('deep');
    expect(got && got.content.equals(body(0))).toBe(true);
    await peek.close();
    await connection.close();

    broker = await restart();
    const store = levelStore(broker);
    expect(broker.queue('deep').messageCount).toBe(COUNT);
    // Restored from the counters: the bytes of the part not loaded yet are estimated from the first batch's sizes
    // (docs/RELIABILITY.md); the bodies here differ by a few bytes only.
    const totalBytes = Array.from({ length: COUNT }, (_, i) => body(i).length).reduce((a, b) => a + b);
    expect(Math.abs(broker.queue('deep').messageBytes - totalBytes)).toBeLessThan(totalBytes * 0.02);
    expect(store.recordsRead).toBeGreaterThan(0);
    expect(store.recordsRead).toBeLessThanOrEqual(MAX_HEAD_READ);
    expect(broker.queue('deep').pagedOutCount).toBeGreaterThanOrEqual(COUNT - MAX_HEAD_READ);

    connection = await amqplib.connect(broker.url);
    const consumer = await connection.createChannel();
    await consumer.prefetch(300);
    let next = 0;
    let isFirstRedelivered = false;
    await consumer.consume('deep', (message) => {
      if (!message) return;
      if (next === 0) isFirstRedelivered = message.fields.redelivered;
      expect(message.content.equals(body(next))).toBe(true);
      next++;
      consumer.ack(message);
    });
    await waitFor(() => next === COUNT, { timeoutMs: 45_000, what: 'every message' });
    expect(isFirstRedelivered).toBe(true);
    // Drained: the estimate's error is gone with the last of the restored run.
    expect(broker.queue('deep').messageBytes).toBe(0);
    // Every body was read once the consumer got there.
    expect(store.recordsRead).toBeGreaterThanOrEqual(COUNT);
    await connection.close();
  }, 90_000);

  it('restores priorities and per-message TTLs from the index', async () => {
    let broker = await restart();
    let connection = await amqplib.connect(broker.url);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue('prio', { durable: true, arguments: { 'x-max-priority': 5, 'x-max-in-memory-length': 10 } });
    for (let i = 0; i < 300; i++) {
      const options = i % 3 === 0 ? { priority: 5 } : i % 3 === 1 ? { expiration: '1' } : {};
      channel.sendToQueue('prio', Buffer.from(String(i)), { persistent: true, ...options });
    }
    await channel.waitForConfirms();
    await connection.close();

    broker = await restart();
    expect(levelStore(broker).recordsRead).toBeLessThanOrEqual(MAX_HEAD_READ);
    connection = await amqplib.connect(broker.url);
    const consumer = await connection.createChannel();
    const received: number[] = [];
    await consumer.consume(
      'prio',
      (message) => {
        if (message) received.push(Number(message.content.toString()));
      },
      { noAck: true },
    );
    // The 1 ms TTLs restart at recovery and run out; priority 5 first, then the rest in publish order.
    await waitFor(() => received.length === 200, { timeoutMs: 30_000, what: 'the unexpired messages' });
    const high = Array.from({ length: 100 }, (_, k) => 3 * k);
    const low = Array.from({ length: 100 }, (_, k) => 3 * k + 2);
    expect(received).toEqual([...high, ...low]);
    await connection.close();
  }, 60_000);
});
