import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { useNodeStorage } from '../../test/support/postgres-node-storage.js';
import { messageRecordOf, messageRecordPayload } from '../message-record.js';

// Shared queues' claims (postgres-shared-queue-store.ts) against a real server: two nodes on one schema.
let schemas = 0;
const stores = useNodeStorage('warren_shared_spec', { sharedQueues: true });
const open = stores.open;

const record = (text: string): Buffer => messageRecordOf(Buffer.from(text));
const texts = (messages: ReadonlyArray<{ data: Buffer }>): string[] => messages.map((m) => messageRecordPayload(m.data).toString('latin1'));

describe('PostgreSQL shared queue store', () => {
  it('hands each message to one claimer, in seq order, and deletes what is settled', async () => {
    const schema = `shared_${++schemas}`;
    const a = (await open(schema, 'a')).sharedQueues!;
    const b = (await open(schema, 'b')).sharedQueues!;
    await Promise.all([
      a.publish(Array.from({ length: 30 }, (_, i) => ({ queueId: 'q', data: record(`a${i}`) }))),
      b.publish(Array.from({ length: 30 }, (_, i) => ({ queueId: 'q', data: record(`b${i}`) }))),
      a.publish([{ queueId: 'other', data: record('x') }]),
    ]);
    // Both claim at once, in small batches, until nothing is left.
    const claimed = [[], []] as Array<Array<{ seq: number; data: Buffer }>>;
    await Promise.all(
      [a, b].map(async (store, i) => {
        for (let batch = await store.claim('q', 7); batch.length > 0; batch = await store.claim('q', 7)) {
          expect(batch.map((m) => m.seq)).toEqual([...batch.map((m) => m.seq)].sort((x, y) => x - y));
          claimed[i]!.push(...batch);
        }
      }),
    );
    const all = [...claimed[0]!, ...claimed[1]!];
    expect(all).toHaveLength(60);
    expect(new Set(all.map((m) => m.seq)).size).toBe(60);
    expect(new Set(texts(all)).size).toBe(60);
    a.settle(
      'q',
      claimed[0]!.map((m) => m.seq),
    );
    // b's rows cannot be settled by a: only the owner's delete counts.
    a.settle(
      'q',
      claimed[1]!.map((m) => m.seq),
    );
    await a.publish([]);
    await a.publish([{ queueId: 'q', data: record('late') }]);
    b.release(
      'q',
      claimed[1]!.map((m) => m.seq),
    );
    await b.publish([{ queueId: 'other', data: record('y') }]);
    const again = await a.claim('q', 100);
    expect(again).toHaveLength(claimed[1]!.length + 1);
    expect(again.filter((m) => m.redelivered)).toHaveLength(claimed[1]!.length);
    expect(texts(await b.claim('other', 10))).toHaveLength(2);
  });

  it('wakes listeners of a queue at commit and releases the claims of a node that is gone', async () => {
    const schema = `shared_${++schemas}`;
    const aStorage = await open(schema, 'a');
    const a = aStorage.sharedQueues!;
    const b = (await open(schema, 'b')).sharedQueues!;
    const heard: string[] = [];
    await b.listen(
      (queueId) => heard.push(queueId),
      () => undefined,
    );
    await a.publish([{ queueId: 'q/1%', data: record('one') }]);
    expect(await a.claim('q/1%', 10)).toHaveLength(1);
    // Polled with a generous bound (as postgres-cluster-store.spec.ts does): a busy machine delays notifications.
    const deadline = Date.now() + 30_000;
    while (heard.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(heard).toEqual(['q/1%']);
    // a leaves (deregisters): its claim is an orphan, released redelivered for anyone.
    expect(await b.releaseOrphans()).toBe(0);
    await aStorage.cluster!.deregister();
    expect(await b.releaseOrphans()).toBe(1);
    expect(await b.claim('q/1%', 10)).toMatchObject([{ redelivered: true }]);
  });

  it('counts TTLs from the publish, never hands out an expired message, and sweeps each one to one node', async () => {
    const schema = `shared_${++schemas}`;
    const a = (await open(schema, 'a')).sharedQueues!;
    const b = (await open(schema, 'b')).sharedQueues!;
    const now = Date.now();
    await a.publish([
      { queueId: 't', data: record('due'), expiresAt: now - 1 },
      { queueId: 't', data: record('later'), expiresAt: now + 600_000 },
      { queueId: 't', data: record('never') },
      { queueId: 'u', data: record('due elsewhere'), expiresAt: now - 1 },
    ]);
    // The expired one is passed over; the others carry what their TTL has left, counted from the publish.
    const claimed = await b.claim('t', 10);
    expect(claimed).toHaveLength(2);
    expect(claimed[0]!.ttlLeft).toBeGreaterThan(0);
    expect(claimed[0]!.ttlLeft).toBeLessThanOrEqual(600_000);
    expect(claimed[1]!.ttlLeft).toBeUndefined();
    // Both nodes sweep at once: the expired message goes to one of them, only for the queues asked about.
    const [fromA, fromB] = await Promise.all([a.expire(['t'], 10), b.expire(['t'], 10)]);
    const swept = [...fromA.expired, ...fromB.expired];
    expect(swept.map(({ queueId, data }) => ({ queueId, data }))).toEqual([{ queueId: 't', data: record('due') }]);
    // What is claimed is not the sweep's: no deadline left among the ready ones of 't'.
    expect((await a.expire(['t'], 10)).nextExpiryMs).toBeUndefined();
    b.release(
      't',
      claimed.map((m) => m.seq),
    );
    await b.publish([{ queueId: 'flush', data: record('f') }]);
    const next = await a.expire(['t'], 10);
    expect(next.expired).toEqual([]);
    expect(next.nextExpiryMs).toBeGreaterThan(0);
    expect(next.nextExpiryMs).toBeLessThanOrEqual(600_000);
    // The sweeper settles what it took; nothing of 't' but the two released messages is left.
    const sweeper = fromA.expired.length > 0 ? a : b;
    sweeper.settle('t', [swept[0]!.seq]);
    await sweeper.publish([{ queueId: 'flush', data: record('f') }]);
    expect(await a.claim('t', 10)).toMatchObject([{ redelivered: true }, { redelivered: true }]);
    expect((await b.expire(['u'], 10)).expired).toHaveLength(1);
  });

  it('gives a queue one active consumer across nodes, freed by its node or taken over once that node is gone', async () => {
    const schema = `shared_${++schemas}`;
    const a = (await open(schema, 'a')).sharedQueues!;
    const bStorage = await open(schema, 'b');
    const b = bStorage.sharedQueues!;
    const freed: string[] = [];
    await b.listen(
      () => undefined,
      () => undefined,
      (queueId) => freed.push(queueId),
    );
    expect(await a.acquireActive('s%', 'ctag-a1')).toEqual({ node: 'a', consumerTag: 'ctag-a1', isThisNode: true });
    expect(await b.acquireActive('s%', 'ctag-b1')).toEqual({ node: 'a', consumerTag: 'ctag-a1', isThisNode: false });
    // a's next consumer took over there: the tag follows.
    expect(await a.acquireActive('s%', 'ctag-a2')).toEqual({ node: 'a', consumerTag: 'ctag-a2', isThisNode: true });
    // Only the holder's release frees it.
    await b.releaseActive('s%');
    expect(await b.acquireActive('s%', 'ctag-b1')).toMatchObject({ node: 'a', isThisNode: false });
    await a.releaseActive('s%');
    const deadline = Date.now() + 30_000;
    while (freed.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(freed).toEqual(['s%']);
    expect(await b.acquireActive('s%', 'ctag-b1')).toEqual({ node: 'b', consumerTag: 'ctag-b1', isThisNode: true });
    expect(await a.acquireActive('s%', 'ctag-a3')).toMatchObject({ node: 'b', isThisNode: false });
    // b leaves (or its lease runs out and it is reaped): a takes over.
    await bStorage.cluster!.deregister();
    expect(await a.acquireActive('s%', 'ctag-a3')).toEqual({ node: 'a', consumerTag: 'ctag-a3', isThisNode: true });
  });

  it('keeps transient messages in the unlogged child table and claims both tables in seq order', async () => {
    const schema = `shared_${++schemas}`;
    const a = (await open(schema, 'a')).sharedQueues!;
    // A group's first message transient too (its flags start with it).
    await a.publish([{ queueId: 'm', data: record('t-first'), isTransient: true }]);
    await a.publish([
      { queueId: 'm', data: record('p0') },
      { queueId: 'm', data: record('t1'), isTransient: true },
      { queueId: 'm', data: record('p2') },
      { queueId: 'm', data: record('t3'), isTransient: true, expiresAt: Date.now() - 1 },
      { queueId: 'm', data: record('t4'), isTransient: true },
    ]);
    const count = async (): Promise<unknown> => {
      const client = new pg.Client({ connectionString: stores.url });
      await client.connect();
      try {
        const { rows } = await client.query(
          `SELECT (SELECT count(*) FROM ONLY "${schema}".warren_shared_messages WHERE queue_id = 'm')::int AS durable,
                  (SELECT count(*) FROM "${schema}".warren_shared_transient WHERE queue_id = 'm')::int AS transient,
                  (SELECT relpersistence FROM pg_class WHERE oid = '"${schema}".warren_shared_transient'::regclass) AS persistence`,
        );
        return rows[0];
      } finally {
        await client.end();
      }
    };
    expect(await count()).toEqual({ durable: 2, transient: 4, persistence: 'u' });
    expect(await a.claim('m', 1)).toMatchObject([{ data: record('t-first') }]);
    // One order across both tables; the expired transient one is passed over, and swept like any other.
    const claimed = await a.claim('m', 10);
    expect(claimed.map((m) => m.data)).toEqual([record('p0'), record('t1'), record('p2'), record('t4')]);
    const { expired } = await a.expire(['m'], 10);
    expect(expired.map((m) => m.data)).toEqual([record('t3')]);
    // Settles and releases reach both tables.
    a.release('m', [claimed[1]!.seq]);
    a.settle(
      'm',
      [...claimed.filter((_, i) => i !== 1), ...expired].map((m) => m.seq),
    );
    await a.publish([{ queueId: 'flush', data: record('f') }]);
    // t-first stays claimed.
    expect(await count()).toEqual({ durable: 0, transient: 2, persistence: 'u' });
    expect(await a.claim('m', 10)).toMatchObject([{ data: record('t1'), redelivered: true }]);
  });
});

describe('PostgreSQL shared queue store: queue features across nodes', () => {
  const capped = (overflow: 'drop-head' | 'reject-publish' | 'reject-publish-dlx', maxLength?: number, maxLengthBytes?: number) => ({
    maxLength,
    maxLengthBytes,
    overflow,
    returnsDropped: true,
  });

  it('reject-publish: two nodes publishing at once fill the queue exactly to its limit', async () => {
    const schema = `shared_${++schemas}`;
    const a = (await open(schema, 'a')).sharedQueues!;
    const b = (await open(schema, 'b')).sharedQueues!;
    const limits = capped('reject-publish', 10);
    const batch = (prefix: string) => Array.from({ length: 8 }, (_, i) => ({ queueId: 'q', data: record(`${prefix}${i}`), limits }));
    // One transaction per node, racing for the queue's lock.
    const refused = await Promise.all([...batch('a'), ...batch('b')].map((entry, i) => (i % 2 === 0 ? a : b).publish([entry])));
    expect(refused.reduce((sum, n) => sum + n, 0)).toBe(6);
    expect(await a.count(['q'])).toEqual(new Map([['q', { unclaimed: 10, total: 10 }]]));
    // Claimed messages are not ready: the limit counts ready ones, as RabbitMQ does.
    expect(await b.claim('q', 4)).toHaveLength(4);
    expect(await a.publish(batch('c').slice(0, 5))).toBe(1);
    expect(await a.count(['q', 'none'])).toEqual(new Map([['q', { unclaimed: 10, total: 14 }]]));
  });

  it('x-max-length-bytes counts bodies; reject-publish refuses what would pass it', async () => {
    const schema = `shared_${++schemas}`;
    const a = (await open(schema, 'a')).sharedQueues!;
    const limits = capped('reject-publish', undefined, 100);
    const entry = (text: string, bodySize: number) => ({ queueId: 'q', data: record(text), bodySize, limits });
    expect(await a.publish([entry('a', 60), entry('b', 50), entry('c', 40)])).toBe(1);
    expect(texts(await a.claim('q', 10))).toEqual(['a', 'c']);
  });

  it('drop-head: deletes the oldest ready messages past the limits and hands them over for dead-lettering', async () => {
    const schema = `shared_${++schemas}`;
    const a = (await open(schema, 'a')).sharedQueues!;
    const b = (await open(schema, 'b')).sharedQueues!;
    const dropped: string[] = [];
    a.onDropped((queueId, records) =>
      dropped.push(...records.map((data) => `${queueId}:${messageRecordPayload(data).toString('latin1')}`)),
    );
    b.onDropped((queueId, records) =>
      dropped.push(...records.map((data) => `${queueId}:${messageRecordPayload(data).toString('latin1')}`)),
    );
    const limits = capped('drop-head', 5);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).publish([{ queueId: 'q', data: record(`m${i}`), limits }])),
    );
    expect(dropped).toHaveLength(7);
    const kept = await a.claim('q', 10);
    expect(kept).toHaveLength(5);
    // Every message either stays or was handed over once, whichever node published it.
    expect(new Set([...texts(kept), ...dropped.map((text) => text.slice(2))])).toEqual(
      new Set(Array.from({ length: 12 }, (_, i) => `m${i}`)),
    );
    expect(dropped.every((text) => text.startsWith('q:'))).toBe(true);
    // Bytes too, and without a dead-letter exchange the records are not read back.
    const quiet = { ...capped('drop-head', undefined, 100), returnsDropped: false };
    await a.publish([60, 50, 40].map((bodySize, i) => ({ queueId: 'bytes', data: record(`b${i}`), bodySize, limits: quiet })));
    expect(texts(await a.claim('bytes', 10))).toEqual(['b1', 'b2']);
    expect(dropped).toHaveLength(7);
  });

  it('drop-head on a priority queue drops from the head as claims see it: highest priority first', async () => {
    const schema = `shared_${++schemas}`;
    const a = (await open(schema, 'a')).sharedQueues!;
    const dropped: string[] = [];
    a.onDropped((_, records) => dropped.push(...records.map((data) => messageRecordPayload(data).toString('latin1'))));
    const limits = capped('drop-head', 2);
    await a.publish([0, 9, 0, 9, 5].map((priority, i) => ({ queueId: 'q', data: record(`p${priority}-${i}`), priority, limits })));
    expect(dropped.sort()).toEqual(['p5-4', 'p9-1', 'p9-3']);
    expect(texts(await a.claim('q', 10))).toEqual(['p0-0', 'p0-2']);
  });

  it('claims the highest priority first, then in seq order', async () => {
    const schema = `shared_${++schemas}`;
    const a = (await open(schema, 'a')).sharedQueues!;
    const b = (await open(schema, 'b')).sharedQueues!;
    await a.publish([0, 5, 0, 9, 5].map((priority, i) => ({ queueId: 'q', data: record(`p${priority}-${i}`), priority })));
    // Each claim returns its messages in seq order; which messages it takes follows priority.
    expect(texts(await b.claim('q', 2))).toEqual(['p5-1', 'p9-3']);
    expect(texts(await a.claim('q', 1))).toEqual(['p5-4']);
    expect(texts(await a.claim('q', 10))).toEqual(['p0-0', 'p0-2']);
  });

  it('keeps the delivery count of a delivered message over a release, for the next node to claim', async () => {
    const schema = `shared_${++schemas}`;
    const a = (await open(schema, 'a')).sharedQueues!;
    const b = (await open(schema, 'b')).sharedQueues!;
    await a.publish([{ queueId: 'q', data: record('once') }]);
    const [first] = await a.claim('q', 1);
    expect(first).toMatchObject({ redelivered: false, deliveryCount: 0 });
    a.release('q', [first!.seq], true);
    await a.publish([]);
    await a.publish([{ queueId: 'other', data: record('flush') }]);
    const [second] = await b.claim('q', 1);
    expect(second).toMatchObject({ seq: first!.seq, redelivered: true, deliveryCount: 1 });
    // Released undelivered (the last consumer left before delivering it): the count stays.
    b.release('q', [second!.seq], false);
    await b.publish([{ queueId: 'other', data: record('flush') }]);
    expect(await a.claim('q', 1)).toMatchObject([{ redelivered: true, deliveryCount: 1 }]);
  });
});
