import amqplib from 'amqplib';
import { waitFor } from '../support/wait-for.js';
import { useRestartableBroker } from '../support/restartable-broker.js';

describe('restart with LevelDB storage', () => {
  const restart = useRestartableBroker('warren-restart-');

  it('keeps durable topology and persistent messages, drops transient ones', async () => {
    let broker = await restart();
    let connection = await amqplib.connect(broker.url);
    let channel = await connection.createConfirmChannel();
    await channel.assertExchange('orders', 'topic', { durable: true });
    await channel.assertExchange('orders.audit', 'fanout', { durable: true });
    await channel.assertExchange('scratch', 'direct', { durable: false });
    await channel.assertQueue('billing', { durable: true, arguments: { 'x-custom': 'kept' } });
    await channel.assertQueue('audit-log', { durable: true });
    await channel.assertQueue('temporary', { durable: false });
    await channel.bindQueue('billing', 'orders', 'order.*');
    await channel.bindExchange('orders.audit', 'orders', '#');
    await channel.bindQueue('audit-log', 'orders.audit', '');
    for (let i = 0; i < 100; i++) {
      channel.publish('orders', 'order.created', Buffer.from(`persistent ${i}`), {
        persistent: true,
        messageId: `p${i}`,
        headers: { n: i },
      });
      channel.publish('orders', 'order.created', Buffer.from(`transient ${i}`), { persistent: false });
    }
    channel.sendToQueue('temporary', Buffer.from('gone'), { persistent: true });
    await channel.waitForConfirms();
    await connection.close();

    broker = await restart();
    connection = await amqplib.connect(broker.url);
    connection.on('error', () => undefined);
    channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    expect((await channel.checkQueue('billing')).messageCount).toBe(100);
    expect((await channel.checkQueue('audit-log')).messageCount).toBe(100);
    await expect(channel.checkQueue('temporary')).rejects.toThrow(/NOT_FOUND/);
    channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    await expect(channel.checkExchange('scratch')).rejects.toThrow(/NOT_FOUND/);
    channel = await connection.createConfirmChannel();
    await channel.checkExchange('orders.audit');
    // Redeclaring with the stored arguments is equivalent; a different value is not.
    await channel.assertQueue('billing', { durable: true, arguments: { 'x-custom': 'kept' } });

    const bodies: string[] = [];
    for (let i = 0; i < 100; i++) {
      const message = await channel.get('billing', { noAck: true });
      if (!message) throw new Error(`message ${i} missing`);
      expect(message.properties.messageId).toBe(`p${i}`);
      expect(message.properties.headers).toEqual({ n: i });
      expect(message.properties.deliveryMode).toBe(2);
      bodies.push(message.content.toString());
    }
    expect(bodies).toEqual(Array.from({ length: 100 }, (_, i) => `persistent ${i}`));
    // The bindings came back too: new publishes still route through the exchange-to-exchange hop.
    channel.publish('orders', 'order.paid', Buffer.from('after restart'), { persistent: true });
    await channel.waitForConfirms();
    expect((await channel.checkQueue('audit-log')).messageCount).toBe(101);
    await connection.close();
  });

  it('brings back delivered-but-unacked messages with redelivered=true, and forgets acked ones', async () => {
    let broker = await restart();
    let connection = await amqplib.connect(broker.url);
    let channel = await connection.createConfirmChannel();
    await channel.assertQueue('jobs', { durable: true });
    for (let i = 0; i < 10; i++) channel.sendToQueue('jobs', Buffer.from(String(i)), { persistent: true });
    await channel.waitForConfirms();
    const consumer = await connection.createChannel();
    await consumer.prefetch(5);
    const got: amqplib.ConsumeMessage[] = [];
    const { consumerTag } = await consumer.consume('jobs', (m) => got.push(m!));
    await waitFor(() => got.length === 5);
    // Cancelling first keeps the freed prefetch credit from pulling more deliveries in.
    await consumer.cancel(consumerTag);
    consumer.ack(got[0]);
    consumer.ack(got[1]);
    // The acks are written with the next group commit; a confirmed publish after them forces one.
    channel.sendToQueue('jobs', Buffer.from('marker'), { persistent: true });
    await channel.waitForConfirms();
    await connection.close();

    broker = await restart();
    connection = await amqplib.connect(broker.url);
    channel = await connection.createConfirmChannel();
    const seen: Array<[string, boolean]> = [];
    for (;;) {
      const message = await channel.get('jobs', { noAck: true });
      if (!message) break;
      seen.push([message.content.toString(), message.fields.redelivered]);
    }
    expect(seen.map(([body]) => body)).toEqual(['2', '3', '4', '5', '6', '7', '8', '9', 'marker']);
    for (const [body, redelivered] of seen.slice(0, 3)) expect([body, redelivered]).toEqual([body, true]);
    for (const [body, redelivered] of seen.slice(3)) expect([body, redelivered]).toEqual([body, false]);
    await connection.close();
  });

  it('forgets a deleted durable queue and unbound bindings', async () => {
    let broker = await restart();
    let connection = await amqplib.connect(broker.url);
    let channel = await connection.createChannel();
    await channel.assertExchange('events', 'direct', { durable: true });
    await channel.assertQueue('keep', { durable: true });
    await channel.assertQueue('drop', { durable: true });
    await channel.bindQueue('keep', 'events', 'a');
    await channel.bindQueue('keep', 'events', 'b');
    await channel.unbindQueue('keep', 'events', 'b');
    channel.sendToQueue('drop', Buffer.from('x'), { persistent: true });
    await channel.deleteQueue('drop');
    await connection.close();

    broker = await restart();
    connection = await amqplib.connect(broker.url);
    channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    await expect(channel.checkQueue('drop')).rejects.toThrow(/NOT_FOUND/);
    const confirmChannel = await connection.createConfirmChannel();
    confirmChannel.publish('events', 'a', Buffer.from('a'), { persistent: true });
    confirmChannel.publish('events', 'b', Buffer.from('b'), { persistent: true });
    await confirmChannel.waitForConfirms();
    expect((await confirmChannel.checkQueue('keep')).messageCount).toBe(1);
    await connection.close();
  });
});
