import type { Channel } from 'amqplib';
import { CLASS_BASIC, FRAME_OVERHEAD, encodeHeaderFrame, encodeMethodFrame, writeBodyFrame, type Method } from '@app/codec';
import { queueExists } from '../support/amqp-helpers.js';
import { BrokerNodes } from '../support/broker-nodes.js';
import { RawClient } from '../support/raw-client.js';
import { waitFor } from '../support/wait-for.js';

/** Short, so a killed node expires within the test; heartbeats every third of it. */
const LEASE_MS = 3000;
/** How long a change made on one node may take to show on another: a notification, else the heartbeat's poll. */
const SYNC_BOUND_MS = 15_000;
/** The x-expires of the queues that expire in these tests. */
const EXPIRES_MS = 2500;

/** `queue.delete` of `queue` with `if-unused` / `if-empty`. */
function queueDelete(queue: string, flags: { ifUnused?: boolean; ifEmpty?: boolean }): Method {
  return { name: 'queue.delete', classId: 50, methodId: 40, ticket: 0, queue, ifUnused: false, ifEmpty: false, nowait: false, ...flags };
}

/** A durable `queue.declare` of `queue`. */
function queueDeclare(queue: string): Method {
  const options = { passive: false, durable: true, exclusive: false, autoDelete: false, nowait: false, arguments: {} };
  return { name: 'queue.declare', classId: 50, methodId: 10, ticket: 0, queue, ...options };
}

/** The frames of a mandatory publish of `text` to `queue` through the default exchange. */
function publishFrames(channel: number, queue: string, text: string): Buffer[] {
  const body = Buffer.from(text);
  const publish: Method = {
    name: 'basic.publish',
    classId: 60,
    methodId: 40,
    ticket: 0,
    exchange: '',
    routingKey: queue,
    mandatory: true,
    immediate: false,
  };
  const bodyFrame = Buffer.alloc(body.length + FRAME_OVERHEAD);
  writeBodyFrame(bodyFrame, 0, channel, body, 0, body.length);
  return [encodeMethodFrame(channel, publish), encodeHeaderFrame(channel, CLASS_BASIC, body.length, {}), bodyFrame];
}

/**
 * Auto-delete, `x-expires` and `queue.delete` with `if-unused`/`if-empty` on shared queues (docs/SCALE-OUT.md,
 * "Auto-delete, x-expires and queue.delete") on three real brokers over one PostgreSQL schema: each judges the
 * queue's use on every node, as RabbitMQ judges its one queue, and one node takes each decision.
 */
describe('shared queues: auto-delete, x-expires and queue.delete across nodes', () => {
  const brokers = new BrokerNodes('queue_expiry', {
    WARREN_SHARED_QUEUES: 'true',
    WARREN_NODE_LEASE_MS: String(LEASE_MS),
    // The deciding node logs its deletes at info: the tests count them.
    WARREN_LOG_LEVEL: 'info',
  });

  /** Whether queue `name` exists on node `node` (a 404 says no; any other failure fails the test). */
  async function exists(node: string, name: string): Promise<boolean> {
    const connection = await brokers.connect(node);
    try {
      return await queueExists(connection, name, { onlyNotFound: true });
    } finally {
      await connection.close().catch(() => undefined);
      const index = brokers.connections.indexOf(connection);
      if (index >= 0) brokers.connections.splice(index, 1);
    }
  }

  /** Waits until queue `name` is gone from every node in `nodes`. */
  async function goneEverywhere(name: string, nodes: string[], timeoutMs = SYNC_BOUND_MS): Promise<void> {
    for (const node of nodes) {
      await waitFor(async () => !(await exists(node, name)), { timeoutMs, intervalMs: 200, what: `queue '${name}' gone on ${node}` });
    }
  }

  /** Checks `condition` again and again for `ms`: it must hold the whole time (something that must not happen). */
  async function holdsFor(ms: number, condition: () => Promise<boolean>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      expect(await condition()).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The nodes that live consumers of `name` are recorded on (its row in the shared use table). */
  async function consumingNodes(name: string): Promise<number> {
    const { rows } = await brokers.query<{ n: number }>(
      `SELECT cardinality(consumer_nodes) AS n FROM warren_shared_queue_use WHERE queue_id = $1`,
      [`%252F/${name}`],
    );
    return rows[0]?.n ?? 0;
  }

  /** How many nodes logged that they deleted `name` by their own decision. */
  function decisions(name: string): number {
    let count = 0;
    for (const node of brokers.nodes.values()) count += node.output().split(`cluster: deleting queue '${name}'`).length - 1;
    return count;
  }

  /** A consumer of `name` on node `node` (a channel of its own, with the queue there): its tag and channel. */
  async function consumeOn(node: string, name: string): Promise<{ channel: Channel; tag: string }> {
    const channel = await brokers.channelWithQueues(node, name);
    const { consumerTag } = await channel.consume(name, () => undefined, { noAck: true });
    return { channel, tag: consumerTag };
  }

  beforeAll(() => brokers.start(), 300_000);
  afterAll(() => brokers.stop(), 180_000);

  it('deletes an auto-delete queue when its last consumer on every node goes, not the last one on one node', async () => {
    const onA = await (await brokers.connect('warren@a')).createChannel();
    await onA.assertQueue('ad-two-nodes', { durable: true, autoDelete: true });
    const a = await consumeOn('warren@a', 'ad-two-nodes');
    const b = await consumeOn('warren@b', 'ad-two-nodes');
    await waitFor(async () => (await consumingNodes('ad-two-nodes')) === 2, {
      timeoutMs: SYNC_BOUND_MS,
      what: 'consumers on A and B recorded',
    });
    // A's last consumer goes: B still consumes, so the queue stays on every node.
    await a.channel.cancel(a.tag);
    await waitFor(async () => (await consumingNodes('ad-two-nodes')) === 1, { timeoutMs: SYNC_BOUND_MS, what: "A's consumer removed" });
    await holdsFor(1500, () => exists('warren@c', 'ad-two-nodes'));
    expect(await exists('warren@a', 'ad-two-nodes')).toBe(true);
    // B's goes: the last of the cluster, so the queue is deleted everywhere, by one node.
    await b.channel.cancel(b.tag);
    await goneEverywhere('ad-two-nodes', ['warren@c', 'warren@a', 'warren@b']);
    expect(decisions('ad-two-nodes')).toBe(1);
  }, 120_000);

  it('deletes a non-durable auto-delete queue of A when the last consumer of every node goes, also when that one is on B', async () => {
    const onA = await (await brokers.connect('warren@a')).createChannel();
    // Non-durable: still A's queue, but shared (consumed on every node), so its use is judged across nodes too.
    await onA.assertQueue('ad-transient', { durable: false, autoDelete: true });
    const a = await consumeOn('warren@a', 'ad-transient');
    const b = await consumeOn('warren@b', 'ad-transient');
    await waitFor(async () => (await consumingNodes('ad-transient')) === 2, {
      timeoutMs: SYNC_BOUND_MS,
      what: 'consumers on A and B recorded',
    });
    // The owner's last consumer goes: B still consumes, so the queue stays.
    await a.channel.cancel(a.tag);
    await waitFor(async () => (await consumingNodes('ad-transient')) === 1, { timeoutMs: SYNC_BOUND_MS, what: "A's consumer removed" });
    await holdsFor(1500, () => exists('warren@c', 'ad-transient'));
    // B's goes: B decides, and its delete of A's queue reaches A and C.
    await b.channel.cancel(b.tag);
    await goneEverywhere('ad-transient', ['warren@c', 'warren@a', 'warren@b']);
    expect(decisions('ad-transient')).toBe(1);
    const { rows } = await brokers.query<{ n: string }>('SELECT count(*) AS n FROM warren_exclusive_queues WHERE key = $1', [
      JSON.stringify(['/', 'ad-transient']),
    ]);
    expect(Number(rows[0]!.n)).toBe(0);
  }, 120_000);

  it('deletes an auto-delete queue after the lease of the killed node that held its last consumer', async () => {
    await brokers.startNode('warren@d');
    const onA = await (await brokers.connect('warren@a')).createChannel();
    await onA.assertQueue('ad-killed', { durable: true, autoDelete: true });
    await consumeOn('warren@d', 'ad-killed');
    await waitFor(async () => (await consumingNodes('ad-killed')) === 1, { timeoutMs: SYNC_BOUND_MS, what: "D's consumer recorded" });
    const killedAt = Date.now();
    await brokers.stopNode(brokers.nodes.get('warren@d')!, 'SIGKILL');
    // The survivors reap D after its lease; the one whose reap dropped D's consumer deletes the queue.
    await goneEverywhere('ad-killed', ['warren@c', 'warren@a', 'warren@b'], 4 * LEASE_MS + SYNC_BOUND_MS);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(LEASE_MS / 2);
    expect(decisions('ad-killed')).toBe(1);
  }, 120_000);

  it('keeps an x-expires queue while B consumes it, then deletes it once, a period after the cancel', async () => {
    const onA = await (await brokers.connect('warren@a')).createChannel();
    await onA.assertQueue('xe-consumed', { durable: true, expires: EXPIRES_MS });
    const b = await consumeOn('warren@b', 'xe-consumed');
    await waitFor(async () => (await consumingNodes('xe-consumed')) === 1, { timeoutMs: SYNC_BOUND_MS, what: "B's consumer recorded" });
    // A and C have no consumer: their own countdowns run out, but B consumes.
    await holdsFor(3 * EXPIRES_MS, () => exists('warren@c', 'xe-consumed'));
    expect(await exists('warren@a', 'xe-consumed')).toBe(true);
    const cancelledAt = Date.now();
    await b.channel.cancel(b.tag);
    await goneEverywhere('xe-consumed', ['warren@a', 'warren@b', 'warren@c'], EXPIRES_MS + 2 * SYNC_BOUND_MS);
    expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(EXPIRES_MS - 100);
    expect(decisions('xe-consumed')).toBe(1);
  }, 120_000);

  it('keeps an x-expires queue alive with basic.get on C, and deletes it a period after the last get', async () => {
    // Longer than the other tests' x-expires, with a get every sixth of it: a get delayed by a busy machine (or a
    // slow round trip) must not let the queue expire between two gets.
    const expiresMs = 6000;
    const onA = await (await brokers.connect('warren@a')).createChannel();
    await onA.assertQueue('xe-got', { durable: true, expires: expiresMs });
    const onC = await brokers.channelWithQueues('warren@c', 'xe-got');
    // A get on C every second for two periods: the queue is used, on C only.
    const until = Date.now() + 2 * expiresMs;
    let lastGetAt = 0;
    while (Date.now() < until) {
      expect(await onC.get('xe-got')).toBe(false);
      lastGetAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    // Still there on the node that has no use of it (the gets on C kept it alive across nodes).
    expect(await exists('warren@a', 'xe-got')).toBe(true);
    await goneEverywhere('xe-got', ['warren@a', 'warren@b', 'warren@c'], expiresMs + 2 * SYNC_BOUND_MS);
    expect(Date.now() - lastGetAt).toBeGreaterThanOrEqual(expiresMs - 100);
    expect(decisions('xe-got')).toBe(1);
  }, 120_000);

  it('refuses queue.delete if-unused and if-empty with 406 for a consumer or messages on another node', async () => {
    const onA = await (await brokers.connect('warren@a')).createChannel();
    await onA.assertQueue('del-judged', { durable: true });
    const b = await consumeOn('warren@b', 'del-judged');
    await waitFor(async () => (await consumingNodes('del-judged')) === 1, { timeoutMs: SYNC_BOUND_MS, what: "B's consumer recorded" });
    // if-unused on A, which has no consumer of it: B's counts, as RabbitMQ counts every consumer of the queue.
    const unused = await brokers.connect('warren@a');
    const unusedChannel = await unused.createChannel();
    unusedChannel.on('error', () => undefined);
    await expect(unusedChannel.deleteQueue('del-judged', { ifUnused: true })).rejects.toMatchObject({ code: 406 });
    expect(await exists('warren@a', 'del-judged')).toBe(true);
    await b.channel.cancel(b.tag);
    await waitFor(async () => (await consumingNodes('del-judged')) === 0, { timeoutMs: SYNC_BOUND_MS, what: "B's consumer removed" });
    // Messages published through B, ready in the shared table: if-empty on A sees them.
    const publisher = await (await brokers.connect('warren@b')).createConfirmChannel();
    for (let i = 0; i < 3; i++) publisher.sendToQueue('del-judged', Buffer.from(`m${i}`), { persistent: true });
    await publisher.waitForConfirms();
    const empty = await (await brokers.connect('warren@a')).createChannel();
    empty.on('error', () => undefined);
    await expect(empty.deleteQueue('del-judged', { ifEmpty: true })).rejects.toMatchObject({ code: 406 });
    // Unused now, and delete-ok counts the whole backlog, published on another node.
    const deleter = await (await brokers.connect('warren@a')).createChannel();
    expect(await deleter.deleteQueue('del-judged', { ifUnused: true })).toEqual({ messageCount: 3 });
    await goneEverywhere('del-judged', ['warren@b', 'warren@c']);
  }, 120_000);
  /** A raw AMQP connection to node `node` with channel 1 open (frames are sent exactly as the test pipelines them). */
  async function rawOn(node: string): Promise<RawClient> {
    const raw = await RawClient.connect(brokers.ports.get(node)!);
    raws.push(raw);
    await raw.handshake();
    await raw.openChannel(1);
    return raw;
  }
  const raws: RawClient[] = [];
  afterEach(() => {
    for (const raw of raws.splice(0)) raw.destroy();
  });

  /** The names of the methods received on channel 1, in order. */
  function methodsOn1(raw: RawClient): string[] {
    return raw.frames.flatMap((frame) => (frame.type === 'method' && frame.channel === 1 ? [frame.method.name] : []));
  }

  it('acts on a pipelined delete (if-unused), publish, re-declare and publish in order, as RabbitMQ does', async () => {
    const onA = await (await brokers.connect('warren@a')).createChannel();
    await onA.assertQueue('del-pipelined', { durable: true });
    const raw = await rawOn('warren@a');
    raw.sendMethod(1, { name: 'confirm.select', classId: 85, methodId: 10, nowait: false });
    await raw.method('confirm.select-ok');
    // One write: the broker reads all of it while the delete's judgement (two queries) is still in flight.
    raw.send(
      Buffer.concat([
        encodeMethodFrame(1, queueDelete('del-pipelined', { ifUnused: true })),
        ...publishFrames(1, 'del-pipelined', 'into the deleted queue'),
        encodeMethodFrame(1, queueDeclare('del-pipelined')),
        ...publishFrames(1, 'del-pipelined', 'into the new queue'),
      ]),
    );
    await waitFor(
      () =>
        raw.frames.some(
          (frame) =>
            frame.type === 'method' && frame.method.name === 'basic.ack' && (frame.method as { deliveryTag: number }).deliveryTag === 2,
        ),
      { timeoutMs: SYNC_BOUND_MS, what: 'the second publish confirmed' },
    );
    // Sequential semantics: the delete goes first, so the first publish has no queue (returned, mandatory) and the
    // declare makes a new, empty queue that the second publish reaches.
    const order = methodsOn1(raw).filter((name) => !['channel.open-ok', 'confirm.select-ok', 'basic.ack'].includes(name));
    expect(order).toEqual(['queue.delete-ok', 'basic.return', 'queue.declare-ok']);
    expect(await raw.method('queue.delete-ok')).toMatchObject({ messageCount: 0 });
    expect(await raw.method('basic.return')).toMatchObject({ replyCode: 312, routingKey: 'del-pipelined' });
    expect(await raw.method('queue.declare-ok')).toMatchObject({ queue: 'del-pipelined', messageCount: 0 });
    expect(raw.frames.some((frame) => frame.type === 'method' && frame.method.name === 'basic.nack')).toBe(false);
    const check = await (await brokers.connect('warren@a')).createChannel();
    expect(await check.checkQueue('del-pipelined')).toMatchObject({ messageCount: 1 });
    // The delete and the declare reach the other nodes in order: the queue is back there too.
    await waitFor(async () => exists('warren@c', 'del-pipelined'), { timeoutMs: SYNC_BOUND_MS, intervalMs: 200, what: 'the queue on C' });
  }, 120_000);

  it('closes the channel on a refused pipelined delete (if-empty) before the publish after it acts', async () => {
    const onB = await (await brokers.connect('warren@b')).createConfirmChannel();
    await onB.assertQueue('del-refused', { durable: true });
    onB.sendToQueue('del-refused', Buffer.from('waiting'), { persistent: true });
    await onB.waitForConfirms();
    const raw = await rawOn('warren@a');
    await waitFor(async () => exists('warren@a', 'del-refused'), { timeoutMs: SYNC_BOUND_MS, what: 'the queue on A' });
    raw.send(
      Buffer.concat([
        encodeMethodFrame(1, queueDelete('del-refused', { ifEmpty: true })),
        ...publishFrames(1, 'del-refused', 'after the refused delete'),
        encodeMethodFrame(1, queueDeclare('del-refused')),
      ]),
    );
    expect(await raw.method('channel.close', SYNC_BOUND_MS)).toMatchObject({ replyCode: 406, failingClassId: 50, failingMethodId: 40 });
    raw.sendMethod(1, { name: 'channel.close-ok', classId: 20, methodId: 41 });
    // The 406 closed the channel first: what followed the delete was discarded (RabbitMQ), so one message, not two.
    expect(methodsOn1(raw).filter((name) => name !== 'channel.open-ok')).toEqual(['channel.close']);
    const check = await (await brokers.connect('warren@a')).createChannel();
    expect(await check.checkQueue('del-refused')).toMatchObject({ messageCount: 1 });
  }, 120_000);

  it('answers queue.delete with 541 and keeps the queue when the judgement cannot be counted (database error)', async () => {
    const onA = await (await brokers.connect('warren@a')).createChannel();
    await onA.assertQueue('del-db-error', { durable: true });
    const connection = await brokers.connect('warren@a');
    const errors: Array<{ code?: number }> = [];
    connection.on('error', (error: { code?: number }) => errors.push(error));
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    // Deterministic failure of the cross-node consumer count: its table is gone while the delete is judged.
    await brokers.query('ALTER TABLE warren_shared_queue_use RENAME TO warren_shared_queue_use_away');
    try {
      await expect(channel.deleteQueue('del-db-error', { ifUnused: true })).rejects.toThrow();
      await waitFor(() => errors.length > 0, { timeoutMs: SYNC_BOUND_MS, what: 'the connection closed' });
      expect(errors[0]).toMatchObject({ code: 541 });
    } finally {
      await brokers.query('ALTER TABLE warren_shared_queue_use_away RENAME TO warren_shared_queue_use');
    }
    expect(await exists('warren@a', 'del-db-error')).toBe(true);
    expect(await exists('warren@c', 'del-db-error')).toBe(true);
  }, 120_000);
});
