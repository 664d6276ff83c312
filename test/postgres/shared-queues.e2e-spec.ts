import amqplib, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { BrokerNodes } from '../support/broker-nodes.js';
import { waitFor } from '../support/wait-for.js';

/** Short, so a killed node expires within the test; heartbeats (and the claims' safety poll) every third of it. */
const LEASE_MS = 3000;
/** How long a change made on one node may take to show on another: a notification, else the heartbeat's poll. */
const SYNC_BOUND_MS = 15_000;
/** Kill -9 rounds (each costs a node start and a lease: about 5 s). */
const ROUNDS = Number(process.env.WARREN_SHARED_QUEUE_ROUNDS ?? 10);

/** One delivery as a consumer saw it. */
interface Delivery {
  readonly id: string;
  readonly node: string;
  readonly redelivered: boolean;
}

/**
 * Shared queues (WARREN_SHARED_QUEUES=true, docs/SCALE-OUT.md): three real brokers on one PostgreSQL schema, a
 * publisher on A and competing consumers on B and C, and nodes killed with unacked claimed messages.
 */
describe('shared queues: messages claimed across nodes', () => {
  const brokers = new BrokerNodes('shared', { WARREN_SHARED_QUEUES: 'true', WARREN_NODE_LEASE_MS: String(LEASE_MS) });
  const { nodes } = brokers;
  const connect = (name: string): Promise<ChannelModel> => brokers.connect(name);

  const channelWithQueue = (name: string, queue: string): Promise<Channel> => brokers.channelWithQueues(name, queue);

  /** Consumes `queue` on `channel`, recording every delivery; acks unless `ack` is false. */
  async function consume(channel: Channel, node: string, queue: string, into: Delivery[], ack = true): Promise<string> {
    const { consumerTag } = await channel.consume(queue, (message: ConsumeMessage | null) => {
      if (!message) return;
      into.push({ id: message.properties.messageId as string, node, redelivered: message.fields.redelivered });
      if (ack) channel.ack(message);
    });
    return consumerTag;
  }

  /**
   * Rows of the shared table for `queue` of vhost `/` (ready and claimed): the queue's storage id is the vhost
   * URI-encoded, a slash and its name (`%2F/name`), stored with `%` escaped as `%25` (postgres-errors.ts encodeText).
   */
  async function storedRows(queue: string): Promise<number> {
    const { rows } = await brokers.query<{ n: string }>('SELECT count(*) AS n FROM warren_shared_messages WHERE queue_id = $1', [
      `%252F/${queue}`,
    ]);
    return Number(rows[0]!.n);
  }

  beforeAll(() => brokers.start(), 300_000);
  afterAll(() => brokers.stop(), 180_000);

  it('delivers what A publishes to the competing consumers on B and C, each message once, none lost', async () => {
    const publisher = await (await connect('warren@a')).createConfirmChannel();
    await publisher.assertQueue('work', { durable: true });
    const deliveries: Delivery[] = [];
    for (const name of ['warren@b', 'warren@c']) {
      const channel = await channelWithQueue(name, 'work');
      await channel.prefetch(10);
      await consume(channel, name, 'work', deliveries);
    }
    const published = 600;
    for (let i = 0; i < published; i++)
      publisher.sendToQueue('work', Buffer.from(`m${i}`), { persistent: i % 2 === 0, messageId: `m${i}` });
    await publisher.waitForConfirms();
    await waitFor(() => new Set(deliveries.map((delivery) => delivery.id)).size === published, {
      timeoutMs: 60_000,
      what: `all ${published} messages consumed`,
    });
    // Nothing was requeued, so nothing is delivered twice; both nodes took part.
    expect(deliveries.filter((delivery) => delivery.redelivered)).toEqual([]);
    expect(deliveries).toHaveLength(published);
    expect(deliveries.some((delivery) => delivery.node === 'warren@b')).toBe(true);
    expect(deliveries.some((delivery) => delivery.node === 'warren@c')).toBe(true);
    // Acks delete the rows (batched).
    await waitFor(async () => (await storedRows('work')) === 0, { timeoutMs: SYNC_BOUND_MS, what: 'acked rows deleted' });
  }, 180_000);

  it("keeps one publisher's order for a single consumer on another node", async () => {
    const publisher = await (await connect('warren@a')).createConfirmChannel();
    await publisher.assertQueue('ordered', { durable: true });
    const onC = await channelWithQueue('warren@c', 'ordered');
    await onC.prefetch(7);
    const deliveries: Delivery[] = [];
    await consume(onC, 'warren@c', 'ordered', deliveries);
    const ids = Array.from({ length: 300 }, (_, i) => `o${i}`);
    for (const id of ids) publisher.sendToQueue('ordered', Buffer.from(id), { persistent: true, messageId: id });
    await publisher.waitForConfirms();
    await waitFor(() => deliveries.length === ids.length, { timeoutMs: 60_000, what: 'all ordered messages consumed' });
    expect(deliveries.map((delivery) => delivery.id)).toEqual(ids);
  }, 120_000);

  it('purges on C what A published and nobody claimed', async () => {
    const publisher = await (await connect('warren@a')).createConfirmChannel();
    await publisher.assertQueue('purged', { durable: true });
    for (let i = 0; i < 10; i++) publisher.sendToQueue('purged', Buffer.from('old'), { persistent: true, messageId: `old${i}` });
    await publisher.waitForConfirms();
    expect(await storedRows('purged')).toBe(10);
    const onC = await channelWithQueue('warren@c', 'purged');
    await onC.purgeQueue('purged');
    await waitFor(async () => (await storedRows('purged')) === 0, { timeoutMs: SYNC_BOUND_MS, what: 'the purge on C' });
    publisher.sendToQueue('purged', Buffer.from('new'), { persistent: true, messageId: 'new' });
    await publisher.waitForConfirms();
    const deliveries: Delivery[] = [];
    await consume(await channelWithQueue('warren@b', 'purged'), 'warren@b', 'purged', deliveries);
    await waitFor(() => deliveries.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the message published after the purge' });
    expect(deliveries.map((delivery) => delivery.id)).toEqual(['new']);
  }, 120_000);

  it('answers basic.get on B and C with what A published, in order, then get-empty', async () => {
    const publisher = await (await connect('warren@a')).createConfirmChannel();
    await publisher.assertQueue('polled-work', { durable: true });
    for (let i = 0; i < 3; i++) publisher.sendToQueue('polled-work', Buffer.from(`g${i}`), { persistent: true, messageId: `g${i}` });
    await publisher.waitForConfirms();
    const onB = await channelWithQueue('warren@b', 'polled-work');
    const onC = await channelWithQueue('warren@c', 'polled-work');
    const first = await onC.get('polled-work');
    expect(first && first.properties.messageId).toBe('g0');
    onC.ack(first as amqplib.GetMessage);
    const second = await onB.get('polled-work', { noAck: true });
    expect(second && second.properties.messageId).toBe('g1');
    const third = await onC.get('polled-work', { noAck: true });
    expect(third && third.properties.messageId).toBe('g2');
    expect(await onB.get('polled-work')).toBe(false);
    await waitFor(async () => (await storedRows('polled-work')) === 0, { timeoutMs: SYNC_BOUND_MS, what: 'got rows deleted' });
  }, 120_000);

  it('hands a nacked (requeued) message to a consumer on another node, redelivered', async () => {
    const publisher = await (await connect('warren@a')).createConfirmChannel();
    await publisher.assertQueue('bounce', { durable: true });
    const onB = await channelWithQueue('warren@b', 'bounce');
    const nacked: string[] = [];
    await onB.consume('bounce', (message: ConsumeMessage | null) => {
      if (!message) return;
      nacked.push(message.properties.messageId as string);
      // Cancel first, so the requeued message goes to C rather than back here.
      void onB.cancel(message.fields.consumerTag).then(() => onB.nack(message, false, true));
    });
    publisher.sendToQueue('bounce', Buffer.from('x'), { persistent: true, messageId: 'bounced' });
    await publisher.waitForConfirms();
    await waitFor(() => nacked.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the delivery on B' });
    const onC = await channelWithQueue('warren@c', 'bounce');
    const deliveries: Delivery[] = [];
    await consume(onC, 'warren@c', 'bounce', deliveries);
    await waitFor(() => deliveries.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the requeued message on C' });
    expect(deliveries[0]).toEqual({ id: 'bounced', node: 'warren@c', redelivered: true });
  }, 120_000);

  it('releases what a closed connection on B held unacked, for C, redelivered', async () => {
    const publisher = await (await connect('warren@a')).createConfirmChannel();
    await publisher.assertQueue('dropped', { durable: true });
    const b = await connect('warren@b');
    const onB = await b.createChannel();
    await onB.prefetch(3);
    const held: Delivery[] = [];
    await consume(onB, 'warren@b', 'dropped', held, false);
    const ids = Array.from({ length: 8 }, (_, i) => `d${i}`);
    for (const id of ids) publisher.sendToQueue('dropped', Buffer.from(id), { persistent: true, messageId: id });
    await publisher.waitForConfirms();
    await waitFor(() => held.length === 3, { timeoutMs: SYNC_BOUND_MS, what: 'three deliveries held unacked on B' });
    await b.close();
    const deliveries: Delivery[] = [];
    await consume(await channelWithQueue('warren@c', 'dropped'), 'warren@c', 'dropped', deliveries);
    await waitFor(() => deliveries.length === ids.length, { timeoutMs: SYNC_BOUND_MS, what: 'all eight on C' });
    expect(new Set(deliveries.map((delivery) => delivery.id))).toEqual(new Set(ids));
    const heldIds = new Set(held.map((delivery) => delivery.id));
    for (const delivery of deliveries) expect(delivery.redelivered).toBe(heldIds.has(delivery.id));
  }, 120_000);

  it(`redelivers through C what a kill -9'd node held unacked; confirmed equals consumed (${ROUNDS} rounds)`, async () => {
    const publisher = await (await connect('warren@a')).createConfirmChannel();
    await publisher.assertQueue('failover', { durable: true });
    const onC = await channelWithQueue('warren@c', 'failover');
    await onC.prefetch(50);
    const onCDeliveries: Delivery[] = [];
    let confirmed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // The first round kills B itself; later ones a node started for the round.
      const victim = round === 0 ? 'warren@b' : `warren@x${round}`;
      if (round > 0) await brokers.startNode(victim);
      const onVictim = await channelWithQueue(victim, 'failover');
      await onVictim.prefetch(5);
      const held: Delivery[] = [];
      await consume(onVictim, victim, 'failover', held, false);
      const ids = Array.from({ length: 20 }, (_, i) => `r${round}-${i}`);
      for (const id of ids) publisher.sendToQueue('failover', Buffer.from(id), { persistent: true, messageId: id });
      await publisher.waitForConfirms();
      confirmed += ids.length;
      await waitFor(() => held.length === 5, { timeoutMs: SYNC_BOUND_MS, what: `five deliveries held unacked on ${victim}` });
      const before = onCDeliveries.length;
      // C consumes only now, so the victim gets its five first.
      const tag = await consume(onC, 'warren@c', 'failover', onCDeliveries);
      await waitFor(() => onCDeliveries.length === before + 15, { timeoutMs: SYNC_BOUND_MS, what: `the other 15 of round ${round} on C` });

      await brokers.stopNode(nodes.get(victim)!, 'SIGKILL');
      const killedAt = Date.now();
      await waitFor(() => onCDeliveries.length === before + 20, {
        timeoutMs: LEASE_MS * 2 + SYNC_BOUND_MS,
        what: `the five held by ${victim} redelivered on C`,
      });
      // Not before the lease ran out: until then the dead node's claims are its own.
      // (the victim renewed up to a third of a lease before it was killed).
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(LEASE_MS * 0.5);
      const roundDeliveries = onCDeliveries.slice(before);
      expect(new Set(roundDeliveries.map((delivery) => delivery.id))).toEqual(new Set(ids));
      const heldIds = new Set(held.map((delivery) => delivery.id));
      for (const delivery of roundDeliveries) expect(delivery.redelivered).toBe(heldIds.has(delivery.id));
      await onC.cancel(tag);
    }
    expect(onCDeliveries).toHaveLength(confirmed);
    expect(new Set(onCDeliveries.map((delivery) => delivery.id)).size).toBe(confirmed);
    await waitFor(async () => (await storedRows('failover')) === 0, { timeoutMs: SYNC_BOUND_MS, what: 'acked rows deleted' });
  }, 600_000);
});
