import type { Channel, ChannelModel, ConsumeMessage, GetMessage } from 'amqplib';
import { startAdminApi, type AdminApi } from '../admin-api/support/admin-stack.js';
import { BrokerNodes } from '../support/broker-nodes.js';
import { waitFor } from '../support/wait-for.js';

/** Short, so a killed node expires within the test; heartbeats (and the sweeps' safety poll) every third of it. */
const LEASE_MS = 3000;
/** How long a change made on one node may take to show on another: a notification, else the heartbeat's poll. */
const SYNC_BOUND_MS = 15_000;

/** One delivery as a consumer saw it. */
interface Delivery {
  readonly id: string;
  readonly consumer: string;
  readonly redelivered: boolean;
}

/**
 * Shared queues (WARREN_SHARED_QUEUES=true, docs/SCALE-OUT.md) on three real brokers over one PostgreSQL schema:
 * message TTLs counted from the publish and expired messages dead-lettered once by one node, transient messages in
 * the unlogged table, and a single active consumer across nodes that moves on when it is cancelled or its node is
 * killed.
 */
describe('shared queues: TTL from the publish and single active consumer across nodes', () => {
  const brokers = new BrokerNodes('shared_expiry', { WARREN_SHARED_QUEUES: 'true', WARREN_NODE_LEASE_MS: String(LEASE_MS) });
  const connect = (name: string): Promise<ChannelModel> => brokers.connect(name);
  let admin: AdminApi | undefined;

  const channelWithQueues = (name: string, ...queues: string[]): Promise<Channel> => brokers.channelWithQueues(name, ...queues);

  /** Rows of the shared table for `queue` of vhost `/` (ready and claimed; storage id `%2F/name`, `%` stored as `%25`). */
  async function storedRows(queue: string): Promise<number> {
    const { rows } = await brokers.query<{ n: string }>('SELECT count(*) AS n FROM warren_shared_messages WHERE queue_id = $1', [
      `%252F/${queue}`,
    ]);
    return Number(rows[0]!.n);
  }

  /** The next message `basic.get` finds on `channel` (a shared queue's get claims from the table: polled). */
  function getOne(channel: Channel, queue: string): Promise<GetMessage> {
    return waitFor(async () => (await channel.get(queue)) || undefined, { timeoutMs: SYNC_BOUND_MS, what: `a message from '${queue}'` });
  }

  beforeAll(() => brokers.start(), 300_000);
  afterAll(async () => {
    await admin?.stop();
    await brokers.stop();
  }, 180_000);

  it('dead-letters a message nobody consumes exactly once, after its TTL counted from the publish on A', async () => {
    const onA = await (await connect('warren@a')).createConfirmChannel();
    await onA.assertExchange('dlx', 'fanout', { durable: true });
    await onA.assertQueue('dead', { durable: true });
    await onA.bindQueue('dead', 'dlx', '');
    await onA.assertQueue('ttl-src', { durable: true, deadLetterExchange: 'dlx' });
    // Every node shares the queues, so the three sweepers race for the message.
    const onB = await channelWithQueues('warren@b', 'ttl-src', 'dead');
    const onC = await channelWithQueues('warren@c', 'ttl-src', 'dead');
    const publishedAt = Date.now();
    onA.sendToQueue('ttl-src', Buffer.from('short-lived'), { persistent: true, messageId: 'short', expiration: '1500' });
    await onA.waitForConfirms();
    expect(await storedRows('ttl-src')).toBe(1);
    // The dead letter is stored in the transaction that deletes the expired row: once the row is gone, it is there.
    await waitFor(async () => (await storedRows('ttl-src')) === 0, { timeoutMs: 30_000, what: 'the expired message swept' });
    expect(Date.now() - publishedAt).toBeGreaterThanOrEqual(1400);
    expect(await storedRows('dead')).toBe(1);
    // Seen from B, then (requeued) from C: the one dead letter, with RabbitMQ's x-death.
    const fromB = await getOne(onB, 'dead');
    expect(fromB.properties.messageId).toBe('short');
    expect(fromB.properties.expiration).toBeUndefined();
    expect(fromB.properties.headers).toMatchObject({
      'x-first-death-reason': 'expired',
      'x-first-death-queue': 'ttl-src',
      'x-death': [{ reason: 'expired', queue: 'ttl-src', count: 1, 'original-expiration': '1500', 'routing-keys': ['ttl-src'] }],
    });
    onB.nack(fromB, false, true);
    const fromC = await getOne(onC, 'dead');
    expect(fromC.properties.messageId).toBe('short');
    expect(fromC.fields.redelivered).toBe(true);
    onC.ack(fromC);
    await waitFor(async () => (await storedRows('dead')) === 0, { timeoutMs: SYNC_BOUND_MS, what: 'the dead letter acked' });
  }, 120_000);

  it('never hands a consumer on C a message whose queue TTL ran out before C had room for it', async () => {
    const onA = await (await connect('warren@a')).createConfirmChannel();
    await onA.assertExchange('dlx-work', 'fanout', { durable: true });
    await onA.assertQueue('dead-work', { durable: true });
    await onA.bindQueue('dead-work', 'dlx-work', '');
    await onA.assertQueue('ttl-work', { durable: true, messageTtl: 2000, deadLetterExchange: 'dlx-work' });
    const onC = await channelWithQueues('warren@c', 'ttl-work');
    await onC.prefetch(1);
    const deliveries: ConsumeMessage[] = [];
    await onC.consume('ttl-work', (message) => {
      if (message) deliveries.push(message);
    });
    onA.sendToQueue('ttl-work', Buffer.from('held'), { persistent: true, messageId: 'held' });
    await onA.waitForConfirms();
    await waitFor(() => deliveries.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the first message on C' });
    // C holds it unacked (prefetch 1), so it claims nothing more while these wait in the shared table and expire.
    for (let i = 0; i < 5; i++) onA.sendToQueue('ttl-work', Buffer.from('stale'), { persistent: i % 2 === 0, messageId: `stale${i}` });
    await onA.waitForConfirms();
    await waitFor(async () => (await storedRows('dead-work')) === 5, { timeoutMs: 30_000, what: 'five dead letters' });
    onC.ack(deliveries[0]!);
    onA.sendToQueue('ttl-work', Buffer.from('fresh'), { persistent: true, messageId: 'fresh' });
    await onA.waitForConfirms();
    await waitFor(() => deliveries.length === 2, { timeoutMs: SYNC_BOUND_MS, what: 'the fresh message on C' });
    expect(deliveries.map((message) => message.properties.messageId)).toEqual(['held', 'fresh']);
    onC.ack(deliveries[1]!);
  }, 120_000);

  it('keeps transient messages in the unlogged table, in one order with the persistent ones', async () => {
    const publisher = await (await connect('warren@a')).createConfirmChannel();
    await publisher.assertQueue('mixed', { durable: true });
    const ids = Array.from({ length: 20 }, (_, i) => `x${i}`);
    ids.forEach((id, i) => publisher.sendToQueue('mixed', Buffer.from(id), { persistent: i % 2 === 0, messageId: id }));
    await publisher.waitForConfirms();
    const { rows } = await brokers.query<{ durable: number; transient: number }>(
      `SELECT (SELECT count(*) FROM ONLY warren_shared_messages WHERE queue_id = $1)::int AS durable,
              (SELECT count(*) FROM warren_shared_transient WHERE queue_id = $1)::int AS transient`,
      ['%252F/mixed'],
    );
    expect(rows[0]).toEqual({ durable: 10, transient: 10 });
    const onB = await channelWithQueues('warren@b', 'mixed');
    await onB.prefetch(3);
    const received: ConsumeMessage[] = [];
    await onB.consume('mixed', (message) => {
      if (!message) return;
      received.push(message);
      onB.ack(message);
    });
    await waitFor(() => received.length === ids.length, { timeoutMs: 30_000, what: 'the mixed messages on B' });
    expect(received.map((message) => message.properties.messageId)).toEqual(ids);
    expect(received.map((message) => message.properties.deliveryMode)).toEqual(ids.map((_, i) => (i % 2 === 0 ? 2 : 1)));
    await waitFor(async () => (await storedRows('mixed')) === 0, { timeoutMs: SYNC_BOUND_MS, what: 'the mixed rows acked' });
  }, 120_000);

  it('delivers a single-active-consumer queue to one consumer of A, B and C at a time; cancel and kill -9 move it on', async () => {
    const publisher = await (await connect('warren@c')).createConfirmChannel();
    await publisher.assertQueue('sac', { durable: true, arguments: { 'x-single-active-consumer': true } });
    const deliveries: Delivery[] = [];
    /** Unacked deliveries per consumer: the consumer on the node killed holds some. */
    const held = new Map<string, ConsumeMessage[]>();
    let holding = '';
    const tags = new Map<string, { channel: Channel; tag: string }>();
    for (const name of ['warren@a', 'warren@b', 'warren@c']) {
      const channel = await channelWithQueues(name, 'sac');
      await channel.prefetch(5);
      const { consumerTag } = await channel.consume('sac', (message) => {
        if (!message) return;
        deliveries.push({ id: message.properties.messageId as string, consumer: name, redelivered: message.fields.redelivered });
        if (name === holding) held.set(name, [...(held.get(name) ?? []), message]);
        else channel.ack(message);
      });
      tags.set(name, { channel, tag: consumerTag });
    }
    let sent = 0;
    const publishBatch = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++, sent++) publisher.sendToQueue('sac', Buffer.from('m'), { persistent: true, messageId: `s${sent}` });
      await publisher.waitForConfirms();
    };
    const receivedBy = (from: number): Set<string> => new Set(deliveries.slice(from).map((delivery) => delivery.consumer));

    await publishBatch(20);
    await waitFor(() => deliveries.length === 20, { timeoutMs: 30_000, what: 'the first batch' });
    const [first] = [...receivedBy(0)];
    expect(receivedBy(0).size).toBe(1);

    // Cancelled: another node's consumer takes over.
    await tags.get(first!)!.channel.cancel(tags.get(first!)!.tag);
    await publishBatch(20);
    await waitFor(() => deliveries.length === 40, { timeoutMs: 30_000, what: 'the second batch' });
    expect(receivedBy(20).size).toBe(1);
    const [second] = [...receivedBy(20)];
    expect(second).not.toBe(first);
    // The waiting node's admin API names the active consumer of another node.
    const third = ['warren@a', 'warren@b', 'warren@c'].find((name) => name !== first && name !== second)!;
    admin = await startAdminApi(`amqp://guest:guest@127.0.0.1:${await brokers.nodes.get(third)!.managementPort()}`);
    const queueJson = (await admin.api('GET', '/api/queues/%2F/sac')).body;
    expect(queueJson).toMatchObject({ single_active_consumer_tag: tags.get(second!)!.tag });
    const consumers = (await admin.api('GET', '/api/consumers')).body as Array<Record<string, unknown>>;
    expect(consumers.find((consumer) => consumer.consumer_tag === tags.get(third)!.tag)).toMatchObject({
      active: false,
      activity_status: 'waiting',
    });
    await admin.stop();
    admin = undefined;

    // The active consumer's node is killed while it holds unacked messages: the last one takes over and gets them.
    holding = second!;
    await publishBatch(5);
    await waitFor(() => (held.get(second!) ?? []).length === 5, { timeoutMs: 30_000, what: 'five unacked on the active consumer' });
    await brokers.stopNode(brokers.nodes.get(second!)!, 'SIGKILL');
    // The publisher's node may be the one killed: publish the rest through the last one.
    const survivor = await (await connect(third)).createConfirmChannel();
    for (let i = 0; i < 10; i++, sent++) survivor.sendToQueue('sac', Buffer.from('m'), { persistent: true, messageId: `s${sent}` });
    await survivor.waitForConfirms();
    await waitFor(() => new Set(deliveries.map((delivery) => delivery.id)).size === sent, {
      timeoutMs: 60_000,
      what: `all ${sent} messages delivered`,
    });
    const afterKill = deliveries.slice(45);
    expect(new Set(afterKill.map((delivery) => delivery.consumer))).toEqual(new Set([third]));
    // The five the killed node held come back redelivered; nothing else is delivered twice.
    const heldIds = held.get(second!)!.map((message) => message.properties.messageId as string);
    expect(
      afterKill
        .filter((delivery) => delivery.redelivered)
        .map((delivery) => delivery.id)
        .sort(),
    ).toEqual([...heldIds].sort());
    const once = deliveries.filter((delivery) => !delivery.redelivered).map((delivery) => delivery.id);
    expect(new Set(once).size).toBe(once.length);
    expect(once).toHaveLength(sent);
  }, 180_000);
});
