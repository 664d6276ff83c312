import { describe, expect, it } from '@jest/globals';
import { useNodeStorage } from '../../test/support/postgres-node-storage.js';
import { messageRecordOf } from '../message-record.js';
import type { DueDelayedMessage } from '../shared-delayed-store.js';
import type { PostgresStorage } from './open-postgres-storage.js';

// Delayed messages held for every node (postgres-delayed-store.ts, docs/SCALE-OUT.md "Delayed messages") against a
// real server.
let schemas = 0;
const stores = useNodeStorage('warren_delayed_spec', { sharedQueues: true });
const open = stores.open;

const record = (text: string): Buffer => messageRecordOf(Buffer.from(text));
const texts = (due: ReadonlyArray<DueDelayedMessage>): string[] => due.map((m) => m.data.subarray(5).toString());

async function rows(storage: PostgresStorage, where = 'true'): Promise<number> {
  const { rows: found } = await storage.database.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${storage.database.tables.delayedMessages} WHERE ${where}`,
  );
  return Number(found[0]!.n);
}

/** Resolves with `poll()`'s value once it is defined, polling every 20 ms; rejects after `timeoutMs`. */
async function until<T>(poll: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await poll();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('PostgreSQL delayed message store', () => {
  it('holds messages until due on the database clock, hands them out in due order, and says when the next is due', async () => {
    const schema = `delayed_${++schemas}`;
    const a = await open(schema, 'warren@a');
    const heldAt = Date.now();
    // Seconds apart: a pause of the busy test machine between two steps must not make a message due early.
    await Promise.all([
      a.delayed!.hold('delayed:%2F/x', record('late'), 10_000),
      a.delayed!.hold('delayed:%2F/x', record('early'), 3000),
      a.delayed!.hold('delayed:%2F/y', record('other exchange'), 3000),
      // Past what an interval holds: held for centuries instead of failing the group.
      a.delayed!.hold('delayed:%2F/z', record('forever'), Number.MAX_SAFE_INTEGER),
    ]);
    const first = await a.delayed!.claimDue(['delayed:%2F/x'], 10);
    expect(first.due).toEqual([]);
    // The earliest of x's, counted from the insert: a little under 3 s by now.
    expect(first.nextDueMs).toBeGreaterThan(0);
    expect(first.nextDueMs).toBeLessThanOrEqual(3000);
    const early = await until(async () => {
      const claim = await a.delayed!.claimDue(['delayed:%2F/x'], 10);
      return claim.due.length > 0 ? claim : undefined;
    }, 'the early message due');
    expect(Date.now() - heldAt).toBeGreaterThanOrEqual(3000);
    expect(texts(early.due)).toEqual(['early']);
    expect(early.due[0]!.exchangeId).toBe('delayed:%2F/x');
    expect(early.nextDueMs).toBeGreaterThan(0);
    expect(early.nextDueMs).toBeLessThanOrEqual(10_000);
    // Claimed rows stay until settled; only exchanges asked for are claimed.
    expect(await rows(a)).toBe(4);
    a.delayed!.settle(early.due.map((m) => m.id));
    await until(async () => ((await rows(a)) === 3 ? true : undefined), 'the settle');
    expect(await rows(a, `exchange_id = 'delayed:%252F/z' AND due_at > now() + interval '200 years'`)).toBe(1);
    // y's came due with x's early one (3 s); x's late one is still held.
    const other = await a.delayed!.claimDue(['delayed:%2F/x', 'delayed:%2F/y'], 10);
    expect(texts(other.due)).toEqual(['other exchange']);
    expect(other.nextDueMs).toBeGreaterThan(0);
    const late = await until(
      async () => {
        const claim = await a.delayed!.claimDue(['delayed:%2F/x', 'delayed:%2F/y'], 10);
        return claim.due.length > 0 ? claim : undefined;
      },
      'the late message due',
      30_000,
    );
    expect(Date.now() - heldAt).toBeGreaterThanOrEqual(10_000);
    expect(texts(late.due)).toEqual(['late']);
    expect(late.nextDueMs).toBeUndefined();
  });

  it('never hands one message to two nodes claiming at once; settles only its own claims; releases give them back', async () => {
    const schema = `delayed_${++schemas}`;
    const a = await open(schema, 'warren@a');
    const b = await open(schema, 'warren@b');
    const count = 300;
    await Promise.all(Array.from({ length: count }, (_, i) => a.delayed!.hold('delayed:%2F/x', record(`m${i}`), 0)));
    const claimedBy = { a: [] as DueDelayedMessage[], b: [] as DueDelayedMessage[] };
    for (;;) {
      const [fromA, fromB] = await Promise.all([a.delayed!.claimDue(['delayed:%2F/x'], 40), b.delayed!.claimDue(['delayed:%2F/x'], 40)]);
      claimedBy.a.push(...fromA.due);
      claimedBy.b.push(...fromB.due);
      if (fromA.due.length === 0 && fromB.due.length === 0) break;
    }
    const all = [...texts(claimedBy.a), ...texts(claimedBy.b)];
    expect(all).toHaveLength(count);
    expect(new Set(all).size).toBe(count);
    // B settling A's claims deletes nothing; A releasing one gives it back to anyone.
    b.delayed!.settle(claimedBy.a.map((m) => m.id));
    a.delayed!.release(claimedBy.a.slice(0, 1).map((m) => m.id));
    a.delayed!.settle(claimedBy.a.slice(1).map((m) => m.id));
    await until(async () => ((await rows(a)) === claimedBy.b.length + 1 ? true : undefined), 'settles and the release');
    const again = await b.delayed!.claimDue(['delayed:%2F/x'], 10);
    expect(texts(again.due)).toEqual(texts(claimedBy.a.slice(0, 1)));
  });

  it("drops an exchange's held messages, not those held after the drop; gives back a gone node's claims", async () => {
    const schema = `delayed_${++schemas}`;
    const a = await open(schema, 'warren@a');
    const b = await open(schema, 'warren@b');
    await Promise.all([
      a.delayed!.hold('delayed:%2F/x', record('before'), 60_000),
      a.delayed!.hold('delayed:%2F/z', record('other exchange'), 60_000),
      // One turn: the drop closes its transaction, so the hold after it is kept.
      a.delayed!.dropExchange('delayed:%2F/x'),
      a.delayed!.hold('delayed:%2F/x', record('after'), 0),
    ]);
    expect(await rows(a, `exchange_id = 'delayed:%252F/x'`)).toBe(1);
    expect(await rows(a, `exchange_id = 'delayed:%252F/z'`)).toBe(1);
    const claim = await a.delayed!.claimDue(['delayed:%2F/x'], 10);
    expect(texts(claim.due)).toEqual(['after']);
    // A leaves with its claim: B gives it back and claims it.
    await a.cluster!.deregister();
    expect(await b.delayed!.releaseOrphans()).toBe(1);
    expect(texts((await b.delayed!.claimDue(['delayed:%2F/x'], 10)).due)).toEqual(['after']);
    // Due messages of an exchange no node knows (deleted while a hold was in flight) go once their grace ran out.
    await b.delayed!.hold('delayed:%2F/gone', record('stranded'), 0);
    await b.delayed!.hold('delayed:%2F/x', record('known'), 0);
    expect(await b.delayed!.dropStranded(['delayed:%2F/x'], 60_000)).toBe(0);
    await until(
      async () => ((await b.delayed!.dropStranded(['delayed:%2F/x'], 1)) === 1 ? true : undefined),
      'the stranded message dropped',
    );
    expect(await rows(b, `exchange_id = 'delayed:%252F/gone'`)).toBe(0);
    expect(texts((await b.delayed!.claimDue(['delayed:%2F/x'], 10)).due)).toEqual(['known']);
  });

  it('drops with the exchange delete: a hold through another node after that commit stays, however late the own pipeline is', async () => {
    const schema = `delayed_${++schemas}`;
    const a = await open(schema, 'warren@a');
    const b = await open(schema, 'warren@b');
    await a.metadata.open();
    await a.delayed!.hold('delayed:%2F/x', record('old'), 60_000);
    // A's own pipeline busy: a big group (with one more of x's) in flight when the exchange is deleted.
    const busy = Promise.all([
      ...Array.from({ length: 2000 }, (_, i) => a.delayed!.hold('delayed:%2F/other', record(`busy ${i}`.padEnd(2000, '.')), 60_000)),
      a.delayed!.hold('delayed:%2F/x', record('in flight'), 60_000),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    // One turn, as SharedMetadataStore does: the exchange's delete, its drop, and a hold of a new x through A.
    const deleted = a.metadata.apply([{ type: 'del', kind: 'exchange', key: JSON.stringify(['/', 'x']) }]);
    const dropped = a.delayed!.dropExchange('delayed:%2F/x');
    const afterOnA = a.delayed!.hold('delayed:%2F/x', record('after on A'), 60_000);
    await deleted;
    // B learned of the delete (its commit), x was declared again there, and B's hold is confirmed.
    await b.delayed!.hold('delayed:%2F/x', record('after on B'), 60_000);
    await Promise.all([dropped, afterOnA, busy]);
    const { rows: held } = await a.database.query<{ data: Buffer }>(
      `SELECT data FROM ${a.database.tables.delayedMessages} WHERE exchange_id = 'delayed:%252F/x'`,
    );
    expect(held.map((row) => row.data.subarray(5).toString()).sort()).toEqual(['after on A', 'after on B']);
    expect(await rows(a, `exchange_id = 'delayed:%252F/other'`)).toBe(2000);
  });

  it("deletes routed messages in the shared queues' commit that enqueues them (one transaction)", async () => {
    const schema = `delayed_${++schemas}`;
    const a = await open(schema, 'warren@a');
    const b = await open(schema, 'warren@b');
    await a.delayed!.hold('delayed:%2F/x', record('due'), 0);
    const { due } = await until(async () => {
      const claim = await a.delayed!.claimDue(['delayed:%2F/x'], 10);
      return claim.due.length > 0 ? claim : undefined;
    }, 'the message due');
    // B's delete of A's claim deletes nothing.
    await b.sharedQueues!.settleDelayed(due.map((m) => m.id));
    expect(await rows(a)).toBe(1);
    // One turn, as routing does: the enqueue and the delete join one group.
    const published = a.sharedQueues!.publish([{ queueId: '%2F/q', data: due[0]!.data }]);
    const settled = a.sharedQueues!.settleDelayed(due.map((m) => m.id));
    await published;
    // Visible together: the commit that made the enqueue visible deleted the held row.
    expect(await rows(a)).toBe(0);
    await settled;
    const { rows: queued } = await a.database.query<{ n: string }>(`SELECT count(*) AS n FROM ${a.database.tables.sharedMessages}`);
    expect(Number(queued[0]!.n)).toBe(1);
  });

  it('notifies every node of a hold with the ms until it is due', async () => {
    const schema = `delayed_${++schemas}`;
    const a = await open(schema, 'warren@a');
    const b = await open(schema, 'warren@b');
    const heard: number[] = [];
    await b.delayed!.listen(
      (ms) => heard.push(ms),
      () => undefined,
    );
    await Promise.all([a.delayed!.hold('delayed:%2F/x', record('one'), 50_000), a.delayed!.hold('delayed:%2F/x', record('two'), 20_000)]);
    await until(() => (heard.length > 0 ? true : undefined), 'the notification');
    // One transaction, one notification: the earlier of the two (less what the commit took, far under 10 s).
    expect(heard).toHaveLength(1);
    expect(heard[0]).toBeGreaterThan(10_000);
    expect(heard[0]).toBeLessThanOrEqual(20_000);
  });
});
