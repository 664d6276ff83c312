import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { startAdminApi, type AdminApi } from '../admin-api/support/admin-stack.js';
import { BrokerNodes } from '../support/broker-nodes.js';
import { waitFor } from '../support/wait-for.js';

/** Short, so the safety poll (and the counts' sampling) runs every second. */
const LEASE_MS = 3000;
/** How long a change made on one node may take to show on another: a notification, else the heartbeat's poll. */
const SYNC_BOUND_MS = 15_000;

/** Confirms of one publisher: ids acked and nacked. */
interface Confirms {
  readonly acked: string[];
  readonly nacked: string[];
}

/**
 * Queue features exact across nodes on shared queues (WARREN_SHARED_QUEUES=true, docs/SCALE-OUT.md): length limits
 * with every overflow mode under publishers on two nodes at once, counts and purge of the whole backlog seen from
 * every node, priorities and x-delivery-limit across nodes. Three real brokers on one throwaway PostgreSQL.
 */
describe('shared queues: limits, counts, priorities and delivery limits across nodes', () => {
  const brokers = new BrokerNodes('shared_limits', { WARREN_SHARED_QUEUES: 'true', WARREN_NODE_LEASE_MS: String(LEASE_MS) });
  let admin: AdminApi | undefined;
  const connect = (name: string): Promise<ChannelModel> => brokers.connect(name);

  const channelWithQueue = (name: string, queue: string): Promise<Channel> => brokers.channelWithQueues(name, queue);

  /** Publishes `ids` to `queue` on a confirm channel and waits for every confirm, recording acks and nacks. */
  async function publishAll(
    channel: ConfirmChannel,
    queue: string,
    ids: readonly string[],
    options: Options.Publish = {},
  ): Promise<Confirms> {
    const confirms: Confirms = { acked: [], nacked: [] };
    for (const id of ids) {
      channel.sendToQueue(queue, Buffer.from(id), { persistent: true, messageId: id, ...options }, (error: unknown) =>
        (error ? confirms.nacked : confirms.acked).push(id),
      );
    }
    await channel.waitForConfirms().catch(() => undefined);
    await waitFor(() => confirms.acked.length + confirms.nacked.length === ids.length, { timeoutMs: SYNC_BOUND_MS, what: 'every confirm' });
    return confirms;
  }

  /** Consumes (and acks) `count` messages of `queue` on `channel`; resolves with their ids in delivery order. */
  async function drain(channel: Channel, queue: string, count: number): Promise<ConsumeMessage[]> {
    const got: ConsumeMessage[] = [];
    const { consumerTag } = await channel.consume(queue, (message) => {
      if (!message) return;
      got.push(message);
      channel.ack(message);
    });
    await waitFor(() => got.length >= count, { timeoutMs: SYNC_BOUND_MS * 2, what: `${count} messages of '${queue}'` });
    await channel.cancel(consumerTag);
    return got;
  }

  const ids = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const idOf = (message: ConsumeMessage): string => message.properties.messageId as string;

  /** The queue's message count as `queue.declare-ok` reports it on node `name`. */
  async function declaredCount(name: string, queue: string): Promise<number> {
    const channel = await channelWithQueue(name, queue);
    const { messageCount } = await channel.checkQueue(queue);
    await channel.close();
    return messageCount;
  }

  beforeAll(() => brokers.start(), 300_000);
  afterAll(async () => {
    await admin?.stop();
    await brokers.stop();
  }, 180_000);

  it('reject-publish: publishers on A and B at once fill the queue exactly to its limit; the rest are nacked', async () => {
    const onA = await (await connect('warren@a')).createConfirmChannel();
    await onA.assertQueue('capped-reject', { durable: true, arguments: { 'x-max-length': 50, 'x-overflow': 'reject-publish' } });
    await channelWithQueue('warren@b', 'capped-reject');
    const onB = await (await connect('warren@b')).createConfirmChannel();
    const [fromA, fromB] = await Promise.all([
      publishAll(onA, 'capped-reject', ids('a', 60)),
      publishAll(onB, 'capped-reject', ids('b', 60)),
    ]);
    expect(fromA.acked.length + fromB.acked.length).toBe(50);
    expect(fromA.nacked.length + fromB.nacked.length).toBe(70);
    for (const name of ['warren@a', 'warren@b', 'warren@c']) expect(await declaredCount(name, 'capped-reject')).toBe(50);
    // What was confirmed is what is stored: consumed on C, every acked id once.
    const got = await drain(await channelWithQueue('warren@c', 'capped-reject'), 'capped-reject', 50);
    expect(new Set(got.map(idOf))).toEqual(new Set([...fromA.acked, ...fromB.acked]));
  }, 120_000);

  it('drop-head: publishers on A and B at once leave exactly the newest messages; the dropped ones are dead-lettered', async () => {
    const onA = await (await connect('warren@a')).createConfirmChannel();
    await onA.assertQueue('capped-dlq', { durable: true });
    await onA.assertQueue('capped-head', {
      durable: true,
      arguments: { 'x-max-length': 20, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'capped-dlq' },
    });
    await channelWithQueue('warren@b', 'capped-head');
    const onB = await (await connect('warren@b')).createConfirmChannel();
    const [fromA, fromB] = await Promise.all([publishAll(onA, 'capped-head', ids('a', 40)), publishAll(onB, 'capped-head', ids('b', 40))]);
    expect(fromA.nacked).toEqual([]);
    expect(fromB.nacked).toEqual([]);
    for (const name of ['warren@a', 'warren@b', 'warren@c']) expect(await declaredCount(name, 'capped-head')).toBe(20);
    const kept = (await drain(await channelWithQueue('warren@c', 'capped-head'), 'capped-head', 20)).map(idOf);
    const dropped = (await drain(await channelWithQueue('warren@c', 'capped-dlq'), 'capped-dlq', 60)).map(idOf);
    expect(kept).toHaveLength(20);
    expect(new Set([...kept, ...dropped])).toEqual(new Set([...ids('a', 40), ...ids('b', 40)]));
    expect(kept.length + dropped.length).toBe(80);
    // The head goes first: of each publisher's messages, what is kept is its newest ones.
    for (const prefix of ['a', 'b']) {
      const mine = kept.filter((id) => id.startsWith(prefix)).map((id) => Number(id.slice(1)));
      expect(mine).toEqual(Array.from({ length: mine.length }, (_, i) => 40 - mine.length + i));
    }
  }, 120_000);

  it('reject-publish-dlx: publishers on A and B at once fill the queue to its limit; the rest are nacked and dead-lettered once', async () => {
    const onA = await (await connect('warren@a')).createConfirmChannel();
    await onA.assertQueue('refused-dlq', { durable: true });
    await onA.assertQueue('capped-dlx', {
      durable: true,
      arguments: {
        'x-max-length': 20,
        'x-overflow': 'reject-publish-dlx',
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'refused-dlq',
      },
    });
    await channelWithQueue('warren@b', 'capped-dlx');
    const onB = await (await connect('warren@b')).createConfirmChannel();
    const [fromA, fromB] = await Promise.all([publishAll(onA, 'capped-dlx', ids('a', 30)), publishAll(onB, 'capped-dlx', ids('b', 30))]);
    const acked = [...fromA.acked, ...fromB.acked];
    const nacked = [...fromA.nacked, ...fromB.nacked];
    expect(acked).toHaveLength(20);
    expect(nacked).toHaveLength(40);
    for (const name of ['warren@a', 'warren@b', 'warren@c']) expect(await declaredCount(name, 'capped-dlx')).toBe(20);
    // Stored: exactly what was confirmed. Dead-lettered, each by its publishing node: exactly what was nacked, once.
    const kept = await drain(await channelWithQueue('warren@c', 'capped-dlx'), 'capped-dlx', 20);
    expect(new Set(kept.map(idOf))).toEqual(new Set(acked));
    const refused = await drain(await channelWithQueue('warren@c', 'refused-dlq'), 'refused-dlq', 40);
    expect(refused.map(idOf).sort()).toEqual([...nacked].sort());
    expect(refused[0]!.properties.headers!['x-death']![0]).toMatchObject({ reason: 'maxlen', queue: 'capped-dlx' });
    expect(await declaredCount('warren@a', 'refused-dlq')).toBe(0);
  }, 120_000);

  it('counts the whole backlog on every node (declare-ok, /api/queues) and purges it from any node', async () => {
    const onA = await (await connect('warren@a')).createConfirmChannel();
    await onA.assertQueue('backlog', { durable: true });
    await publishAll(onA, 'backlog', ids('m', 30));
    // B holds five unacked: still counted in `messages`, not in `messages_ready`.
    const onB = await channelWithQueue('warren@b', 'backlog');
    await onB.prefetch(5);
    const held: ConsumeMessage[] = [];
    await onB.consume('backlog', (message) => message && held.push(message));
    await waitFor(() => held.length === 5, { timeoutMs: SYNC_BOUND_MS, what: 'five held on B' });
    for (const name of ['warren@a', 'warren@c']) expect(await declaredCount(name, 'backlog')).toBe(25);
    admin = await startAdminApi(`amqp://guest:guest@127.0.0.1:${await brokers.nodes.get('warren@c')!.managementPort()}`);
    await waitFor(
      async () => {
        const { body } = await admin!.api('GET', '/api/queues/%2F/backlog');
        return body.messages === 30 && body.messages_ready === 25 && body.messages_unacknowledged === 5;
      },
      { timeoutMs: SYNC_BOUND_MS, what: "C's /api/queues counting A's messages and B's claims" },
    );
    // Purged from C: every message nobody claimed, answered with that count; B's unacked ones stay.
    const onC = await channelWithQueue('warren@c', 'backlog');
    expect((await onC.purgeQueue('backlog')).messageCount).toBe(25);
    expect(await declaredCount('warren@a', 'backlog')).toBe(0);
    for (const message of held) onB.ack(message);
    await waitFor(
      async () =>
        (await declaredCount('warren@c', 'backlog')) === 0 && (await admin!.api('GET', '/api/queues/%2F/backlog')).body.messages === 0,
      {
        timeoutMs: SYNC_BOUND_MS,
        what: 'the acked messages gone from the counts',
      },
    );
  }, 180_000);

  it('claims the highest priority first across nodes', async () => {
    const onA = await (await connect('warren@a')).createConfirmChannel();
    await onA.assertQueue('prioritised', { durable: true, arguments: { 'x-max-priority': 10 } });
    await publishAll(onA, 'prioritised', ids('low', 10), { priority: 1 });
    await publishAll(onA, 'prioritised', ids('high', 10), { priority: 9 });
    await publishAll(onA, 'prioritised', ids('over', 2), { priority: 200 });
    const onB = await channelWithQueue('warren@b', 'prioritised');
    await onB.prefetch(1);
    const got = (await drain(onB, 'prioritised', 22)).map(idOf);
    // Priorities above the maximum count as the maximum (RabbitMQ): those two come first, then the 9s, then the 1s.
    expect(got).toEqual([...ids('over', 2), ...ids('high', 10), ...ids('low', 10)]);
  }, 120_000);

  it('counts deliveries across nodes: x-delivery-limit dead-letters a message requeued on B, C, then B', async () => {
    const onA = await (await connect('warren@a')).createConfirmChannel();
    await onA.assertQueue('limited-dlq', { durable: true });
    await onA.assertQueue('limited', {
      durable: true,
      arguments: { 'x-delivery-limit': 2, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'limited-dlq' },
    });
    await publishAll(onA, 'limited', ['poison']);
    const counts: unknown[] = [];
    for (const name of ['warren@b', 'warren@c', 'warren@b']) {
      const channel = await channelWithQueue(name, 'limited');
      const got: ConsumeMessage[] = [];
      const { consumerTag } = await channel.consume('limited', (message) => message && got.push(message));
      await waitFor(() => got.length === 1, { timeoutMs: SYNC_BOUND_MS, what: `the delivery on ${name}` });
      counts.push(got[0]!.properties.headers?.['x-delivery-count']);
      // Cancel first, so the requeued message goes to the next node rather than back here.
      await channel.cancel(consumerTag);
      channel.nack(got[0]!, false, true);
    }
    expect(counts).toEqual([undefined, 1, 2]);
    const dead = await drain(await channelWithQueue('warren@c', 'limited-dlq'), 'limited-dlq', 1);
    expect(idOf(dead[0]!)).toBe('poison');
    expect(dead[0]!.properties.headers!['x-death']![0]).toMatchObject({ reason: 'delivery_limit', queue: 'limited' });
    expect(await declaredCount('warren@a', 'limited')).toBe(0);
  }, 120_000);
});
