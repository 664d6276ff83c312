import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { BrokerNodes } from '../support/broker-nodes.js';
import { waitFor } from '../support/wait-for.js';
import { queueExists, exchangeExists } from '../support/amqp-helpers.js';

/** Short, so a killed node expires within the test; heartbeats every third of it. */
const LEASE_MS = 3000;
/** How long a change made on one node may take to show on another: a notification, else the heartbeat's poll. */
const SYNC_BOUND_MS = 15_000;

/**
 * Queues of one node (docs/SCALE-OUT.md): non-durable and exclusive queues live on the node that declared them, but
 * every node knows them, and their bindings and non-durable exchanges route to them from every node. What another
 * node routes to an exclusive queue is forwarded to its node through `warren_node_mail`; a non-durable one's
 * messages are in the shared table, so consumers on every node compete for them.
 */
describe('non-durable and exclusive queues across nodes', () => {
  const brokers = new BrokerNodes('remoteq', { WARREN_SHARED_QUEUES: 'true', WARREN_NODE_LEASE_MS: String(LEASE_MS) });

  const untilQueue = (connection: ChannelModel, name: string, node: string, isPresent = true): Promise<unknown> =>
    waitFor(async () => (await queueExists(connection, name, { lockedExists: true })) === isPresent, {
      timeoutMs: SYNC_BOUND_MS,
      intervalMs: 100,
      what: `queue '${name}' ${isPresent ? 'known' : 'gone'} on ${node}`,
    });

  /** Collects the bodies a consumer of `queue` on `channel` receives (acked). */
  async function collect(channel: Channel, queue: string): Promise<string[]> {
    const bodies: string[] = [];
    await channel.consume(queue, (message: ConsumeMessage | null) => {
      if (!message) return;
      bodies.push(message.content.toString());
      channel.ack(message);
    });
    return bodies;
  }

  beforeAll(() => brokers.start(), 300_000);

  afterAll(() => brokers.stop(), 180_000);

  it("RPC with a server-named exclusive reply queue: requester on A, server on B's non-durable queue, each reply once", async () => {
    const [onA, onB] = await Promise.all([brokers.connect('warren@a'), brokers.connect('warren@b')]);
    // The server, as amqplib's RPC tutorial writes it: a non-durable request queue, replies to the default exchange.
    const server = await onB.createConfirmChannel();
    await server.assertQueue('rpc_queue', { durable: false });
    await server.prefetch(10);
    await server.consume('rpc_queue', (message: ConsumeMessage | null) => {
      if (!message) return;
      const { replyTo, correlationId } = message.properties as { replyTo: string; correlationId: string };
      server.sendToQueue(replyTo, Buffer.from(`re:${message.content.toString()}`), { correlationId });
      server.ack(message);
    });
    const requester = await onA.createConfirmChannel();
    const { queue: replyQueue } = await requester.assertQueue('', { exclusive: true });
    expect(replyQueue).toMatch(/^amq\.gen-/);
    const replies: string[] = [];
    await requester.consume(
      replyQueue,
      (message: ConsumeMessage | null) => {
        if (message) replies.push(`${message.properties.correlationId as string}=${message.content.toString()}`);
      },
      { noAck: true },
    );
    await untilQueue(onA, 'rpc_queue', 'A');
    // The reply queue is known on B: a passive declare there is refused with 405 (exclusive to A's connection), not 404.
    await untilQueue(onB, replyQueue, 'B');
    const count = 100;
    const returned: string[] = [];
    requester.on('return', (message: ConsumeMessage) => returned.push(message.content.toString()));
    for (let i = 0; i < count; i++)
      requester.sendToQueue('rpc_queue', Buffer.from(`r${i}`), { replyTo: replyQueue, correlationId: `c${i}`, mandatory: true });
    await requester.waitForConfirms();
    await waitFor(() => replies.length >= count, { timeoutMs: 60_000, what: `${count} replies on A` });
    expect(returned).toEqual([]);
    // Each once, in order (one requester, one server).
    expect(replies).toEqual(Array.from({ length: count }, (_, i) => `c${i}=re:r${i}`));
    await requester.close();
    await server.close();
    // The reply queue goes with its connection, everywhere.
    await onA.close();
    await untilQueue(onB, replyQueue, 'B', false);
  }, 180_000);

  it('a non-durable queue of B consumed on A, B and C: each message once, every consumer some; C killed: its unacked go to A and B; B killed: gone everywhere', async () => {
    const names = ['warren@a', 'warren@b', 'warren@c'] as const;
    const [onA, onB, onC] = await Promise.all(names.map((name) => brokers.connect(name)));
    // The service's replica on B declares first, so the queue is B's; the replicas on A and C declare the same name.
    const owner = await onB.createChannel();
    await owner.assertQueue('cats_queue', { durable: false });
    await untilQueue(onA, 'cats_queue', 'A');
    await untilQueue(onC, 'cats_queue', 'C');
    /** Per node: what its consumer received, and whether it acks (held unacked until told). */
    const consumers = new Map<
      string,
      {
        channel: Channel;
        received: { body: string; redelivered: boolean }[];
        held: ConsumeMessage[];
        isAcking: boolean;
        isCancelled: boolean;
      }
    >();
    /** Rows of cats_queue in the shared table (`ONLY`: the logged parent alone; else with its UNLOGGED child). */
    const storedRows = async (table: 'ONLY warren_shared_messages' | 'warren_shared_transient'): Promise<number> =>
      Number((await brokers.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE queue_id LIKE '%/cats_queue'`)).rows[0]!.n);
    for (const [name, connection] of [
      ['A', onA],
      ['B', onB],
      ['C', onC],
    ] as const) {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      await channel.assertQueue('cats_queue', { durable: false });
      await channel.prefetch(10);
      const state = {
        channel,
        received: [] as { body: string; redelivered: boolean }[],
        held: [] as ConsumeMessage[],
        isAcking: false,
        isCancelled: false,
      };
      consumers.set(name, state);
      await channel.consume('cats_queue', (message: ConsumeMessage | null) => {
        // amqplib passes null for a basic.cancel from the broker (the queue was deleted).
        if (!message) return void (state.isCancelled = true);
        state.received.push({ body: message.content.toString(), redelivered: message.fields.redelivered });
        if (state.isAcking) channel.ack(message);
        else state.held.push(message);
      });
    }
    const [a, b, c] = [consumers.get('A')!, consumers.get('B')!, consumers.get('C')!];
    const publisher: ConfirmChannel = await onA.createConfirmChannel();
    const count = 300;
    for (let i = 0; i < count; i++) publisher.sendToQueue('cats_queue', Buffer.from(`cat${i}`), { persistent: i % 2 === 0 });
    await publisher.waitForConfirms();
    // Nobody acks yet: each node claims only what its consumer's prefetch has room for, so each gets its 10.
    await waitFor(() => a.received.length === 10 && b.received.length === 10 && c.received.length === 10, {
      timeoutMs: SYNC_BOUND_MS,
      what: 'ten messages held by the consumer on each of A, B and C',
    });
    // A non-durable queue's messages are transient in the shared table, persistent ones too (UNLOGGED child only).
    expect(await storedRows('ONLY warren_shared_messages')).toBe(0);
    expect(await storedRows('warren_shared_transient')).toBe(count);
    // A and B ack what they hold and all that follows; C keeps its ten unacked.
    for (const state of [a, b]) {
      state.isAcking = true;
      for (const message of state.held.splice(0)) state.channel.ack(message);
    }
    await waitFor(() => a.received.length + b.received.length === count - 10, { timeoutMs: 60_000, what: 'the rest on A and B' });
    const heldByC = new Set(c.received.map((delivery) => delivery.body));
    const all = [...a.received, ...b.received, ...c.received].map((delivery) => delivery.body);
    // Each exactly once so far, across the three nodes, and none redelivered.
    expect(new Set(all).size).toBe(count);
    expect(all.sort()).toEqual(Array.from({ length: count }, (_, i) => `cat${i}`).sort());
    expect([...a.received, ...b.received, ...c.received].every((delivery) => !delivery.redelivered)).toBe(true);
    // Nothing went through the node mail: every node claims from the shared table.
    const { rows: mail } = await brokers.query<{ n: string }>('SELECT count(*) AS n FROM warren_node_mail');
    expect(Number(mail[0]!.n)).toBe(0);

    // kill -9 of C, holding ten unacked: once its lease ran out they reach A and B, redelivered, once each.
    await brokers.stopNode(brokers.nodes.get('warren@c')!, 'SIGKILL');
    await waitFor(() => a.received.length + b.received.length === count, {
      timeoutMs: LEASE_MS * 2 + SYNC_BOUND_MS,
      what: "C's ten unacked messages redelivered on A and B",
    });
    const redelivered = [...a.received, ...b.received].filter((delivery) => delivery.redelivered);
    expect(new Set(redelivered.map((delivery) => delivery.body))).toEqual(heldByC);
    expect(redelivered).toHaveLength(10);
    await waitFor(async () => (await storedRows('warren_shared_transient')) === 0, {
      timeoutMs: SYNC_BOUND_MS,
      what: 'acked rows deleted',
    });

    // kill -9 of the owner B with a backlog: after its lease the queue is gone on A (its consumer cancelled), and
    // its messages leave the shared table with it.
    a.isAcking = b.isAcking = false;
    const before = { a: a.received.length, b: b.received.length };
    for (let i = 0; i < 30; i++) publisher.sendToQueue('cats_queue', Buffer.from(`late${i}`));
    await publisher.waitForConfirms();
    // A and B hold ten each, ten wait unclaimed.
    await waitFor(() => a.received.length === before.a + 10 && b.received.length === before.b + 10, {
      timeoutMs: SYNC_BOUND_MS,
      what: 'ten late messages held on A and on B',
    });
    expect(await storedRows('warren_shared_transient')).toBe(30);
    await brokers.stopNode(brokers.nodes.get('warren@b')!, 'SIGKILL');
    await untilQueue(onA, 'cats_queue', 'A', false);
    await waitFor(() => a.isCancelled, { timeoutMs: SYNC_BOUND_MS, what: "A's consumer cancelled" });
    await waitFor(async () => (await storedRows('warren_shared_transient')) === 0, {
      timeoutMs: SYNC_BOUND_MS,
      what: "the dead owner's queue's messages deleted",
    });
    await publisher.close();
    // The next tests need B and C: started again under their names (their leases ran out, they join afresh).
    await Promise.all([brokers.startNode('warren@b'), brokers.startNode('warren@c')]);
  }, 300_000);

  it('binding a non-durable queue of B to a non-durable exchange declared on C routes what A publishes to it', async () => {
    const [onA, onB, onC] = await Promise.all([brokers.connect('warren@a'), brokers.connect('warren@b'), brokers.connect('warren@c')]);
    const consumer = await onB.createChannel();
    await consumer.assertQueue('events_b', { durable: false });
    const bodies = await collect(consumer, 'events_b');
    await untilQueue(onC, 'events_b', 'C');
    const binder = await onC.createChannel();
    await binder.assertExchange('events', 'topic', { durable: false });
    await binder.bindQueue('events_b', 'events', 'cat.*');
    await waitFor(() => exchangeExists(onA, 'events'), { timeoutMs: SYNC_BOUND_MS, intervalMs: 100, what: "exchange 'events' on A" });
    const publisher = await onA.createConfirmChannel();
    const returned: string[] = [];
    publisher.on('return', (message: ConsumeMessage) => returned.push(message.content.toString()));
    // The binding reaches A a moment after the exchange: publish until the first one is routed (mandatory returns).
    await waitFor(
      async () => {
        publisher.publish('events', 'cat.probe', Buffer.from('probe'), { mandatory: true });
        await publisher.waitForConfirms();
        return bodies.includes('probe');
      },
      { timeoutMs: SYNC_BOUND_MS, intervalMs: 200, what: 'the binding made on C routing on A' },
    );
    // Probes still in flight may arrive after the first one: only the events count.
    const events = (): string[] => bodies.filter((body) => body.startsWith('e'));
    for (let i = 0; i < 50; i++)
      publisher.publish('events', i % 2 === 0 ? 'cat.meow' : 'dog.woof', Buffer.from(`e${i}`), { mandatory: true });
    await publisher.waitForConfirms();
    await waitFor(() => events().length >= 25, { timeoutMs: 60_000, what: '25 events on B' });
    expect(events()).toEqual(Array.from({ length: 25 }, (_, i) => `e${2 * i}`));
    // What has no route at all comes back to the publisher, as on one node.
    await waitFor(() => returned.filter((body) => body.startsWith('e')).length === 25, { timeoutMs: SYNC_BOUND_MS, what: '25 returns' });
    // Unbinding on C stops it everywhere.
    await binder.unbindQueue('events_b', 'events', 'cat.*');
    await waitFor(
      async () => {
        publisher.publish('events', 'cat.late', Buffer.from('late'), { mandatory: true });
        await publisher.waitForConfirms();
        // A return comes before the confirm of the same message.
        return returned.includes('late');
      },
      { timeoutMs: SYNC_BOUND_MS, intervalMs: 200, what: 'the unbind made on C seen on A' },
    );
    await consumer.deleteQueue('events_b');
    await binder.deleteExchange('events');
    await waitFor(async () => !(await exchangeExists(onA, 'events')), {
      timeoutMs: SYNC_BOUND_MS,
      intervalMs: 100,
      what: "exchange 'events' gone on A",
    });
    await publisher.close();
  }, 180_000);

  it('a non-durable queue of B is known on C and gone everywhere after B deletes it, and after B is killed (lease); its exchange stays', async () => {
    const [onA, onB, onC] = await Promise.all([brokers.connect('warren@a'), brokers.connect('warren@b'), brokers.connect('warren@c')]);
    const onBChannel = await onB.createChannel();
    await onBChannel.assertQueue('transient_b', { durable: false, autoDelete: false });
    await untilQueue(onC, 'transient_b', 'C');
    await onBChannel.deleteQueue('transient_b');
    await untilQueue(onC, 'transient_b', 'C', false);
    await untilQueue(onA, 'transient_b', 'A', false);
    // Declared again, and a binding of a durable exchange to it: both go when B dies.
    await onBChannel.assertQueue('transient_b', { durable: false });
    await onBChannel.bindQueue('transient_b', 'amq.direct', 'tb');
    await untilQueue(onC, 'transient_b', 'C');
    await untilQueue(onA, 'transient_b', 'A');
    // A non-durable exchange declared on B, with a queue of C bound to it: the exchange outlives B, as in RabbitMQ.
    await onBChannel.assertExchange('b_events', 'direct', { durable: false });
    await waitFor(() => exchangeExists(onC, 'b_events'), { timeoutMs: SYNC_BOUND_MS, intervalMs: 100, what: "exchange 'b_events' on C" });
    const onCChannel = await onC.createChannel();
    await onCChannel.assertQueue('c_keep', { durable: false });
    await onCChannel.bindQueue('c_keep', 'b_events', 'k');
    const kept = await collect(onCChannel, 'c_keep');
    await brokers.stopNode(brokers.nodes.get('warren@b')!, 'SIGKILL');
    // After B's lease runs out (plus a heartbeat of the survivors) it is gone on A and C.
    await untilQueue(onC, 'transient_b', 'C', false);
    await untilQueue(onA, 'transient_b', 'A', false);
    const { rows } = await brokers.query<{ n: string }>('SELECT count(*) AS n FROM warren_exclusive_queues WHERE node = $1', ['warren@b']);
    expect(Number(rows[0]!.n)).toBe(0);
    // The exchange and its binding still route, on every node: A's publish reaches C's consumer.
    expect(await exchangeExists(onA, 'b_events')).toBe(true);
    const publisher = await onA.createConfirmChannel();
    await waitFor(
      async () => {
        publisher.publish('b_events', 'k', Buffer.from('after B'));
        await publisher.waitForConfirms();
        return kept.length > 0;
      },
      { timeoutMs: SYNC_BOUND_MS, intervalMs: 200, what: "a message through B's exchange after B died" },
    );
    expect(kept[0]).toBe('after B');
    await publisher.close();
  }, 180_000);

  it('a non-durable queue of a node that leaves cleanly goes everywhere, and its messages leave the shared table', async () => {
    const [onA, onC] = await Promise.all([brokers.connect('warren@a'), brokers.connect('warren@c')]);
    await (await onC.createChannel()).assertQueue('leaving_c', { durable: false });
    await untilQueue(onA, 'leaving_c', 'A');
    const publisher = await onA.createConfirmChannel();
    for (let i = 0; i < 5; i++) publisher.sendToQueue('leaving_c', Buffer.from(`left${i}`));
    await publisher.waitForConfirms();
    const stored = async (): Promise<number> =>
      Number(
        (await brokers.query<{ n: string }>(`SELECT count(*) AS n FROM warren_shared_messages WHERE queue_id LIKE '%/leaving_c'`)).rows[0]!
          .n,
      );
    expect(await stored()).toBe(5);
    await brokers.stopNode(brokers.nodes.get('warren@c')!, 'SIGTERM');
    await untilQueue(onA, 'leaving_c', 'A', false);
    expect(await stored()).toBe(0);
    await publisher.close();
  }, 120_000);
});
