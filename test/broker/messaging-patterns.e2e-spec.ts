import amqplib, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/** Load balancing, fan-out and consumer groups, each with several consumers on their own connections. */
describe('messaging patterns', () => {
  let server: TestBroker;
  const connections: ChannelModel[] = [];

  async function open(): Promise<{ connection: ChannelModel; channel: Channel }> {
    const connection = await amqplib.connect(server.url);
    connections.push(connection);
    return { connection, channel: await connection.createChannel() };
  }

  beforeAll(async () => {
    server = await startBroker();
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close().catch(() => undefined)));
  });

  afterAll(async () => {
    await server.close();
  });

  it('load balancing: 4 competing consumers share 20k messages evenly, each delivered once', async () => {
    const total = 20_000;
    const { channel: admin } = await open();
    await admin.assertQueue('work', { durable: false });
    const seen = new Map<string, number>();
    const perConsumer: number[] = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++) {
      const { channel } = await open();
      await channel.prefetch(50);
      await channel.consume('work', (message) => {
        const id = message!.content.toString();
        seen.set(id, (seen.get(id) ?? 0) + 1);
        perConsumer[i]++;
        channel.ack(message!);
      });
    }
    const { channel: publisher } = await open();
    for (let i = 0; i < total; i++) {
      if (!publisher.sendToQueue('work', Buffer.from(String(i)))) await new Promise((r) => publisher.once('drain', r));
    }
    await waitFor(() => seen.size === total, { timeoutMs: 60_000, what: `${total} distinct messages` });
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    const share = total / 4;
    for (const count of perConsumer) expect(Math.abs(count - share)).toBeLessThanOrEqual(share * 0.05);
  });

  it('fan-out: a fanout exchange copies every message to each of 4 bound queues', async () => {
    const { channel: admin } = await open();
    await admin.assertExchange('news', 'fanout', { durable: false });
    const received: string[][] = [[], [], [], []];
    for (let i = 0; i < 4; i++) {
      const { channel } = await open();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, 'news', '');
      await channel.consume(queue, (m) => received[i].push(m!.content.toString()), { noAck: true });
    }
    const { channel: publisher } = await open();
    for (let i = 0; i < 500; i++) publisher.publish('news', '', Buffer.from(String(i)));
    await waitFor(() => received.every((r) => r.length === 500), { timeoutMs: 30_000, what: 'every copy' });
    const expected = Array.from({ length: 500 }, (_, i) => String(i));
    for (const list of received) expect(list).toEqual(expected);
  });

  it('hybrid: 2 groups x 3 consumers; each group sees every message once, spread over its members', async () => {
    const { channel: admin } = await open();
    await admin.assertExchange('orders', 'topic', { durable: false });
    const groups = ['billing', 'shipping'];
    const byGroup = new Map<string, Map<string, number>>();
    const byMember = new Map<string, number>();
    for (const group of groups) {
      await admin.assertQueue(`group.${group}`, { durable: false });
      await admin.bindQueue(`group.${group}`, 'orders', 'order.*');
      byGroup.set(group, new Map());
      for (let member = 0; member < 3; member++) {
        const { channel } = await open();
        await channel.prefetch(10);
        await channel.consume(`group.${group}`, (m: ConsumeMessage | null) => {
          const seen = byGroup.get(group)!;
          const id = m!.content.toString();
          seen.set(id, (seen.get(id) ?? 0) + 1);
          byMember.set(`${group}/${member}`, (byMember.get(`${group}/${member}`) ?? 0) + 1);
          channel.ack(m!);
        });
      }
    }
    const { channel: publisher } = await open();
    for (let i = 0; i < 3000; i++) publisher.publish('orders', 'order.created', Buffer.from(String(i)));
    await waitFor(() => groups.every((g) => byGroup.get(g)!.size === 3000), { timeoutMs: 30_000, what: 'both groups' });
    for (const group of groups) expect([...byGroup.get(group)!.values()].every((n) => n === 1)).toBe(true);
    expect(byMember.size).toBe(6);
    for (const count of byMember.values()) expect(count).toBeGreaterThan(0);
  });

  it('redelivers the unacked messages of a consumer that dies, with redelivered=true, losing nothing', async () => {
    const { channel: admin } = await open();
    await admin.assertQueue('fragile', { durable: false });
    const done = new Set<string>();
    const redelivered = new Set<string>();
    // The doomed consumer takes 20 messages and never acks them.
    const doomed = await open();
    await doomed.channel.prefetch(20);
    let doomedCount = 0;
    await doomed.channel.consume('fragile', () => void doomedCount++);
    const { channel: publisher } = await open();
    for (let i = 0; i < 200; i++) publisher.sendToQueue('fragile', Buffer.from(String(i)));
    await waitFor(() => doomedCount === 20, { what: 'the doomed consumer to fill its prefetch' });
    const survivor = await open();
    await survivor.channel.prefetch(10);
    await survivor.channel.consume('fragile', (m) => {
      const id = m!.content.toString();
      if (m!.fields.redelivered) redelivered.add(id);
      done.add(id);
      survivor.channel.ack(m!);
    });
    await waitFor(() => done.size === 180, { what: 'the messages the doomed consumer did not hold' });
    // Cut the doomed consumer's TCP connection without a close handshake (from the broker's side, so the client
    // library sees an ordinary connection loss and cleans up its own timers).
    connections.splice(connections.indexOf(doomed.connection), 1);
    const lost = new Promise((resolve) => doomed.connection.on('close', resolve));
    doomed.connection.on('error', () => undefined);
    const brokerSide = [...server.broker.allConnections()].find((c) => [...c.allChannels()].some((ch) => ch.unackedCount === 20))!;
    brokerSide.socket.destroy();
    await lost;
    await waitFor(() => done.size === 200, { what: 'the redelivered messages' });
    expect(redelivered.size).toBe(20);
  });
});
