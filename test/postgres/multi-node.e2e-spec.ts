import amqplib, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { startAdminApi, type AdminApi } from '../admin-api/support/admin-stack.js';
import { channelError, confirmChannel, queueExists } from '../support/amqp-helpers.js';
import { BrokerNodes } from '../support/broker-nodes.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';

/** How long a change made on one node may take to show on another: a notification, else the heartbeat's poll. */
const SYNC_BOUND_MS = 15_000;

/** A way to run the nodes: every test below runs in both, the database failures only in the default one. */
interface Mode {
  readonly title: string;
  /** `WARREN_SHARED_QUEUES`: unset is the default (on in multi-node mode). */
  readonly sharedQueues: 'false' | undefined;
  /**
   * `WARREN_NODE_LEASE_MS`, heartbeats every third of it. Short, so a killed node expires within the test; with
   * shared queues long enough that a restart of PostgreSQL (about half a second here, more on a busy machine) fits
   * in the third of a lease a node has between a missed renewal and the next one before it gives up (at 90 %).
   */
  readonly leaseMs: number;
}

const MODES: readonly Mode[] = [
  { title: 'per-node messages (WARREN_SHARED_QUEUES=false)', sharedQueues: 'false', leaseMs: 3000 },
  { title: 'shared queues (the default)', sharedQueues: undefined, leaseMs: 9000 },
];

/**
 * Several real brokers (apps/broker in child processes, WARREN_MULTI_NODE=true) on one PostgreSQL schema, with
 * shared queues off and in the default mode: node membership and `/api/nodes`, topology made on one node usable on
 * another, a queue deleted on one node cancelling consumers on another, a killed node's exclusive queues removed
 * once its lease runs out, and nodes that stop serving when the database goes away. In the default mode also a
 * quick restart of PostgreSQL the nodes survive, and one node cut off from the database (node B reaches it through a
 * TCP proxy) that stops serving while the others go on.
 */
describe.each(MODES)('several nodes on one PostgreSQL schema, $title', ({ sharedQueues, leaseMs }) => {
  const LEASE_MS = leaseMs;
  const isShared = sharedQueues === undefined;
  const brokers = new BrokerNodes(isShared ? 'nodes_shared' : 'nodes', {
    WARREN_NODE_LEASE_MS: String(LEASE_MS),
    ...(sharedQueues === undefined ? {} : { WARREN_SHARED_QUEUES: sharedQueues }),
  });
  const { nodes, ports, connections } = brokers;
  const startNode = (name: string): Promise<number> => brokers.startNode(name);
  const connect = (name: string): Promise<ChannelModel> => brokers.connect(name);
  let admin: AdminApi | undefined;
  /** Between node B and PostgreSQL, in the default mode. */
  let proxy: TcpProxy | undefined;

  /** Ends every node's LISTEN connection from the server side, as a failover or a proxy restart would. */
  async function terminateListeners(): Promise<void> {
    const { rowCount } = await brokers.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'warren-listen'",
    );
    expect(rowCount).toBe(3);
  }

  /**
   * Rows of the shared table for `queue` of vhost `/`: the storage id is the vhost URI-encoded, a slash and the
   * name, stored with `%` escaped as `%25` (postgres-errors.ts encodeText).
   */
  async function sharedRows(queue: string): Promise<number> {
    const { rows } = await brokers.query<{ n: number }>('SELECT count(*)::int AS n FROM warren_shared_messages WHERE queue_id = $1', [
      `%252F/${queue}`,
    ]);
    return rows[0]!.n;
  }

  /** Whether node `name`'s process is still running. */
  const isRunning = (name: string): boolean => {
    const { child } = nodes.get(name)!;
    return child.exitCode === null && child.signalCode === null;
  };

  beforeAll(async () => {
    if (isShared) {
      await brokers.startCluster();
      proxy = await startTcpProxy(brokers.cluster.port);
      const throughProxy = new URL(brokers.databaseUrl);
      throughProxy.port = String(proxy.port);
      brokers.nodeEnv.set('warren@b', { WARREN_POSTGRES_URL: throughProxy.toString() });
    }
    await brokers.start();
  }, 300_000);

  afterAll(async () => {
    await admin?.stop();
    await brokers.stop();
    await proxy?.close();
  }, 180_000);

  it('lists every live node in /api/nodes and refuses a second live node with the same name', async () => {
    admin = await startAdminApi(`amqp://guest:guest@127.0.0.1:${await nodes.get('warren@a')!.managementPort()}`);
    const response = await admin.api('GET', '/api/nodes');
    expect(response.status).toBe(200);
    expect(response.body.map((node: { name: string }) => node.name)).toEqual(['warren@a', 'warren@b', 'warren@c']);
    // The node answering has its full object; the others what the shared store knows.
    expect(response.body[0]).toMatchObject({ name: 'warren@a', running: true, listeners: expect.any(Array) });
    expect(response.body[1]).toMatchObject({ name: 'warren@b', running: true });
    expect((await admin.api('GET', '/api/nodes/warren%40c')).body).toMatchObject({ name: 'warren@c', running: true });
    expect((await admin.api('GET', '/api/overview')).body.node).toBe('warren@a');

    const duplicate = brokers.spawn('warren@b');
    expect(await duplicate.exited).toBe(1);
    expect(duplicate.output()).toMatch(/a live Warren node named "warren@b" already uses PostgreSQL schema/);
  }, 120_000);

  it('makes topology declared on A usable on C within a bound: passive declare, bind, publish routes', async () => {
    const onA = await (await connect('warren@a')).createChannel();
    await onA.assertExchange('orders', 'topic', { durable: true });
    await onA.assertQueue('billing', { durable: true });
    await onA.bindQueue('billing', 'orders', 'order.*');

    const c = await connect('warren@c');
    await waitFor(() => queueExists(c, 'billing'), { timeoutMs: SYNC_BOUND_MS, what: "queue 'billing' on node C" });
    const onC = await c.createChannel();
    await onC.checkExchange('orders');
    // A binding made on C reaches A, and a binding made on A routes on C.
    await onC.bindQueue('billing', 'orders', 'invoice.*');
    expect(onC.publish('orders', 'order.created', Buffer.from('from C'), { persistent: true })).toBe(true);
    const received: string[] = [];
    const { consumerTag } = await onC.consume('billing', (message: ConsumeMessage | null) => {
      if (message) received.push(`${message.fields.routingKey} ${message.content.toString()}`);
    });
    await waitFor(() => received.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the message routed on C' });
    expect(received).toEqual(['order.created from C']);

    // A binding made on C routes on A: with C's consumer gone, A's is the only one (in either mode).
    await onC.cancel(consumerTag);
    const receivedOnA: string[] = [];
    await onA.consume('billing', (message: ConsumeMessage | null) => {
      if (message) receivedOnA.push(message.fields.routingKey);
    });
    await waitFor(
      async () => {
        onA.publish('orders', 'invoice.paid', Buffer.from('from A'), { mandatory: true });
        await new Promise((resolve) => setImmediate(resolve));
        return receivedOnA.length > 0;
      },
      { timeoutMs: SYNC_BOUND_MS, intervalMs: 200, what: "C's binding routing on A" },
    );
    expect(receivedOnA[0]).toBe('invoice.paid');
    await onA.deleteQueue('billing');
    await onA.deleteExchange('orders');
  }, 120_000);

  it('cancels the consumers on A of a queue deleted on C (basic.cancel)', async () => {
    const a = await connect('warren@a');
    const onA = await a.createChannel();
    await onA.assertQueue('jobs', { durable: true });
    let cancelled = false;
    await onA.consume('jobs', (message: ConsumeMessage | null) => {
      // amqplib announces consumer_cancel_notify: a server cancel arrives as a null message.
      if (message === null) cancelled = true;
    });
    const c = await connect('warren@c');
    await waitFor(() => queueExists(c, 'jobs'), { timeoutMs: SYNC_BOUND_MS, what: "queue 'jobs' on node C" });
    await (await c.createChannel()).deleteQueue('jobs');
    await waitFor(() => cancelled, { timeoutMs: SYNC_BOUND_MS, what: "the consumer on A cancelled by C's delete" });
    await waitFor(async () => !(await queueExists(a, 'jobs')), { timeoutMs: SYNC_BOUND_MS, what: "queue 'jobs' gone on A" });
  }, 120_000);

  it('shares vhosts, users and permissions made through A with C; deleting the user on A closes its connection on C', async () => {
    expect((await admin!.api('PUT', '/api/vhosts/shop')).status).toBe(201);
    expect((await admin!.api('PUT', '/api/users/alice', { password: 'wonderland', tags: '' })).status).toBe(201);
    expect((await admin!.api('PUT', '/api/permissions/shop/alice', { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
    const url = `amqp://alice:wonderland@127.0.0.1:${ports.get('warren@c')}/shop`;
    const alice = await waitFor(() => amqplib.connect(url).catch(() => undefined), {
      timeoutMs: SYNC_BOUND_MS,
      intervalMs: 200,
      what: 'alice logging in to vhost shop on C',
    });
    alice.on('error', () => undefined);
    connections.push(alice);
    const closed = new Promise<unknown>((resolve) => alice.on('close', resolve));
    await (await alice.createChannel()).assertQueue('alice-work', { durable: true });
    expect((await admin!.api('DELETE', '/api/users/alice')).status).toBe(204);
    // RabbitMQ closes a deleted user's connections (320 CONNECTION_FORCED), on every node.
    expect(String(await closed)).toMatch(/CONNECTION_FORCED - user 'alice' was deleted/);
    // The durable queue alice declared on C reached A's vhost.
    const a = await connect('warren@a');
    expect((await admin!.api('GET', '/api/queues/shop/alice-work')).status).toBe(200);
    await a.close();
    expect((await admin!.api('DELETE', '/api/vhosts/shop')).status).toBe(204);
  }, 120_000);

  it('catches up by polling when its notifications were lost', async () => {
    // Every node's LISTEN connection dies: changes must still arrive (the heartbeat polls the version and re-listens).
    await terminateListeners();
    const onA = await (await connect('warren@a')).createChannel();
    await onA.assertQueue('polled', { durable: true });
    const c = await connect('warren@c');
    await waitFor(() => queueExists(c, 'polled'), { timeoutMs: LEASE_MS + SYNC_BOUND_MS, what: "queue 'polled' on node C" });
    await onA.deleteQueue('polled');
  }, 120_000);

  it("removes a kill -9'd node's exclusive queues once its lease runs out; its confirmed messages reach the survivors once", async () => {
    await startNode('warren@d');
    const d = await connect('warren@d');
    const onD = await d.createChannel();
    await onD.assertQueue('d-private', { exclusive: true });
    // Confirmed persistent messages published through D, five of them delivered on D and never acked.
    const publisher = await d.createConfirmChannel();
    await publisher.assertQueue('failover', { durable: true });
    const published = 40;
    for (let i = 0; i < published; i++) publisher.sendToQueue('failover', Buffer.from(`m${i}`), { persistent: true, messageId: `m${i}` });
    await publisher.waitForConfirms();
    const heldOnD: string[] = [];
    await onD.prefetch(5);
    await onD.consume('failover', (message: ConsumeMessage | null) => {
      if (message) heldOnD.push(message.properties.messageId as string);
    });
    await waitFor(() => heldOnD.length === 5, { what: 'five deliveries held unacked on D' });
    // Consumers on every survivor: whichever expires D takes its messages over.
    const consumed = new Map<string, boolean>();
    let duplicates = 0;
    for (const name of ['warren@a', 'warren@b', 'warren@c']) {
      const connection = await connect(name);
      await waitFor(() => queueExists(connection, 'failover'), { timeoutMs: SYNC_BOUND_MS, what: `queue 'failover' on ${name}` });
      const channel = await connection.createChannel();
      await channel.consume('failover', (message: ConsumeMessage | null) => {
        if (!message) return;
        const id = message.properties.messageId as string;
        if (consumed.has(id)) duplicates++;
        consumed.set(id, message.fields.redelivered);
        channel.ack(message);
      });
    }
    const a = await connect('warren@a');
    // While D lives, its exclusive queue is locked on A too (405 RESOURCE_LOCKED, as RabbitMQ answers; 404 until known).
    await waitFor(async () => (await channelError(a, (channel) => channel.checkQueue('d-private'))).code === 405, {
      timeoutMs: SYNC_BOUND_MS,
      what: "D's exclusive queue known (and locked) on A",
    });
    const locked = await channelError(a, (channel) => channel.assertQueue('d-private', { exclusive: true }));
    expect(locked.code).toBe(405);

    await brokers.stopNode(nodes.get('warren@d')!, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      async () => {
        const channel = await a.createChannel();
        channel.on('error', () => undefined);
        try {
          await channel.assertQueue('d-private', { exclusive: true });
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: LEASE_MS + SYNC_BOUND_MS, intervalMs: 250, what: "D's exclusive queue removed after its lease" },
    );
    // Not before the lease: a node is only dead once it failed to renew for a whole lease.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(LEASE_MS / 2);
    // Every confirmed message comes back once (per node: through the node that expired D; shared: the others were
    // claimed by the survivors all along, D's claims are released); those D delivered are redelivered.
    await waitFor(() => consumed.size === published, {
      timeoutMs: SYNC_BOUND_MS,
      what: `${published} messages of D consumed on the survivors`,
    });
    expect(duplicates).toBe(0);
    for (const id of heldOnD) expect(consumed.get(id)).toBe(true);
    if (isShared) {
      // Every row acked, D's released claims too: nothing of the queue is left in the shared table.
      await waitFor(async () => (await sharedRows('failover')) === 0, { timeoutMs: SYNC_BOUND_MS, what: "'failover' rows deleted" });
    }
    // Taken over, then deleted from D's part: a node restarted as warren@d would not serve them again. The delete
    // commits after the survivor's own copies are stored, which may be after they were delivered (dead-node-messages.ts).
    const leftOnD = async (): Promise<number> =>
      (await brokers.query<{ n: number }>("SELECT count(*)::int AS n FROM warren_messages WHERE left(queue_id, 9) = 'warren@d#'")).rows[0]!
        .n;
    await waitFor(async () => (await leftOnD()) === 0, { timeoutMs: SYNC_BOUND_MS, what: "D's part of warren_messages emptied" });
    const names = (await admin!.api('GET', '/api/nodes')).body.map((node: { name: string }) => node.name);
    expect(names).toEqual(['warren@a', 'warren@b', 'warren@c']);
  }, 180_000);

  /** Publishes one persistent message and resolves with whether it was confirmed (false: nacked). */
  const publishConfirmed = (channel: ConfirmChannel, queue: string, id: string): Promise<boolean> =>
    new Promise((resolve) =>
      channel.sendToQueue(queue, Buffer.from(id), { persistent: true, messageId: id }, (error: unknown) => resolve(!error)),
    );

  /** Consumes and acks `queue` on `channel`, recording message ids. */
  async function consumeIds(channel: Channel, queue: string, into: string[]): Promise<void> {
    await channel.consume(queue, (message: ConsumeMessage | null) => {
      if (!message) return;
      into.push(message.properties.messageId as string);
      channel.ack(message);
    });
  }

  if (isShared)
    it('survives a restart of PostgreSQL within the lease: what was confirmed before and during it is delivered, confirms and consumers work again', async () => {
      const publishers = new Map<string, ConfirmChannel>();
      for (const name of ['warren@a', 'warren@b', 'warren@c']) publishers.set(name, await confirmChannel(await connect(name)));
      const onA = publishers.get('warren@a')!;
      await onA.assertQueue('through-restart', { durable: true });
      await onA.assertQueue('restart-live', { durable: true });
      const before = Array.from({ length: 30 }, (_, i) => `before${i}`);
      for (const id of before) onA.sendToQueue('through-restart', Buffer.from(id), { persistent: true, messageId: id });
      await onA.waitForConfirms();
      // A consumer on B (whose path to the database is the proxy) from before the restart, to after it.
      const live: string[] = [];
      await consumeIds(await brokers.channelWithQueues('warren@b', 'restart-live'), 'restart-live', live);
      await brokers.channelWithQueues('warren@c', 'through-restart');

      // A publisher on A keeps going through the restart: what is confirmed meanwhile must not be lost either (what
      // was in flight when the server went is nacked; a nacked message may or may not have been stored).
      const during: string[] = [];
      const confirmedDuring: string[] = [];
      let isRestarted = false;
      const publishing = (async () => {
        while (!isRestarted) {
          const batch = Array.from({ length: 10 }, (_, i) => `during${during.length + i}`);
          during.push(...batch);
          const results = await Promise.all(batch.map((id) => publishConfirmed(onA, 'through-restart', id)));
          confirmedDuring.push(...batch.filter((_, i) => results[i]));
        }
      })();
      await brokers.cluster.restart();
      isRestarted = true;
      await publishing;
      const { rows } = await brokers.query<{ at: Date }>('SELECT now() AS at');
      // Every node renews its lease on the restarted server, so none of them gives up (a node that did exits).
      await waitFor(
        async () =>
          (
            await brokers.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM warren_nodes WHERE lease_expires_at > $1::timestamptz + $2 * interval '1 millisecond'",
              [rows[0]!.at, LEASE_MS],
            )
          ).rows[0]!.n === 3,
        { timeoutMs: 2 * LEASE_MS, what: 'every node renewing its lease after the restart' },
      );
      for (const name of ['warren@a', 'warren@b', 'warren@c']) expect(isRunning(name)).toBe(true);

      // Publishes through every node's connection from before the restart are confirmed again (the first ones may be
      // nacked while a node's store reopens); the consumer on B gets each confirmed one.
      const acked: string[] = [];
      for (const name of ['warren@a', 'warren@b', 'warren@c']) {
        let attempt = 0;
        await waitFor(
          async () => {
            const id = `${name}-${attempt++}`;
            const isAcked = await publishConfirmed(publishers.get(name)!, 'restart-live', id);
            if (isAcked) acked.push(id);
            return isAcked;
          },
          { timeoutMs: LEASE_MS + SYNC_BOUND_MS, intervalMs: 250, what: `a publish through ${name} confirmed after the restart` },
        );
      }
      await waitFor(() => acked.every((id) => live.includes(id)), {
        timeoutMs: LEASE_MS + SYNC_BOUND_MS,
        what: 'the confirmed publishes consumed on B',
      });
      // What was confirmed before and during the restart is delivered once, to a consumer on C started after it.
      const got: string[] = [];
      await consumeIds(await brokers.channelWithQueues('warren@c', 'through-restart'), 'through-restart', got);
      const confirmed = [...before, ...confirmedDuring];
      await waitFor(() => confirmed.every((id) => got.includes(id)), {
        timeoutMs: LEASE_MS + SYNC_BOUND_MS,
        what: 'the messages confirmed before and during the restart',
      });
      expect(got).toHaveLength(new Set(got).size);
      expect(got.filter((id) => !before.includes(id) && !during.includes(id))).toEqual([]);
      expect(live).toHaveLength(new Set(live).size);
      for (const name of ['warren@a', 'warren@b', 'warren@c']) expect(isRunning(name)).toBe(true);
      await brokers.closeConnections();
    }, 180_000);

  if (isShared)
    it('stops serving on the node cut off from the database (exit 1 within its lease) while the others go on', async () => {
      const b = await connect('warren@b');
      const bClosed = new Promise<void>((resolve) => b.on('close', () => resolve()));
      // B's every connection to the database goes through the proxy (its pool, its LISTEN and lease connections).
      expect(proxy!.accepted).toBeGreaterThan(0);
      proxy!.cut();
      const nodeB = nodes.get('warren@b')!;
      // At 90 % of its lease after its last renewal, so before the others may expire it: it never serves stale state.
      await waitFor(() => /node lease lost/.test(nodeB.output()), { timeoutMs: LEASE_MS + 5_000, what: 'B giving up its lease' });
      expect(await nodeB.exited).toBe(1);
      await bClosed;
      await expect(amqplib.connect(`amqp://guest:guest@127.0.0.1:${ports.get('warren@b')}`)).rejects.toThrow();

      // A and C serve on: they expire B, and a message published through A with a confirm is consumed on C.
      admin ??= await startAdminApi(`amqp://guest:guest@127.0.0.1:${await nodes.get('warren@a')!.managementPort()}`);
      await waitFor(
        async () => (await admin!.api('GET', '/api/nodes')).body.map((node: { name: string }) => node.name).join() === 'warren@a,warren@c',
        { timeoutMs: LEASE_MS + SYNC_BOUND_MS, what: 'B expired by the others' },
      );
      const onA = await confirmChannel(await connect('warren@a'));
      await onA.assertQueue('after-partition', { durable: true });
      const sent = Array.from({ length: 20 }, (_, i) => `p${i}`);
      for (const id of sent) onA.sendToQueue('after-partition', Buffer.from(id), { persistent: true, messageId: id });
      await onA.waitForConfirms();
      const got: string[] = [];
      await consumeIds(await brokers.channelWithQueues('warren@c', 'after-partition'), 'after-partition', got);
      await waitFor(() => got.length >= sent.length, { timeoutMs: SYNC_BOUND_MS, what: 'the messages published on A consumed on C' });
      expect([...got].sort()).toEqual([...sent].sort());
      expect(isRunning('warren@a') && isRunning('warren@c')).toBe(true);
    }, 180_000);

  it('stops serving (exits non-zero) on every node once the database is gone for a lease', async () => {
    await admin?.stop();
    admin = undefined;
    await brokers.closeConnections();
    // In the default mode B is gone already (cut off above).
    const running = ['warren@a', 'warren@b', 'warren@c'].filter(isRunning);
    expect(running).toEqual(isShared ? ['warren@a', 'warren@c'] : ['warren@a', 'warren@b', 'warren@c']);
    await brokers.cluster.stop();
    for (const name of running) {
      const node = nodes.get(name)!;
      expect(await node.exited).toBe(1);
      expect(node.output()).toMatch(/node lease lost/);
    }
  }, 180_000);
});
