import { openMemoryStorage } from '@app/storage/memory';
import type { OpenedStorage } from '@app/storage';
import { BrokerStorage } from '../persistence/broker-storage.js';
import type { QueueConsumer } from './consumer.js';
import { Message, type QueueEntry } from './message.js';
import { Queue } from './queue.js';
import { QueuePager } from './queue-pager.js';

const persistent = (text: string, priority?: number): Message =>
  Message.withProperties('', 'q', priority === undefined ? { deliveryMode: 2 } : { deliveryMode: 2, priority }, Buffer.from(text));

/** Records deliveries in order; accepts everything. */
class RecordingConsumer implements QueueConsumer {
  readonly delivered: string[] = [];
  readonly tag = 'c';
  readonly noAck = true;
  readonly exclusive = false;
  readonly owner = {};
  canAccept(): boolean {
    return true;
  }
  deliver(_queue: Queue, entry: QueueEntry): void {
    this.delivered.push(entry.message.body.toString());
  }
  cancelledByServer(): void {}
}

/** Lets store reads (promises) settle, up to a bound. */
async function settle(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('QueuePager', () => {
  const entry = (seq: number, size = 10, isPersistent = true): QueueEntry => ({
    message: persistent(`m${seq}`),
    seq,
    redelivered: false,
    deliveryCount: 0,
    priority: 0,
    expiresAt: 0,
    size,
    isPersistent,
    isReady: false,
    isPagedOut: false,
    pageWhenStored: false,
  });

  it('loads a stored tail batch with its bodies only when their average size is known and enough of them fit', () => {
    const pager = new QueuePager({ messages: 1_000, bytes: 8 * 1024 * 1024 });
    expect(pager.tailBodiesBatch(undefined)).toBe(0); // a restored run's first batch: sizes not known yet
    expect(pager.tailBodiesBatch(1024)).toBe(1_000); // 1 MiB of 1 KiB bodies: the whole batch
    expect(pager.tailBodiesBatch(64 * 1024)).toBe(128); // 8 MiB of 64 KiB bodies
    expect(pager.tailBodiesBatch(1024 * 1024)).toBe(0); // 8 of 1 MiB: index records first, bodies by bytes after
  });

  it('spills transient entries past the bytes of the default window only, and past its count when the queue sets one', () => {
    const fill = (pager: QueuePager, count: number, size: number): boolean[] =>
      Array.from({ length: count }, (_, i) => {
        const e = entry(i + 1, size, false);
        pager.entered(e);
        return pager.admit(e, true);
      });
    // The default window's count does not spill small transient bodies (a write and a read each, for little memory).
    expect(fill(new QueuePager({ messages: 2, bytes: 100 }), 5, 10)).toEqual([false, false, false, false, false]);
    // Its bytes do: 30-byte bodies, from the fourth on (120 loaded bytes, itself included, are past 100).
    expect(fill(new QueuePager({ messages: 2, bytes: 100 }), 6, 30)).toEqual([false, false, false, true, true, true]);
    // A count set on the queue (x-max-in-memory-length, lazy) spills by count too.
    expect(fill(new QueuePager({ messages: 2, bytes: 100, transientMessages: 2 }), 4, 10)).toEqual([false, false, true, true]);
  });

  it('pages out durable entries past the window (messages or bytes), and everything after a paged one', () => {
    const pager = new QueuePager({ messages: 2, bytes: 100 });
    const entries = [entry(1), entry(2), entry(3), entry(4, 10, false)];
    for (const e of entries) {
      pager.entered(e);
      if (e.isPersistent) pager.admit(e);
    }
    // 3 loaded > 2: the first pages; then every later one does (an older one is paged), except a transient one.
    expect(entries.map((e) => pager.pageOut(e))).toEqual([false, false, true, false]);
    expect([pager.loadedCount, pager.pagedCount, pager.loadedBytes]).toEqual([3, 1, 30]);
    expect(entries[2]!.message).toBeUndefined();
    // Once one is paged, every later one is too, whatever the window (loaded entries stay a prefix).
    const later = entry(5);
    pager.entered(later);
    pager.admit(later);
    expect(pager.pageOut(later)).toBe(true);
    pager.left(entries[2]!);
    expect(pager.pagedCount).toBe(1);
    // Under the window nothing pages; past the bytes alone it does.
    const roomy = new QueuePager({ messages: 10, bytes: 100 });
    const small = entry(8);
    const big = entry(9, 200);
    roomy.entered(small);
    roomy.admit(small);
    expect(roomy.pageOut(small)).toBe(false);
    roomy.entered(big);
    roomy.admit(big);
    expect(roomy.pageOut(big)).toBe(true);
  });

  it('pages every new entry under broker-wide memory pressure, whatever the window', () => {
    const pager = new QueuePager({ messages: 1_000, bytes: 1_000_000 });
    QueuePager.isUnderMemoryPressure = true;
    try {
      const first = entry(1);
      pager.entered(first);
      expect(pager.admit(first)).toBe(true);
      expect(pager.pageOut(first)).toBe(true);
    } finally {
      QueuePager.isUnderMemoryPressure = false;
    }
    // Pressure gone, but a later entry still follows the paged one (the loaded entries stay a prefix).
    const second = entry(2);
    pager.entered(second);
    expect(pager.admit(second)).toBe(true);
    const fresh = new QueuePager({ messages: 1_000, bytes: 1_000_000 });
    const third = entry(3);
    fresh.entered(third);
    expect(fresh.admit(third)).toBe(false);
  });

  it('reads paged entries back in one batch from the head, skipping entries that left meanwhile', async () => {
    const pager = new QueuePager({ messages: 0, bytes: 0 });
    const entries = Array.from({ length: 5 }, (_, i) => entry(i));
    for (const e of entries) {
      pager.entered(e);
      pager.admit(e);
      pager.pageOut(e);
    }
    expect(pager.wantsRead).toBe(true);
    const asked: number[][] = [];
    let lost: QueueEntry[] | undefined;
    pager.readAhead(
      entries,
      async (batch) => {
        asked.push(batch.map((e) => e.seq));
        pager.left(entries[1]!); // purged while the read was in flight
        return batch.map(({ seq }) => (seq === 3 ? undefined : { data: persistent(`m${seq}`).storageData }));
      },
      (l) => (lost = l),
      (error) => {
        throw error;
      },
    );
    expect(pager.reading).toBe(true);
    await settle(() => lost !== undefined);
    expect(asked).toEqual([[0, 1, 2, 3, 4]]);
    expect(lost).toEqual([entries[3]]);
    expect(entries.map((e) => e.isPagedOut)).toEqual([false, true, false, true, false]);
    expect(entries[4]!.message.body.toString()).toBe('m4');
    expect([pager.loadedCount, pager.pagedCount]).toEqual([3, 1]);
  });
});

describe('Queue with a small in-memory window', () => {
  let storage: OpenedStorage;

  beforeEach(async () => {
    storage = await openMemoryStorage();
  });
  afterEach(async () => {
    await storage.close();
  });

  async function pagedQueue(args: Record<string, number | string>, messages: Message[]): Promise<Queue> {
    const queue = new Queue('q', '/', { durable: true, exclusive: false, autoDelete: false, arguments: args }, null);
    queue.storage = new BrokerStorage(storage.messages, storage.metadata);
    const entries = messages.map((m) => queue.push(m)!);
    await storage.messages.enqueue(entries.map((e) => ({ queueId: queue.storageId, seq: e.seq, data: e.message.storageData })));
    for (const e of entries) queue.stored(e);
    return queue;
  }

  it('delivers every message in order, reading paged bodies ahead in batches', async () => {
    const queue = await pagedQueue(
      { 'x-max-in-memory-length': 4 },
      Array.from({ length: 500 }, (_, i) => persistent(`m${i}`)),
    );
    expect(queue.pagedOutCount).toBe(496);
    expect(queue.messageCount).toBe(500);
    const consumer = new RecordingConsumer();
    queue.addConsumer(consumer);
    // The loaded window goes at once; the rest follows each batch read, never out of order.
    expect(consumer.delivered).toEqual(['m0', 'm1', 'm2', 'm3']);
    await settle(() => consumer.delivered.length === 500);
    expect(consumer.delivered).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    expect([queue.messageCount, queue.pagedOutCount, queue.messageBytes]).toEqual([0, 0, 0]);
  });

  it('loads a tail run batch by batch while the window wants it, even with a paged-out message waiting behind it', async () => {
    // The last message carries a TTL, so it cannot join the tail run: a paged-out entry after it.
    const expiring = Message.withProperties('', 'q', { deliveryMode: 2, expiration: '600000' }, Buffer.from('m500'));
    const queue = await pagedQueue({ 'x-max-in-memory-length': 4 }, [
      ...Array.from({ length: 500 }, (_, i) => persistent(`m${i}`)),
      expiring,
    ]);
    expect(queue.pagedOutCount).toBe(497);
    // A consumer without credit: the queue reads ahead for it, and then has no reason to read more.
    const full = new RecordingConsumer();
    full.canAccept = () => false;
    queue.addConsumer(full);
    // Give any further loads every chance to run: none should, the window holds what was loaded.
    await settle(() => false);
    expect(queue.pagedOutCount).toBeGreaterThan(400);
    queue.removeConsumer(full);
    const consumer = new RecordingConsumer();
    queue.addConsumer(consumer);
    await settle(() => consumer.delivered.length === 501);
    expect(consumer.delivered).toEqual([...Array.from({ length: 500 }, (_, i) => `m${i}`), 'm500']);
  });

  it('lets basic.get wait for a paged-out head (headLoaded), then take it in order', async () => {
    const queue = await pagedQueue(
      { 'x-queue-mode': 'lazy' },
      Array.from({ length: 100 }, (_, i) => persistent(`m${i}`)),
    );
    expect(queue.pagedOutCount).toBe(100);
    const taken: string[] = [];
    for (let i = 0; i < 100; i++) {
      await queue.headLoaded();
      taken.push(queue.take(false)!.message.body.toString());
    }
    expect(taken).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(queue.headLoaded()).toBeUndefined();
    expect(queue.take(false)).toBeUndefined();
  });

  it('keeps priority order across paged-out levels', async () => {
    const messages = Array.from({ length: 60 }, (_, i) => persistent(`m${i}`, i % 3));
    const queue = await pagedQueue({ 'x-max-in-memory-length': 2, 'x-max-priority': 2 }, messages);
    const consumer = new RecordingConsumer();
    queue.addConsumer(consumer);
    await settle(() => consumer.delivered.length === 60);
    const order = [2, 1, 0].flatMap((p) => messages.filter((_, i) => i % 3 === p).map((m) => m.body.toString()));
    expect(consumer.delivered).toEqual(order);
  });

  it('parses the window arguments; x-queue-mode=lazy means a window of 0', () => {
    const policy = (args: Record<string, unknown>) =>
      new Queue('q', '/', { durable: true, exclusive: false, autoDelete: false, arguments: args as never }, null).policy;
    expect(policy({ 'x-queue-mode': 'lazy' })).toMatchObject({ maxInMemoryLength: 0, maxInMemoryBytes: 0 });
    expect(policy({ 'x-max-in-memory-length': 5, 'x-max-in-memory-bytes': 64 })).toMatchObject({
      maxInMemoryLength: 5,
      maxInMemoryBytes: 64,
    });
    expect(() => policy({ 'x-queue-mode': 'eager' })).toThrow(/x-queue-mode/);
    expect(() => policy({ 'x-max-in-memory-length': -1 })).toThrow(/value_negative/);
  });
});
