import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { type PostgresCluster, startPostgresCluster } from '../../test/support/postgres-cluster.js';
import { messageRecordOf } from '../message-record.js';
import { openPostgresStorage, type PostgresStorage } from './open-postgres-storage.js';

// Membership, leases and the topology change log of multi-node mode, against a real server.
let cluster: PostgresCluster;
let url: string;
let admin: pg.Client;
let schemas = 0;
const opened: PostgresStorage[] = [];

beforeAll(async () => {
  cluster = await startPostgresCluster();
  url = await cluster.createDatabase('warren_cluster_spec');
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
}, 180_000);

afterAll(async () => {
  for (const storage of opened) await storage.close().catch(() => undefined);
  await admin?.end();
  await cluster?.stop();
}, 180_000);

async function open(schema: string, nodeName: string, nodeLeaseMs = 60_000): Promise<PostgresStorage> {
  const storage = await openPostgresStorage({ connectionString: url, schema, nodeName, nodeLeaseMs });
  opened.push(storage);
  return storage;
}

const vhostPut = (name: string) => ({ type: 'put' as const, kind: 'vhost' as const, key: name, value: Buffer.from(name) });

describe('PostgreSQL cluster store', () => {
  it('registers nodes under distinct names and refuses a live duplicate', async () => {
    const schema = `cluster_${++schemas}`;
    const a = await open(schema, 'a');
    const b = await open(schema, 'b');
    await a.cluster!.register({ pid: 1 });
    await b.cluster!.register({ pid: 2 });
    const again = await open(schema, 'a');
    await expect(again.cluster!.register({})).rejects.toMatchObject({ code: 'LOCKED' });
    expect((await a.cluster!.liveNodes()).map((node) => [node.name, node.info['pid']])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(await a.cluster!.renew()).toBe(true);
  });

  it('logs every metadata write with consecutive versions, readable by every node', async () => {
    const schema = `cluster_${++schemas}`;
    const a = await open(schema, 'a');
    const b = await open(schema, 'b');
    const start = await a.cluster!.register({});
    await b.cluster!.register({});
    // Writes of both nodes at once: versions must come out gapless, each with its writer.
    await Promise.all([
      a.metadata.apply([vhostPut('a1')]),
      b.metadata.apply([vhostPut('b1')]),
      a.metadata.apply([vhostPut('a2'), { type: 'del', kind: 'vhost', key: 'a1' }]),
    ]);
    const changes = await b.cluster!.changesSince(start);
    expect(changes.map((change) => change.version)).toEqual(changes.map((_, i) => start + i + 1));
    expect(await a.cluster!.version()).toBe(start + changes.length);
    const byNode = changes.map((change) => `${change.node}:${change.ops.map((op) => `${op.type} ${op.key}`).join(',')}`).sort();
    expect(byNode).toEqual(expect.arrayContaining(['b:put b1']));
    expect(byNode.join(' ')).toContain('put a1');
    expect(byNode.join(' ')).toContain('del a1');
    expect((await b.cluster!.changesSince(start + changes.length)).length).toBe(0);
    // Old entries are pruned; the version keeps counting.
    await a.cluster!.pruneChanges(60_000);
    expect((await b.cluster!.changesSince(start)).length).toBe(changes.length);
    await a.cluster!.pruneChanges(0);
    expect(await b.cluster!.changesSince(start)).toEqual([]);
    expect(await b.cluster!.version()).toBe(start + changes.length);
  });

  it('notifies listeners at commit', async () => {
    const schema = `cluster_${++schemas}`;
    const a = await open(schema, 'a');
    const b = await open(schema, 'b');
    await a.cluster!.register({});
    await b.cluster!.register({});
    let heard = 0;
    await b.cluster!.listen(
      () => heard++,
      () => undefined,
    );
    await a.metadata.apply([vhostPut('x')]);
    const deadline = Date.now() + 10_000;
    while (heard === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(heard).toBeGreaterThan(0);
  });

  it('expires a node whose lease ran out, removing its exclusive queues as a change logged under its name', async () => {
    const schema = `cluster_${++schemas}`;
    const dying = await open(schema, 'dying');
    const survivor = await open(schema, 'survivor');
    await dying.cluster!.register({});
    await survivor.cluster!.register({});
    await dying.cluster!.writeExclusiveQueue({ type: 'put', key: '["/","mine"]', value: Buffer.from('{}') });
    expect((await survivor.cluster!.exclusiveQueues()).map((queue) => queue.key)).toEqual(['["/","mine"]']);
    const before = await survivor.cluster!.version();
    // Its lease runs out (set back by hand rather than waited for): it is reaped, and it can tell it lost its lease.
    await admin.query(`UPDATE "${schema}".warren_nodes SET lease_expires_at = now() - interval '1 second' WHERE name = 'dying'`);
    expect(await survivor.cluster!.reapExpired()).toEqual(['dying']);
    expect(await dying.cluster!.renew()).toBe(false);
    expect(await survivor.cluster!.exclusiveQueues()).toEqual([]);
    const changes = await survivor.cluster!.changesSince(before);
    expect(changes).toEqual([{ version: before + 1, node: 'dying', ops: [{ type: 'del', kind: 'exclusive-queue', key: '["/","mine"]' }] }]);
    expect((await survivor.cluster!.liveNodes()).map((node) => node.name)).toEqual(['survivor']);
    // The name is free again.
    const restarted = await open(schema, 'dying');
    await expect(restarted.cluster!.register({})).resolves.toBeGreaterThan(before);
  });

  it("hands a dead or leaving node's non-durable exchanges and their bindings to a live node; its queues go with their bindings", async () => {
    const schema = `cluster_${++schemas}`;
    const dying = await open(schema, 'dying');
    const survivor = await open(schema, 'survivor');
    const other = await open(schema, 'other');
    for (const node of [dying, survivor, other]) await node.cluster!.register({});
    const put = (key: unknown[]) => dying.cluster!.writeExclusiveQueue({ type: 'put', key: JSON.stringify(key), value: Buffer.from('{}') });
    await put(['/', 'q']);
    await put(['exchange', '/', 'x']);
    await put(['binding', '/', 'x', 'queue', 'q', '', '']); // with its own queue: goes with it
    await put(['binding', '/', 'x', 'queue', 'durable', '', '']); // with a durable queue: stays
    await put(['binding', '/', 'x', 'exchange', 'amq.fanout', '', '']); // exchange to exchange: stays
    const before = await survivor.cluster!.version();
    await admin.query(`UPDATE "${schema}".warren_nodes SET lease_expires_at = now() - interval '1 second' WHERE name = 'dying'`);
    expect(await survivor.cluster!.reapExpired()).toEqual(['dying']);
    const owned = async () => (await other.cluster!.exclusiveQueues()).map(({ node, key }) => `${node} ${key}`).sort();
    expect(await owned()).toEqual([
      'survivor ["binding","/","x","exchange","amq.fanout","",""]',
      'survivor ["binding","/","x","queue","durable","",""]',
      'survivor ["exchange","/","x"]',
    ]);
    const [change] = await survivor.cluster!.changesSince(before);
    expect(change!.ops.map((op) => `${op.type} ${op.key}`).sort()).toEqual(['del ["/","q"]', 'del ["binding","/","x","queue","q","",""]']);
    // A clean leave hands them to another live node.
    await survivor.cluster!.deregister();
    expect(await owned()).toEqual([
      'other ["binding","/","x","exchange","amq.fanout","",""]',
      'other ["binding","/","x","queue","durable","",""]',
      'other ["exchange","/","x"]',
    ]);
    // The last node to leave takes them along.
    await other.cluster!.deregister();
    const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".warren_exclusive_queues`);
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it("reads a node's messages by prefix, page by page, and drops only up to the seqs taken over", async () => {
    const schema = `cluster_${++schemas}`;
    const dead = await open(schema, 'dead_1');
    const other = await open(schema, 'other');
    await dead.messages.enqueue([0, 1, 2].map((seq) => ({ queueId: 'dead_1#%2F/q', seq, data: messageRecordOf(Buffer.from(`m${seq}`)) })));
    // Another node's queue, and a name `_` would match as a LIKE wildcard: never read.
    await other.messages.enqueue([{ queueId: 'other#%2F/q', seq: 0, data: messageRecordOf(Buffer.from('x')) }]);
    await other.messages.enqueue([{ queueId: 'deadx1#%2F/q', seq: 0, data: messageRecordOf(Buffer.from('y')) }]);
    const first = await other.cluster!.messagesOf('dead_1', undefined, 2);
    expect(first.map((m) => [m.queueId, m.seq, m.data?.equals(messageRecordOf(Buffer.from(`m${m.seq}`)))])).toEqual([
      ['%2F/q', 0, true],
      ['%2F/q', 1, true],
    ]);
    const rest = await other.cluster!.messagesOf('dead_1', { queueId: '%2F/q', seq: 1 }, 2);
    expect(rest.map((m) => m.seq)).toEqual([2]);
    await other.cluster!.dropMessagesOf('dead_1', new Map([['%2F/q', 1]]));
    expect((await other.cluster!.messagesOf('dead_1', undefined, 10)).map((m) => m.seq)).toEqual([2]);
    expect(await other.cluster!.messagesOf('deadx1', undefined, 10)).toHaveLength(1);
  });

  it('forgets its exclusive queues and membership when it leaves', async () => {
    const schema = `cluster_${++schemas}`;
    const a = await open(schema, 'a');
    const b = await open(schema, 'b');
    await a.cluster!.register({});
    await b.cluster!.register({});
    await a.cluster!.writeExclusiveQueue({ type: 'put', key: 'k', value: Buffer.from('{}') });
    await a.cluster!.deregister();
    expect(await b.cluster!.exclusiveQueues()).toEqual([]);
    expect((await b.cluster!.liveNodes()).map((node) => node.name)).toEqual(['b']);
  });
});
