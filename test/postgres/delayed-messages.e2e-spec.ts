import type { Channel, ConsumeMessage } from 'amqplib';
import { BrokerNodes } from '../support/broker-nodes.js';
import { waitFor } from '../support/wait-for.js';

/** Short, so a killed node expires within the test; heartbeats (and the delayed claims' safety poll) every third of it. */
const LEASE_MS = 3000;
/** How long a change made on one node may take to show on another: a notification, else the heartbeat's poll. */
const SYNC_BOUND_MS = 15_000;

/** One delivery as a consumer saw it, with when it arrived. */
interface Arrival {
  readonly id: string;
  readonly at: number;
}

/**
 * Delayed messages on the shared store (docs/SCALE-OUT.md, "Delayed messages") on three real brokers over one
 * PostgreSQL schema: a persistent message published with `x-delay` through one node is held in the database and
 * routed once, when due, by whichever node claims it, also after the node it was published through was killed;
 * deleting the exchange drops what it holds everywhere; transient ones stay on their node, as in RabbitMQ's plugin.
 */
describe('delayed messages across nodes', () => {
  const brokers = new BrokerNodes('delayed_messages', { WARREN_SHARED_QUEUES: 'true', WARREN_NODE_LEASE_MS: String(LEASE_MS) });

  /** Held messages in the database, for `exchange` of vhost `/` or all (storage id `delayed:%2F/name`, `%` stored as `%25`). */
  async function heldRows(exchange?: string): Promise<number> {
    const { rows } = await brokers.query<{ n: string }>(
      exchange === undefined
        ? 'SELECT count(*) AS n FROM warren_delayed_messages'
        : 'SELECT count(*) AS n FROM warren_delayed_messages WHERE exchange_id = $1',
      exchange === undefined ? [] : [`delayed:%252F/${exchange}`],
    );
    return Number(rows[0]!.n);
  }

  /** Rows of the shared table for `queue` of vhost `/`. */
  async function queuedRows(queue: string): Promise<number> {
    const { rows } = await brokers.query<{ n: string }>('SELECT count(*) AS n FROM warren_shared_messages WHERE queue_id = $1', [
      `%252F/${queue}`,
    ]);
    return Number(rows[0]!.n);
  }

  /** A durable delayed exchange routing like `direct`, bound to a durable queue of the same name with key `k`. */
  async function declare(channel: Channel, name: string): Promise<void> {
    await channel.assertExchange(name, 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
    await channel.assertQueue(name, { durable: true });
    await channel.bindQueue(name, name, 'k');
  }

  /** Consumes `queue` on `channel` with acks, recording each message's id and arrival time. */
  async function consume(channel: Channel, queue: string, arrivals: Arrival[]): Promise<void> {
    await channel.consume(queue, (message: ConsumeMessage | null) => {
      if (message === null) return;
      arrivals.push({ id: String(message.properties.messageId), at: Date.now() });
      channel.ack(message);
    });
  }

  beforeAll(() => brokers.start(), 300_000);
  afterAll(() => brokers.stop(), 180_000);

  it('routes each persistent message published on A once, when due, to a consumer on C', async () => {
    const onA = await (await brokers.connect('warren@a')).createConfirmChannel();
    await declare(onA, 'later');
    const onC = await brokers.channelWithQueues('warren@c', 'later');
    // B and C route too (every node claims what is due): the binding must be there before the first is due.
    await brokers.channelWithQueues('warren@b', 'later');
    const arrivals: Arrival[] = [];
    await consume(onC, 'later', arrivals);
    const delays = Array.from({ length: 30 }, (_, i) => 1000 + (i % 6) * 300);
    const publishedAt = Date.now();
    delays.forEach((delay, i) =>
      onA.publish('later', 'k', Buffer.from(`m${i}`), { persistent: true, messageId: `m${i}`, headers: { 'x-delay': delay } }),
    );
    await onA.waitForConfirms();
    // Confirmed once held in the database (not before: the confirm follows the commit).
    expect(await heldRows('later')).toBeGreaterThan(0);
    await waitFor(() => arrivals.length === delays.length, { timeoutMs: SYNC_BOUND_MS, what: 'every delayed message on C' });
    // Everything routed and acked: no held row left to route again, no queued copy left to deliver again.
    await waitFor(async () => (await heldRows('later')) === 0 && (await queuedRows('later')) === 0, {
      timeoutMs: SYNC_BOUND_MS,
      what: 'held and queued rows gone',
    });
    expect(arrivals).toHaveLength(delays.length);
    expect(new Set(arrivals.map((arrival) => arrival.id)).size).toBe(delays.length);
    for (const { id, at } of arrivals) expect(at - publishedAt).toBeGreaterThanOrEqual(delays[Number(id.slice(1))]!);
  }, 120_000);

  it('keeps transient messages on the node they were published through (memory only, as in RabbitMQ)', async () => {
    const onA = await (await brokers.connect('warren@a')).createConfirmChannel();
    await declare(onA, 'later-transient');
    const onC = await brokers.channelWithQueues('warren@c', 'later-transient');
    const arrivals: Arrival[] = [];
    await consume(onC, 'later-transient', arrivals);
    const publishedAt = Date.now();
    onA.publish('later-transient', 'k', Buffer.from('t'), { persistent: false, messageId: 't', headers: { 'x-delay': 1000 } });
    await onA.waitForConfirms();
    expect(await heldRows('later-transient')).toBe(0);
    await waitFor(() => arrivals.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the transient delayed message on C' });
    expect(arrivals[0]!.at - publishedAt).toBeGreaterThanOrEqual(1000);
  }, 60_000);

  it('drops the held messages of an exchange deleted on another node, and not those of one declared again after', async () => {
    const onB = await (await brokers.connect('warren@b')).createConfirmChannel();
    await declare(onB, 'doomed');
    await declare(onB, 'control');
    const onC = await brokers.channelWithQueues('warren@c', 'doomed', 'control');
    await waitFor(async () => (await onC.checkExchange('doomed')) && true, { timeoutMs: SYNC_BOUND_MS, what: "'doomed' on C" });
    for (let i = 0; i < 5; i++) {
      onB.publish('doomed', 'k', Buffer.from(`d${i}`), { persistent: true, messageId: `d${i}`, headers: { 'x-delay': 3000 } });
    }
    await onB.waitForConfirms();
    expect(await heldRows('doomed')).toBe(5);
    await onC.deleteExchange('doomed');
    await waitFor(async () => (await heldRows('doomed')) === 0, {
      timeoutMs: SYNC_BOUND_MS,
      what: "the deleted exchange's held messages dropped",
    });
    // Declared again on C and published to at once: held, and routed by whichever node claims it.
    await onC.assertExchange('doomed', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
    await onC.bindQueue('doomed', 'doomed', 'k');
    const onCConfirm = await (await brokers.connect('warren@c')).createConfirmChannel();
    onCConfirm.publish('doomed', 'k', Buffer.from('reborn'), { persistent: true, messageId: 'reborn', headers: { 'x-delay': 1500 } });
    // Due after the five were (4 s from now, 3 s from their publish): once it arrived, none of them can come.
    onB.publish('control', 'k', Buffer.from('control'), { persistent: true, messageId: 'control', headers: { 'x-delay': 4000 } });
    await Promise.all([onCConfirm.waitForConfirms(), onB.waitForConfirms()]);
    const control: Arrival[] = [];
    const doomed: Arrival[] = [];
    await consume(onC, 'control', control);
    await consume(onC, 'doomed', doomed);
    await waitFor(() => control.length === 1 && doomed.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the control and reborn messages' });
    await waitFor(async () => (await heldRows()) === 0 && (await queuedRows('doomed')) === 0, {
      timeoutMs: SYNC_BOUND_MS,
      what: 'nothing held or queued',
    });
    expect(doomed.map((arrival) => arrival.id)).toEqual(['reborn']);
  }, 120_000);

  it('keeps a message held on B for an exchange declared again there as soon as B saw it deleted on A', async () => {
    const onA = await (await brokers.connect('warren@a')).createConfirmChannel();
    await declare(onA, 'raced');
    const connB = await brokers.connect('warren@b');
    const onB = await connB.createConfirmChannel();
    await waitFor(async () => (await onB.checkExchange('raced')) && true, { timeoutMs: SYNC_BOUND_MS, what: "'raced' on B" });
    for (let i = 0; i < 3; i++) {
      onA.publish('raced', 'k', Buffer.from(`r${i}`), { persistent: true, messageId: `r${i}`, headers: { 'x-delay': 2000 } });
    }
    await onA.waitForConfirms();
    await onA.deleteExchange('raced');
    // The moment B applied the delete (a passive declare there fails with 404, closing only its channel).
    await waitFor(
      async () => {
        const probe = await connB.createChannel();
        probe.on('error', () => undefined);
        try {
          await probe.checkExchange('raced');
          await probe.close();
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: SYNC_BOUND_MS, what: "'raced' deleted on B" },
    );
    await declare(onB, 'raced');
    // Due after the three were: once it arrived, none of them can come.
    onB.publish('raced', 'k', Buffer.from('reborn'), { persistent: true, messageId: 'reborn', headers: { 'x-delay': 3000 } });
    await onB.waitForConfirms();
    const arrivals: Arrival[] = [];
    await consume(await brokers.channelWithQueues('warren@c', 'raced'), 'raced', arrivals);
    await waitFor(() => arrivals.length > 0, { timeoutMs: SYNC_BOUND_MS, what: 'the message held on B' });
    await waitFor(async () => (await heldRows('raced')) === 0 && (await queuedRows('raced')) === 0, {
      timeoutMs: SYNC_BOUND_MS,
      what: 'nothing held or queued',
    });
    expect(arrivals.map((arrival) => arrival.id)).toEqual(['reborn']);
  }, 120_000);

  it('drops a due message a full reject-publish queue refuses, as a publish would be, instead of retrying it', async () => {
    const onB = await (await brokers.connect('warren@b')).createConfirmChannel();
    await onB.assertExchange('later-full', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
    await onB.assertQueue('later-full', { durable: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
    await onB.bindQueue('later-full', 'later-full', 'k');
    onB.sendToQueue('later-full', Buffer.from('first'), { persistent: true, messageId: 'first' });
    onB.publish('later-full', 'k', Buffer.from('refused'), { persistent: true, messageId: 'refused', headers: { 'x-delay': 500 } });
    await onB.waitForConfirms();
    await waitFor(async () => (await heldRows('later-full')) === 0, { timeoutMs: SYNC_BOUND_MS, what: 'the refused message settled' });
    expect(await queuedRows('later-full')).toBe(1);
    const message = await onB.get('later-full', { noAck: true });
    expect(message && message.properties.messageId).toBe('first');
  }, 60_000);

  it('routes a message published on A once when due after A was killed with kill -9', async () => {
    const onA = await (await brokers.connect('warren@a')).createConfirmChannel();
    await declare(onA, 'orphaned');
    const onC = await brokers.channelWithQueues('warren@c', 'orphaned');
    await brokers.channelWithQueues('warren@b', 'orphaned');
    const arrivals: Arrival[] = [];
    await consume(onC, 'orphaned', arrivals);
    const ids = ['o0', 'o1', 'o2'];
    const publishedAt = Date.now();
    for (const id of ids) onA.publish('orphaned', 'k', Buffer.from(id), { persistent: true, messageId: id, headers: { 'x-delay': 6000 } });
    await onA.waitForConfirms();
    await brokers.stopNode(brokers.nodes.get('warren@a')!, 'SIGKILL');
    expect(Date.now() - publishedAt).toBeLessThan(6000);
    await waitFor(() => arrivals.length === ids.length, { timeoutMs: SYNC_BOUND_MS + 6000, what: 'the messages of the killed node on C' });
    await waitFor(async () => (await heldRows('orphaned')) === 0 && (await queuedRows('orphaned')) === 0, {
      timeoutMs: SYNC_BOUND_MS,
      what: 'held and queued rows gone',
    });
    expect(arrivals.map((arrival) => arrival.id).sort()).toEqual(ids);
    for (const { at } of arrivals) expect(at - publishedAt).toBeGreaterThanOrEqual(6000);
  }, 120_000);
});

/**
 * With WARREN_SHARED_QUEUES=false each node holds and routes its own delayed messages (stored under its prefix, as on
 * one node); when it dies, the node that takes over its messages re-arms them.
 */
describe('delayed messages per node (shared queues off)', () => {
  const brokers = new BrokerNodes('delayed_per_node', { WARREN_SHARED_QUEUES: 'false', WARREN_NODE_LEASE_MS: String(LEASE_MS) });

  /** Stored per-node rows whose queue id contains `part` (`%` stored as `%25`). */
  async function storedRows(part: string): Promise<number> {
    const { rows } = await brokers.query<{ n: string }>('SELECT count(*) AS n FROM warren_messages WHERE strpos(queue_id, $1) > 0', [part]);
    return Number(rows[0]!.n);
  }

  beforeAll(() => brokers.start(), 300_000);
  afterAll(() => brokers.stop(), 180_000);

  it("re-arms a kill -9'd node's delayed messages on the node that takes over its messages", async () => {
    const onA = await (await brokers.connect('warren@a')).createConfirmChannel();
    await onA.assertExchange('later-local', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
    await onA.assertQueue('later-local', { durable: true });
    await onA.bindQueue('later-local', 'later-local', 'k');
    const arrivals: Arrival[] = [];
    for (const name of ['warren@b', 'warren@c']) {
      const channel = await brokers.channelWithQueues(name, 'later-local');
      await channel.consume('later-local', (message) => {
        if (message === null) return;
        arrivals.push({ id: String(message.properties.messageId), at: Date.now() });
        channel.ack(message);
      });
    }
    const publishedAt = Date.now();
    onA.publish('later-local', 'k', Buffer.from('held'), { persistent: true, messageId: 'held', headers: { 'x-delay': 3000 } });
    await onA.waitForConfirms();
    // Held by A under its own prefix, not for every node.
    expect(await storedRows('warren@a#delayed:')).toBe(1);
    expect(Number((await brokers.query<{ n: string }>('SELECT count(*) AS n FROM warren_delayed_messages')).rows[0]!.n)).toBe(0);
    await brokers.stopNode(brokers.nodes.get('warren@a')!, 'SIGKILL');
    await waitFor(() => arrivals.length === 1, {
      timeoutMs: LEASE_MS * 2 + SYNC_BOUND_MS,
      what: "the killed node's delayed message on B or C",
    });
    expect(arrivals[0]!.id).toBe('held');
    expect(arrivals[0]!.at - publishedAt).toBeGreaterThanOrEqual(3000);
    // Routed and acked: nothing left to route or deliver again.
    await waitFor(async () => (await storedRows('delayed:')) === 0 && (await storedRows('/later-local')) === 0, {
      timeoutMs: SYNC_BOUND_MS,
      what: 'held and queued rows gone',
    });
    expect(arrivals).toHaveLength(1);
  }, 120_000);
});
