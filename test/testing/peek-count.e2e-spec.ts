import type amqplib from 'amqplib';
import { useBrokerPerFile } from '../support/broker-per-file.js';

/** peek and count: looking at ready messages without consuming them. */
describe('TestBroker.peek and count', () => {
  const env = useBrokerPerFile();

  it('shows body, properties, plain headers, routing key, exchange and redelivered, head first', async () => {
    await env.channel.assertExchange('orders', 'topic');
    await env.channel.assertQueue('billing');
    await env.channel.bindQueue('billing', 'orders', 'order.#');
    env.channel.publish('orders', 'order.created', Buffer.from('{"id":1}'), {
      contentType: 'application/json',
      correlationId: 'c-1',
      headers: { tenant: 'acme', attempt: 1 },
      persistent: true,
    });
    env.channel.sendToQueue('billing', Buffer.from('direct'), { messageId: 'm-2' });
    await env.broker.waitForQueue('billing', { messages: 2 });

    const [first, second] = env.broker.peek('billing');

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
    await env.channel.assertQueue('work');
    for (const n of [1, 2, 3]) env.channel.sendToQueue('work', Buffer.from(`m${n}`));
    await env.broker.waitForQueue('work', { messages: 3 });

    expect(env.broker.peek('work', 2).map((m) => m.body.toString())).toEqual(['m1', 'm2']);
    expect(env.broker.peek('work', 0)).toEqual([]);
    expect(env.broker.count('work')).toBe(3);

    const received: string[] = [];
    await env.channel.consume('work', (m) => received.push(m!.content.toString()), { noAck: true });
    await env.broker.waitForQueue('work', { empty: true });
    expect(received).toEqual(['m1', 'm2', 'm3']);
    expect(env.broker.count('work')).toBe(0);
  });

  it('marks a message nacked back into the queue as redelivered', async () => {
    await env.channel.assertQueue('retry');
    env.channel.sendToQueue('retry', Buffer.from('flaky'));
    await env.broker.waitForQueue('retry', { messages: 1 });
    const message = await env.channel.get('retry');
    expect(message).not.toBe(false);
    expect(env.broker.count('retry')).toBe(0);
    expect(env.broker.queue('retry').unackedCount).toBe(1);

    env.channel.nack(message as amqplib.GetMessage, false, true);
    await env.broker.waitForQueue('retry', { messages: 1, unacked: 0 });

    expect(env.broker.peek('retry')).toMatchObject([{ body: Buffer.from('flaky'), redelivered: true }]);
  });

  it('throws naming a queue that does not exist', () => {
    expect(() => env.broker.peek('nope')).toThrow("testing: no queue 'nope' in vhost '/'");
    expect(() => env.broker.count('nope')).toThrow("testing: no queue 'nope' in vhost '/'");
  });
});
