import type { ChannelModel, ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import { BrokerNodes } from '../support/broker-nodes.js';
import { waitFor } from '../support/wait-for.js';
import { queueExists } from '../support/amqp-helpers.js';

/** Short, so a killed node expires within the test; heartbeats every third of it. */
const LEASE_MS = 3000;
/** How long a change made on one node may take to show on another: a notification, else the heartbeat's poll. */
const SYNC_BOUND_MS = 15_000;
const REPLY_TO = 'amq.rabbitmq.reply-to';

/** A reply as a requester saw it. */
interface Reply {
  readonly correlationId: string;
  readonly body: string;
  readonly routingKey: string;
}

/**
 * Direct reply-to across nodes (docs/SCALE-OUT.md): requesters on A and C, the server consuming the request queue on
 * B (a shared queue, so requests published on A and C reach it); each reply finds its requester's node through
 * `warren_node_mail`. Replies to a requester that is gone are dropped, and to a node that is gone returned (312).
 */
describe('direct reply-to across nodes', () => {
  const brokers = new BrokerNodes('replyto', { WARREN_SHARED_QUEUES: 'true', WARREN_NODE_LEASE_MS: String(LEASE_MS) });
  const connect = (name: string): Promise<ChannelModel> => brokers.connect(name);
  /** The reply-to addresses the server on B saw, by requester node. */
  const seenReplyTo: string[] = [];
  let server: ConfirmChannel;

  /** A confirm channel on `node` consuming its direct reply-to, once the request queue is known there. */
  async function requester(node: string, into: Reply[]): Promise<ConfirmChannel> {
    const connection = await connect(node);
    await waitFor(() => queueExists(connection, 'rpc'), { timeoutMs: SYNC_BOUND_MS, intervalMs: 200, what: `queue 'rpc' on ${node}` });
    const channel = await connection.createConfirmChannel();
    await channel.consume(
      REPLY_TO,
      (message: ConsumeMessage | null) => {
        if (message)
          into.push({
            correlationId: message.properties.correlationId as string,
            body: message.content.toString(),
            routingKey: message.fields.routingKey,
          });
      },
      { noAck: true },
    );
    return channel;
  }

  /** Mail waiting in PostgreSQL for `node` (every node's when undefined). */
  async function mailRows(node?: string): Promise<number> {
    const { rows } = await brokers.query<{ n: string }>(
      node === undefined ? 'SELECT count(*) AS n FROM warren_node_mail' : 'SELECT count(*) AS n FROM warren_node_mail WHERE target = $1',
      node === undefined ? [] : [node],
    );
    return Number(rows[0]!.n);
  }

  beforeAll(async () => {
    await brokers.start();
    // The server: on B, answering every request on the default exchange with the request's reply-to as routing key.
    server = await (await connect('warren@b')).createConfirmChannel();
    await server.assertQueue('rpc', { durable: true });
    await server.prefetch(20);
    await server.consume('rpc', (message: ConsumeMessage | null) => {
      if (!message) return;
      const { replyTo, correlationId } = message.properties as { replyTo: string; correlationId: string };
      seenReplyTo.push(replyTo);
      server.sendToQueue(replyTo, Buffer.from(`re:${message.content.toString()}`), { correlationId });
      server.ack(message);
    });
  }, 300_000);

  afterAll(() => brokers.stop(), 180_000);

  it('answers every request of requesters on A and C from the server on B, each reply to its own requester', async () => {
    const onA: Reply[] = [];
    const onC: Reply[] = [];
    const [fromA, fromC] = await Promise.all([requester('warren@a', onA), requester('warren@c', onC)]);
    const count = 150;
    for (let i = 0; i < count; i++) {
      fromA.sendToQueue('rpc', Buffer.from(`a${i}`), { replyTo: REPLY_TO, correlationId: `a${i}`, mandatory: true });
      fromC.sendToQueue('rpc', Buffer.from(`c${i}`), { replyTo: REPLY_TO, correlationId: `c${i}`, mandatory: true });
    }
    await Promise.all([fromA.waitForConfirms(), fromC.waitForConfirms()]);
    await waitFor(() => onA.length === count && onC.length === count, {
      timeoutMs: 60_000,
      what: `${count} replies on A and on C`,
    });
    // One server answering one requester's requests in order: the replies come back in that order.
    expect(onA.map((reply) => reply.correlationId)).toEqual(Array.from({ length: count }, (_, i) => `a${i}`));
    expect(onC.map((reply) => reply.correlationId)).toEqual(Array.from({ length: count }, (_, i) => `c${i}`));
    for (const reply of [...onA, ...onC]) expect(reply.body).toBe(`re:${reply.correlationId}`);
    // The tokens name the requester's node (RabbitMQ encodes the node in them too).
    expect(new Set(onA.map((reply) => reply.routingKey)).size).toBe(1);
    expect(onA[0]!.routingKey).toMatch(/^amq\.rabbitmq\.reply-to\.warren@a\.[A-Za-z0-9_-]{22}$/);
    expect(onC[0]!.routingKey).toMatch(/^amq\.rabbitmq\.reply-to\.warren@c\.[A-Za-z0-9_-]{22}$/);
    // Each node took its mail.
    await waitFor(async () => (await mailRows()) === 0, { timeoutMs: SYNC_BOUND_MS, what: 'the node mail taken' });
    await fromA.close();
    await fromC.close();
  }, 180_000);

  it('drops a reply whose requester is gone: on its node after the hand-over, at once (312) on the same node', async () => {
    const replies: Reply[] = [];
    const fromA = await requester('warren@a', replies);
    fromA.sendToQueue('rpc', Buffer.from('once'), { replyTo: REPLY_TO, correlationId: 'once', mandatory: true });
    await waitFor(() => replies.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the reply on A' });
    const token = replies[0]!.routingKey;
    await fromA.close();
    // B cannot know A's requester left: the reply is handed to A, which drops it.
    const returned: Message[] = [];
    server.on('return', (message: Message) => returned.push(message));
    server.sendToQueue(token, Buffer.from('late'), { correlationId: 'late', mandatory: true });
    await server.waitForConfirms();
    await waitFor(async () => (await mailRows('warren@a')) === 0, { timeoutMs: SYNC_BOUND_MS, what: 'A taking the late reply' });
    // A requester on B itself that is gone: unroutable at once, a mandatory reply comes back, as on one node.
    const onB: Reply[] = [];
    const fromB = await requester('warren@b', onB);
    fromB.sendToQueue('rpc', Buffer.from('b'), { replyTo: REPLY_TO, correlationId: 'b', mandatory: true });
    await waitFor(() => onB.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the reply on B' });
    await fromB.close();
    server.sendToQueue(onB[0]!.routingKey, Buffer.from('late'), { correlationId: 'late-b', mandatory: true });
    await waitFor(() => returned.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the return of the reply to B' });
    expect(returned[0]!.fields).toMatchObject({ replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: onB[0]!.routingKey });
    // The late reply to A was never returned: A was live, so B handed it over.
    expect(returned.map((message) => message.properties.correlationId)).toEqual(['late-b']);
    server.removeAllListeners('return');
  }, 120_000);

  it('returns a reply for a requester on a node that died (312 NO_ROUTE) once its lease ran out', async () => {
    const replies: Reply[] = [];
    const fromC = await requester('warren@c', replies);
    fromC.sendToQueue('rpc', Buffer.from('before'), { replyTo: REPLY_TO, correlationId: 'before', mandatory: true });
    await waitFor(() => replies.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'the reply on C' });
    const token = replies[0]!.routingKey;
    await brokers.stopNode(brokers.nodes.get('warren@c')!, 'SIGKILL');
    const returned: Message[] = [];
    server.on('return', (message: Message) => returned.push(message));
    // Until C's lease runs out B still hands C its replies (they wait in C's mail); then they come back.
    await waitFor(
      async () => {
        server.sendToQueue(token, Buffer.from('to the dead'), { correlationId: 'dead', mandatory: true });
        await server.waitForConfirms();
        return returned.length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "the return of a reply to the dead node's requester" },
    );
    expect(returned[0]!.fields).toMatchObject({ replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: token });
    // What was handed over before the lease ran out is dropped with the node.
    await waitFor(async () => (await mailRows('warren@c')) === 0, { timeoutMs: SYNC_BOUND_MS, what: "the dead node's mail dropped" });
    // A and B still answer each other.
    const onA: Reply[] = [];
    const fromA = await requester('warren@a', onA);
    fromA.sendToQueue('rpc', Buffer.from('after'), { replyTo: REPLY_TO, correlationId: 'after', mandatory: true });
    await waitFor(() => onA.length === 1, { timeoutMs: SYNC_BOUND_MS, what: 'a reply on A after C died' });
    expect(onA[0]!.body).toBe('re:after');
  }, 120_000);
});
