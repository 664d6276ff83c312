import amqplib from 'amqplib';
import { memoryUsed } from '../support/forced-gc.js';
import { waitFor } from '../support/wait-for.js';
import { useRestartableBroker } from '../support/restartable-broker.js';

// 60,000 persistent messages of 512 bytes (≈ 30 MiB of bodies, twice that as Message objects with their storage
// records): enough that an unpaged queue blows the heap bound below, small enough to stay well under a minute on a
// busy 2-core machine (the 200,000 took too long in-process with jest).
const COUNT = 60_000;
const BODY_BYTES = 512;
const WINDOW = 1_000;
// Index entries (~150 bytes each) and slack for the client's own buffers; the unpaged bodies alone are > 60 MiB.
const HEAP_GROWTH_BOUND = 40 * 1024 * 1024;

function body(i: number): Buffer {
  const out = Buffer.alloc(BODY_BYTES, 0x61 + (i % 26));
  out.write(`m${i}:`);
  return out;
}

describe('a queue deeper than its in-memory window', () => {
  const restart = useRestartableBroker('warren-paging-');

  it(`keeps the heap flat with ${COUNT} persistent messages and delivers all in order across a restart`, async () => {
    let broker = await restart();
    let connection = await amqplib.connect(broker.url);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue('deep', { durable: true, arguments: { 'x-max-in-memory-length': WINDOW } });
    const before = memoryUsed();
    let peak = 0;
    for (let i = 0; i < COUNT;) {
      for (const end = Math.min(COUNT, i + 2_000); i < end; i++) channel.sendToQueue('deep', body(i), { persistent: true });
      await channel.waitForConfirms();
      peak = Math.max(peak, memoryUsed() - before);
    }
    expect((await channel.checkQueue('deep')).messageCount).toBe(COUNT);
    // The bodies past the window left memory once durable.
    await waitFor(() => broker.queue('deep').pagedOutCount >= COUNT - WINDOW, { timeoutMs: 10_000, what: 'paging out' });
    // And past the window they are counts in a tail segment, not an entry each (lazy-ready-list.ts).
    expect(broker.queue('deep').tailCount).toBeGreaterThanOrEqual(COUNT - 2 * WINDOW);
    peak = Math.max(peak, memoryUsed() - before);
    process.stdout.write(`deep-queue heap+external growth peak: ${(peak / 1048576).toFixed(1)} MiB\n`);
    expect(peak).toBeLessThan(HEAP_GROWTH_BOUND);

    // Half now, with a prefetch: the consumer is fed from the read-ahead, in order, bodies intact.
    let next = 0;
    const consumeUpTo = async (limit: number): Promise<void> => {
      const consumer = await connection.createChannel();
      await consumer.prefetch(500);
      const { consumerTag } = await consumer.consume('deep', (message) => {
        if (!message) return;
        if (next < limit) {
          expect(message.content.equals(body(next))).toBe(true);
          next++;
          consumer.ack(message);
        } else {
          consumer.nack(message, false, true);
        }
      });
      await waitFor(() => next >= limit, { timeoutMs: 45_000, what: `messages up to ${limit}` });
      await consumer.cancel(consumerTag);
      await consumer.close();
    };
    await consumeUpTo(COUNT / 2);
    // Acks are written with the next group commit; a confirmed publish forces one before the restart.
    await channel.assertQueue('marker', { durable: true });
    channel.sendToQueue('marker', Buffer.from('x'), { persistent: true });
    await channel.waitForConfirms();
    await connection.close();

    broker = await restart();
    expect(broker.queue('deep').messageCount).toBe(COUNT - next);
    expect(broker.queue('deep').pagedOutCount).toBeGreaterThanOrEqual(COUNT - next - WINDOW);
    connection = await amqplib.connect(broker.url);

    await consumeUpTo(COUNT);
    expect(next).toBe(COUNT);
    await waitFor(() => broker.queue('deep').messageCount === 0 && broker.queue('deep').unackedCount === 0);
    await connection.close();
    const report = await broker.broker.core.storage!.messages.verifyIntegrity();
    expect(report.ok).toBe(true);
  }, 120_000);
});
