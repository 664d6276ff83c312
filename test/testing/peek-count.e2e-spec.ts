import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { startTestBroker, type TestBroker } from '@app/testing';

/** peek and count: looking at ready messages without consuming them. */
describe('TestBroker.peek and count', () => {
  let broker: TestBroker;
  let connection: ChannelModel;
  let channel: Channel;

  beforeAll(async () => {
    broker = await startTestBroker();
    connection = await amqplib.connect(broker.url);
  });

  afterAll(async () => {
    await connection.close();
    await broker.close();
  });

  beforeEach(async () => {
    await broker.reset();
    channel = await connection.createChannel();
  });

  afterEach(async () => {
    await channel.close().catch(() => undefined);
  });

  it('shows body, properties, plain headers, routing key, exchange and redelivered, head first', async () => {
    await channel.assertExchange('orders', 'topic');
    await channel.assertQueue('billing');
    await channel.bindQueue('billing', 'orders', 'order.#');
    channel.publish('orders', 'order.created', Buffer.from('{"id":1}'), {
      contentType: 'application/json',
      correlationId: 'c-1',
      headers: { tenant: 'acme', attempt: 1 },
      persistent: true,
    });
    channel.sendToQueue('billing', Buffer.from('direct'), { messageId: 'm-2' });
    await broker.waitForQueue('billing', { messages: 2 });

    const [first, second] = broker.peek('billing');

    expect(first).toEqual({
      exchange: 'orders',
      routingKey: 'order.created',
      body: Buffer.from('{"id":1}'),
      properties: expect.objectContaining({ contentType: 'application/json', correlationId: 'c-1', deliveryMode: 2 }),
      headers: { tenant: 'acme', attempt: 1 },
      redelivered: false,
    });
    expect(second).toMatchObject({ exchange: '', routingKey: 'billing', properties: { messageId: 'm-2' } });
  });

  it('does not consume: a consumer afterwards gets every peeked message', async () => {
    await channel.assertQueue('work');
    for (const n of [1, 2, 3]) channel.sendToQueue('work', Buffer.from(`m${n}`));
    await broker.waitForQueue('work', { messages: 3 });

    expect(broker.peek('work', 2).map((m) => m.body.toString())).toEqual(['m1', 'm2']);
    expect(broker.peek('work', 0)).toEqual([]);
    expect(broker.count('work')).toBe(3);

    const received: string[] = [];
    await channel.consume('work', (m) => received.push(m!.content.toString()), { noAck: true });
    await broker.waitForQueue('work', { empty: true });
    expect(received).toEqual(['m1', 'm2', 'm3']);
    expect(broker.count('work')).toBe(0);
  });

  it('marks a message nacked back into the queue as redelivered', async () => {
    await channel.assertQueue('retry');
    channel.sendToQueue('retry', Buffer.from('flaky'));
    await broker.waitForQueue('retry', { messages: 1 });
    const message = await channel.get('retry');
    expect(message).not.toBe(false);
    expect(broker.count('retry')).toBe(0);
    expect(broker.queue('retry').unackedCount).toBe(1);

    channel.nack(message as amqplib.GetMessage, false, true);
    await broker.waitForQueue('retry', { messages: 1, unacked: 0 });

    expect(broker.peek('retry')).toMatchObject([{ body: Buffer.from('flaky'), redelivered: true }]);
  });

  it('throws naming a queue that does not exist', () => {
    expect(() => broker.peek('nope')).toThrow("testing: no queue 'nope' in vhost '/'");
    expect(() => broker.count('nope')).toThrow("testing: no queue 'nope' in vhost '/'");
  });
});
