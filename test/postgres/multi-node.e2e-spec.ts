import amqplib, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { startAdminApi, type AdminApi } from '../admin-api/support/admin-stack.js';
import { channelError, queueExists } from '../support/amqp-helpers.js';
import { BrokerNodes } from '../support/broker-nodes.js';
import { waitFor } from '../support/wait-for.js';

/** Short, so a killed node expires within the test; heartbeats every third of it. */
const LEASE_MS = 3000;
/** How long a change made on one node may take to show on another: a notification, else the heartbeat's poll. */
const SYNC_BOUND_MS = 15_000;

/**
 * Several real brokers (apps/broker in child processes, WARREN_MULTI_NODE=true) on one PostgreSQL schema: node
 * membership and `/api/nodes`, topology made on one node usable on another, a queue deleted on one node cancelling
 * consumers on another, a killed node's exclusive queues removed once its lease runs out, and nodes that stop
 * serving when the database goes away.
 */
describe('several nodes on one PostgreSQL schema', () => {
  // Per-node messages (shared queues off): this file covers membership, topology and the takeover of a dead node's messages.
  const brokers = new BrokerNodes('nodes', { WARREN_SHARED_QUEUES: 'false', WARREN_NODE_LEASE_MS: String(LEASE_MS) });
  const { nodes, ports, connections } = brokers;
  const startNode = (name: string): Promise<number> => brokers.startNode(name);
  const connect = (name: string): Promise<ChannelModel> => brokers.connect(name);
  let admin: AdminApi | undefined;

  /** Ends every node's LISTEN connection from the server side, as a failover or a proxy restart would. */
  async function terminateListeners(): Promise<void> {
    const { rowCount } = await brokers.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'warren-listen'",
    );
    expect(rowCount).toBe(3);
  }

  beforeAll(() => brokers.start(), 300_000);

  afterAll(async () => {
    await admin?.stop();
    await brokers.stop();
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
    await onC.consume('billing', (message: ConsumeMessage | null) => {
      if (message) received.push(`${message.fields.routingKey} ${message.content.toString()}`);
    });
    await waitFor(() => received.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the message routed on C' });
    expect(received).toEqual(['order.created from C']);

    // Messages stay on the node they were published through in this slice (docs/SCALE-OUT.md): consume on A.
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

  it("removes a kill -9'd node's exclusive queues once its lease runs out; a survivor takes over its messages", async () => {
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
    // Every confirmed message comes back once, through the node that expired D; those D delivered are redelivered.
    await waitFor(() => consumed.size === published, {
      timeoutMs: SYNC_BOUND_MS,
      what: `${published} messages of D consumed on the survivors`,
    });
    expect(duplicates).toBe(0);
    for (const id of heldOnD) expect(consumed.get(id)).toBe(true);
    // Taken over, then deleted from D's part: a node restarted as warren@d would not serve them again. The delete
    // commits after the survivor's own copies are stored, which may be after they were delivered (dead-node-messages.ts).
    const leftOnD = async (): Promise<number> =>
      (await brokers.query<{ n: number }>("SELECT count(*)::int AS n FROM warren_messages WHERE left(queue_id, 9) = 'warren@d#'")).rows[0]!
        .n;
    await waitFor(async () => (await leftOnD()) === 0, { timeoutMs: SYNC_BOUND_MS, what: "D's part of warren_messages emptied" });
    const names = (await admin!.api('GET', '/api/nodes')).body.map((node: { name: string }) => node.name);
    expect(names).toEqual(['warren@a', 'warren@b', 'warren@c']);
  }, 180_000);

  it('stops serving (exits non-zero) on every node once the database is gone for a lease', async () => {
    await admin?.stop();
    admin = undefined;
    await brokers.closeConnections();
    await brokers.cluster.stop();
    for (const name of ['warren@a', 'warren@b', 'warren@c']) {
      const node = nodes.get(name)!;
      expect(await node.exited).toBe(1);
      expect(node.output()).toMatch(/node lease lost/);
    }
  }, 180_000);
});
