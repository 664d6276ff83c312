import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { memoryUsed } from '../support/forced-gc.js';
import { waitFor } from '../support/wait-for.js';
import { levelStore, useRestartableBroker } from '../support/restartable-broker.js';

// 60,000 transient messages of 1 KiB: with a window holding them all the growth measured ≈ 110 MiB (bodies,
// Message objects, index entries); paged, it is the index entries (~150 bytes each) plus noise.
const COUNT = 60_000;
const BODY_BYTES = 1024;
const WINDOW = 500;
const HEAP_GROWTH_BOUND = 40 * 1024 * 1024;

function body(i: number): Buffer {
  const out = Buffer.alloc(BODY_BYTES, 0x61 + (i % 26));
  out.write(`t${i}:`);
  return out;
}

/**
 * Transient messages page too: past the window their bodies go to the store's transient range, so a deep queue of
 * transient messages keeps the heap flat; they come back in order with their bodies, and are gone after a restart.
 */
describe('transient paging', () => {
  const restart = useRestartableBroker('warren-transient-');

  it(`keeps the heap flat with ${COUNT} transient messages and delivers them all in order`, async () => {
    const broker = await restart();
    const connection = await amqplib.connect(broker.url);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue('transient', { durable: false, arguments: { 'x-max-in-memory-length': WINDOW } });
    const before = memoryUsed();
    let peak = 0;
    for (let i = 0; i < COUNT;) {
      for (const end = Math.min(COUNT, i + 2_000); i < end; i++) channel.sendToQueue('transient', body(i));
      await channel.waitForConfirms();
      peak = Math.max(peak, memoryUsed() - before);
    }
    await waitFor(() => broker.queue('transient').pagedOutCount >= COUNT - WINDOW - 1, { timeoutMs: 20_000, what: 'paging out' });
    peak = Math.max(peak, memoryUsed() - before);
    process.stdout.write(`transient paging heap+external growth peak: ${(peak / 1048576).toFixed(1)} MiB\n`);
    expect(peak).toBeLessThan(HEAP_GROWTH_BOUND);
    const store = levelStore(broker);
    expect(await store.spilledCount()).toBeGreaterThanOrEqual(COUNT - WINDOW - 1);
    // Not messages of the store: nothing to recover, nothing counted.
    expect(await store.queueIds()).toEqual([]);

    const consumer = await connection.createChannel();
    await consumer.prefetch(500);
    let next = 0;
    let isIntact = true;
    await consumer.consume('transient', (message) => {
      if (!message) return;
      if (!message.content.equals(body(next))) isIntact = false;
      next++;
      consumer.ack(message);
    });
    await waitFor(() => next === COUNT, { timeoutMs: 60_000, what: 'every message' });
    expect(isIntact).toBe(true);
    // Read back and delivered: every transient record is dropped again.
    await waitFor(async () => (await store.spilledCount()) === 0, { what: 'the transient range to empty' });
    // And its segment files are unlinked: the disk comes back as soon as it is drained.
    const spillDir = join(broker.dataDir!, 'spill');
    await waitFor(() => readdirSync(spillDir).length === 0, { what: 'the spill files to be unlinked' });
    await connection.close();
  }, 120_000);

  it('dead-letters expired paged transient messages with their bodies, and drops the rest at restart', async () => {
    let server = await restart();
    let connection = await amqplib.connect(server.url);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue('dlq', { durable: false });
    await channel.assertQueue('ttl', {
      durable: false,
      arguments: { 'x-max-in-memory-length': 10, 'x-message-ttl': 200, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' },
    });
    await channel.assertQueue('kept', { durable: true, arguments: { 'x-max-in-memory-length': 10 } });
    for (let i = 0; i < 300; i++) channel.sendToQueue('ttl', body(i));
    for (let i = 0; i < 300; i++) channel.sendToQueue('kept', body(i), { persistent: i % 2 === 0 });
    await channel.waitForConfirms();
    const broker = server;
    await waitFor(() => broker.queue('kept').pagedOutCount >= 280, { what: 'paging out' });
    await waitFor(() => broker.queue('dlq').messageCount === 300, { timeoutMs: 20_000, what: 'dead letters' });
    const consumer = await connection.createChannel();
    const dead: Buffer[] = [];
    await consumer.consume('dlq', (message) => message && dead.push(message.content), { noAck: true });
    await waitFor(() => dead.length === 300, { what: 'dead letters delivered' });
    expect(dead.every((content, i) => content.equals(body(i)))).toBe(true);
    await connection.close();

    // The transient half of 'kept' was paged to the transient range: gone after a restart, with its records.
    server = await restart();
    expect(await levelStore(server).spilledCount()).toBe(0);
    expect(server.queue('kept').messageCount).toBe(150);
    connection = await amqplib.connect(server.url);
    const after = await connection.createChannel();
    const kept: Buffer[] = [];
    await after.consume('kept', (message) => message && kept.push(message.content), { noAck: true });
    await waitFor(() => kept.length === 150, { what: 'the persistent half' });
    expect(kept.every((content, i) => content.equals(body(2 * i)))).toBe(true);
    await connection.close();
  }, 60_000);
});
