import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { useNodeStorage } from '../../test/support/postgres-node-storage.js';
import type { PostgresStorage } from './open-postgres-storage.js';

// Shared queues' use across nodes (postgres-shared-queue-usage.ts) against a real server: three nodes on one schema,
// deciding at the same moment.
let schemas = 0;
const stores = useNodeStorage('warren_usage_spec', { sharedQueues: true });
const open = stores.open;

/** Three nodes on a fresh schema. */
async function threeNodes(): Promise<PostgresStorage[]> {
  const schema = `usage_${++schemas}`;
  return [await open(schema, 'a'), await open(schema, 'b'), await open(schema, 'c')];
}

/** Runs one statement on the database (e.g. moving a queue's last use into the past). */
async function sql(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: stores.url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

describe('PostgreSQL shared queue use', () => {
  it('tells exactly one node that the last consumer of every node went, when two remove theirs at once', async () => {
    const [a, b, c] = (await threeNodes()).map((storage) => storage.sharedQueues!.usage);
    for (let round = 0; round < 10; round++) {
      const queueId = `%2F/q${round}%`;
      await Promise.all([a!.setConsumers(queueId, true), b!.setConsumers(queueId, true)]);
      expect(await c!.otherConsumers(queueId)).toBe(2);
      expect(await a!.otherConsumers(queueId)).toBe(1);
      const removed = await Promise.all([a!.setConsumers(queueId, false), b!.setConsumers(queueId, false)]);
      expect(removed.filter((outcome) => outcome.wasLast)).toHaveLength(1);
      // A node that was not consuming learns nothing from removing.
      expect(await c!.setConsumers(queueId, false)).toEqual({ wasLast: false });
    }
  });

  it('expires a queue once, only when no live node consumes it and it was unused for the period', async () => {
    const storages = await threeNodes();
    const [a, b, c] = storages.map((storage) => storage.sharedQueues!.usage);
    const schema = storages[0]!.database.tables.schema;
    await a!.ensure(['idle', 'consumed']);
    await b!.setConsumers('consumed', true);
    // Used just now: not expired, the period left.
    const fresh = await c!.checkExpiry('idle', 60_000);
    expect(fresh.expired).toBe(false);
    expect(fresh.inUse).toBe(false);
    expect(fresh.leftMs).toBeGreaterThan(50_000);
    await sql(`UPDATE "${schema}".warren_shared_queue_use SET last_used = now() - interval '1 hour'`);
    // Consumed on B: never expires, however long ago it was used.
    const consumed = await a!.checkExpiry('consumed', 1000);
    expect(consumed).toMatchObject({ expired: false, inUse: true });
    // Three nodes check the idle one at once: one of them deletes it.
    const checks = await Promise.all([a!, b!, c!].map((usage) => usage.checkExpiry('idle', 1000)));
    expect(checks.filter((check) => check.expired)).toHaveLength(1);
    // A use restarts the countdown on every node.
    await a!.ensure(['touched']);
    await sql(`UPDATE "${schema}".warren_shared_queue_use SET last_used = now() - interval '1 hour' WHERE queue_id = 'touched'`);
    await b!.touch(['touched']);
    const touched = await c!.checkExpiry('touched', 60_000);
    expect(touched.expired).toBe(false);
    expect(touched.leftMs).toBeGreaterThan(50_000);
  });

  it("drops a gone node's consumers once, telling one survivor the queue is unused", async () => {
    const storages = await threeNodes();
    const [a, b, c] = storages.map((storage) => storage.sharedQueues!.usage);
    await c!.setConsumers('left-by-c', true);
    await a!.setConsumers('still-used', true);
    await c!.setConsumers('still-used', true);
    await storages[2]!.cluster!.deregister();
    const [fromA, fromB] = await Promise.all([a!.reap(), b!.reap()]);
    const reaped = [...fromA, ...fromB].sort((x, y) => x.queueId.localeCompare(y.queueId));
    expect(reaped).toEqual([
      { queueId: 'left-by-c', isUnused: true },
      { queueId: 'still-used', isUnused: false },
    ]);
    expect(await b!.otherConsumers('still-used')).toBe(1);
    expect(await a!.reap()).toEqual([]);
    // A forgotten queue (deleted) has no row left to decide on.
    await a!.forget('still-used');
    expect(await b!.otherConsumers('still-used')).toBe(0);
  });

  it('looks at the rows again when a node went since the last reap, and sweeps for one that came and went unseen', async () => {
    const storages = await threeNodes();
    const [a, , c] = storages.map((storage) => storage.sharedQueues!.usage);
    expect(await a!.reap()).toEqual([]);
    // C goes after A's first reap: the next one sees it gone and drops its consumers.
    await c!.setConsumers('left-later', true);
    await storages[2]!.cluster!.deregister();
    expect(await a!.reap()).toEqual([{ queueId: 'left-later', isUnused: true }]);
    // A node A never saw live (registered and gone between two reaps): found by the periodic sweep, not every reap.
    const schema = `usage_${schemas}`;
    await sql(
      `INSERT INTO "${schema}".warren_shared_queue_use (queue_id, consumer_nodes, last_used) VALUES ('left-unseen', ARRAY[gen_random_uuid()], now())`,
    );
    expect(await a!.reap()).toEqual([]);
    let found: unknown[] = [];
    for (let reaps = 0; reaps < 25 && found.length === 0; reaps++) found = await a!.reap();
    expect(found).toEqual([{ queueId: 'left-unseen', isUnused: true }]);
  });
});
