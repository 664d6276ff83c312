import { BROKER_ACTOR, BrokerCore, BrokerStorage, type TopologyCommand } from '@app/broker-core';
import { encodeFieldTable } from '@app/codec';
import type { ClusterChange, MetadataOp, MetadataRecord, MetadataStore, OpenedStorage } from '@app/storage';
import { openMemoryStorage } from '@app/storage/memory';
import { RemoteTopology, queueNodeOf } from './remote-topology.js';
import { SharedMetadataStore } from './shared-metadata-store.js';

/** The origin node's metadata store: records each apply() as the change the shared store would log. */
class RecordingMetadataStore implements MetadataStore {
  readonly changes: MetadataOp[][] = [];
  constructor(private readonly inner: MetadataStore) {}
  open = (): Promise<void> => this.inner.open();
  close = (): Promise<void> => this.inner.close();
  load = (): Promise<MetadataRecord[]> => this.inner.load();
  apply(ops: ReadonlyArray<MetadataOp>): Promise<void> {
    this.changes.push([...ops]);
    return this.inner.apply(ops);
  }
}

describe('RemoteTopology: applying other nodes’ changes', () => {
  let origin: BrokerCore;
  let follower: BrokerCore;
  let originStorage: OpenedStorage;
  let followerStorage: OpenedStorage;
  let recorder: RecordingMetadataStore;
  let remote: RemoteTopology;
  let reported: string[];
  let version = 0;

  beforeEach(async () => {
    originStorage = await openMemoryStorage();
    followerStorage = await openMemoryStorage();
    recorder = new RecordingMetadataStore(originStorage.metadata);
    origin = new BrokerCore();
    await origin.recover(new BrokerStorage(originStorage.messages, recorder), '(memory)');
    const shared = new SharedMetadataStore(followerStorage.metadata);
    follower = new BrokerCore();
    await follower.recover(new BrokerStorage(followerStorage.messages, shared), '(memory)');
    reported = [];
    remote = new RemoteTopology(follower, shared, (op, error) => reported.push(`${op.kind} ${op.type}: ${String(error)}`));
    recorder.changes.length = 0;
  });

  afterEach(async () => {
    origin.dispose();
    follower.dispose();
    await originStorage.close();
    await followerStorage.close();
  });

  /** Runs commands on the origin and waits for their writes. */
  async function onOrigin(...commands: TopologyCommand[]): Promise<void> {
    for (const command of commands) await origin.getVhost('/')!.execute(command, BROKER_ACTOR).written;
  }

  /** What the origin wrote since the last call, as logged changes. */
  function logged(): ClusterChange[] {
    return recorder.changes.splice(0).map((ops) => ({ version: ++version, node: 'warren@origin', ops }));
  }

  const durableTopic = { type: 'topic', durable: true, autoDelete: false, internal: false, arguments: {} };
  const durableQueue = { durable: true, exclusive: false, autoDelete: false, arguments: {} };

  it('declares exchanges, queues and bindings, idempotently, without writing them back', async () => {
    await onOrigin(
      { kind: 'exchange.declare', exchange: 'orders', options: durableTopic },
      { kind: 'queue.declare', queue: 'billing', options: durableQueue },
      { kind: 'queue.bind', queue: 'billing', exchange: 'orders', routingKey: 'order.*', arguments: {} },
    );
    const changes = logged();
    expect(changes).toHaveLength(3);
    for (const change of [...changes, ...changes]) remote.apply(change);
    const vhost = follower.getVhost('/')!;
    expect(vhost.topology.getExchange('orders')?.type.name).toBe('topic');
    expect(vhost.getQueue('billing')?.options.durable).toBe(true);
    expect([...vhost.topology.bindings()].map((b) => `${b.source.name}->${b.destination.name} ${b.routingKey}`)).toEqual([
      'orders->billing order.*',
    ]);
    expect(reported).toEqual([]);
    // Applied, not written: the follower's own store holds none of it (the shared store already does).
    const kinds = (await followerStorage.metadata.load()).map((record) => record.kind);
    expect(kinds.filter((kind) => kind === 'exchange' || kind === 'queue' || kind === 'binding')).toEqual([]);

    await onOrigin(
      { kind: 'queue.unbind', queue: 'billing', exchange: 'orders', routingKey: 'order.*', arguments: {} },
      { kind: 'queue.delete', queue: 'billing', ifUnused: false, ifEmpty: false },
      { kind: 'exchange.delete', exchange: 'orders', ifUnused: false },
    );
    const deletes = logged();
    for (const change of [...deletes, ...deletes]) remote.apply(change);
    expect(vhost.getQueue('billing')).toBeUndefined();
    expect(vhost.topology.getExchange('orders')).toBeUndefined();
    expect(reported).toEqual([]);
  });

  it('applies vhosts, users and permissions', async () => {
    await origin.createVhost('shop');
    await origin.users.createUser('alice', { password: 'wonderland', tags: [] });
    await origin.permissions.set('alice', 'shop', { configure: '.*', write: '.*', read: '' });
    for (const change of logged()) remote.apply(change);
    expect(follower.getVhost('shop')).toBeDefined();
    expect(await follower.users.authenticate('alice', 'wonderland', '127.0.0.1')).toBeDefined();
    expect(follower.permissions.get('alice', 'shop')).toMatchObject({ configure: '.*', write: '.*', read: '' });

    await origin.users.deleteUser('alice');
    await origin.deleteVhost('shop');
    for (const change of logged()) remote.apply(change);
    expect(follower.users.getUser('alice')).toBeUndefined();
    expect(follower.permissions.get('alice', 'shop')).toBeUndefined();
    expect(follower.getVhost('shop')).toBeUndefined();
  });

  it("holds another node's exclusive queue for it, and removes only that node's copy", () => {
    const value = Buffer.from(
      JSON.stringify({
        vhost: '/',
        name: 'private',
        durable: false,
        autoDelete: false,
        arguments: encodeFieldTable({}).toString('base64'),
      }),
    );
    const key = JSON.stringify(['/', 'private']);
    remote.apply({ version: 1, node: 'warren@d', ops: [{ type: 'put', kind: 'exclusive-queue', key, value }] });
    const vhost = follower.getVhost('/')!;
    const local = { owner: {} };
    expect(() =>
      vhost.execute({ kind: 'queue.declare', queue: 'private', options: { ...durableQueue, durable: false, exclusive: true } }, local),
    ).toThrow(/RESOURCE_LOCKED/);
    // A local connection's exclusive queue of the same name is never removed by another node's delete.
    vhost.execute({ kind: 'queue.declare', queue: 'mine', options: { ...durableQueue, durable: false, exclusive: true } }, local);
    remote.apply({ version: 2, node: 'warren@d', ops: [{ type: 'del', kind: 'exclusive-queue', key: JSON.stringify(['/', 'mine']) }] });
    expect(vhost.getQueue('mine')).toBeDefined();
    remote.apply({ version: 3, node: 'warren@d', ops: [{ type: 'del', kind: 'exclusive-queue', key }] });
    expect(vhost.getQueue('private')).toBeUndefined();
  });

  it("offers another node's non-durable queue to the shared table, and keeps knowing its node; never an exclusive one", () => {
    const offered: string[] = [];
    const sharing = new RemoteTopology(
      follower,
      new SharedMetadataStore(followerStorage.metadata),
      () => undefined,
      undefined,
      undefined,
      (queue) => {
        offered.push(queue.name);
        return true;
      },
    );
    const valueOf = (name: string, exclusive: boolean): Buffer =>
      Buffer.from(
        JSON.stringify({
          vhost: '/',
          name,
          exclusive,
          durable: false,
          autoDelete: false,
          arguments: encodeFieldTable({}).toString('base64'),
        }),
      );
    sharing.apply({
      version: 1,
      node: 'warren@d',
      ops: [
        { type: 'put', kind: 'exclusive-queue', key: JSON.stringify(['/', 'cats']), value: valueOf('cats', false) },
        { type: 'put', kind: 'exclusive-queue', key: JSON.stringify(['/', 'reply']), value: valueOf('reply', true) },
      ],
    });
    expect(offered).toEqual(['cats']);
    const vhost = follower.getVhost('/')!;
    // Still warren@d's queue here: its delete (by warren@d, or its reaping) removes this copy, a re-declare keeps it.
    expect(queueNodeOf(vhost.getQueue('cats')!)).toBe('warren@d');
    expect(queueNodeOf(vhost.getQueue('reply')!)).toBe('warren@d');
    sharing.apply({
      version: 2,
      node: 'warren@d',
      ops: [{ type: 'put', kind: 'exclusive-queue', key: JSON.stringify(['/', 'cats']), value: valueOf('cats', false) }],
    });
    expect(offered).toEqual(['cats']);
    sharing.apply({ version: 3, node: 'warren@d', ops: [{ type: 'del', kind: 'exclusive-queue', key: JSON.stringify(['/', 'cats']) }] });
    expect(vhost.getQueue('cats')).toBeUndefined();
  });

  it('skips what no longer fits and reports a bad op without stopping the others', () => {
    remote.apply({
      version: 1,
      node: 'warren@origin',
      ops: [
        { type: 'del', kind: 'exchange', key: JSON.stringify(['gone', 'x']) },
        { type: 'del', kind: 'binding', key: 'not json' },
        { type: 'put', kind: 'vhost', key: 'after', value: Buffer.from('{"name":"after"}') },
      ],
    });
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(/^binding del/);
    expect(follower.getVhost('after')).toBeDefined();
  });
});
