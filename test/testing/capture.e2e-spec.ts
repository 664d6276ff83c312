import type { Message } from 'amqplib';
import { waitFor } from '@app/testing';
import { useBrokerPerFile } from '../support/broker-per-file.js';

/** capture(): recording what is routed to an exchange, per exchange type, and the capture's lifecycle. */
describe('TestBroker.capture', () => {
  const env = useBrokerPerFile();

  it('records every message published to a topic exchange, whatever its key, in order', async () => {
    await env.channel.assertExchange('events', 'topic');
    const capture = env.broker.capture('events');
    const keys = ['user.created', 'order.paid.eu', 'x', ''];
    for (const [i, key] of keys.entries()) env.channel.publish('events', key, Buffer.from(`e${i}`), { messageId: `m${i}` });

    const messages = await capture.waitFor(4);

    expect(messages.map((m) => [m.routingKey, m.body.toString(), m.properties.messageId])).toEqual([
      ['user.created', 'e0', 'm0'],
      ['order.paid.eu', 'e1', 'm1'],
      ['x', 'e2', 'm2'],
      ['', 'e3', 'm3'],
    ]);
    expect(messages.every((m) => m.exchange === 'events' && !m.redelivered)).toBe(true);
  });

  it.each([
    ['fanout', {}, {}],
    ['headers', { headers: { kind: 'a' } }, {}],
    ['direct', {}, { routingKeys: ['k1', 'k2'] }],
  ])('captures a %s exchange', async (type, publishOptions, captureOptions) => {
    await env.channel.assertExchange(`ex-${type}`, type);
    const capture = env.broker.capture(`ex-${type}`, captureOptions);
    for (const key of ['k1', 'k2', 'k3']) env.channel.publish(`ex-${type}`, key, Buffer.from(key), publishOptions);
    env.channel.publish(`ex-${type}`, 'k1', Buffer.from('last'), publishOptions);

    const messages = await capture.waitFor(type === 'direct' ? 3 : 4);

    expect(messages.map((m) => m.body.toString())).toEqual(type === 'direct' ? ['k1', 'k2', 'last'] : ['k1', 'k2', 'k3', 'last']);
  });

  it('refuses a direct exchange without routingKeys, the default exchange and a missing exchange', async () => {
    await env.channel.assertExchange('commands', 'direct');

    expect(() => env.broker.capture('commands')).toThrow(
      "testing: exchange 'commands' is of type 'direct', which has no catch-all binding key; pass capture('commands', { routingKeys: [...] })",
    );
    expect(() => env.broker.capture('')).toThrow(/default exchange '' cannot be bound/);
    expect(() => env.broker.capture('nope')).toThrow("testing: no exchange 'nope' in vhost '/' to capture");
    expect([...env.broker.vhost.allQueues()]).toEqual([]);
  });

  it('sees messages routed to the exchange through exchange-to-exchange bindings, with their original exchange', async () => {
    await env.channel.assertExchange('orders', 'topic');
    await env.channel.assertExchange('audit', 'fanout');
    await env.channel.bindExchange('audit', 'orders', 'order.#');
    const audit = env.broker.capture('audit');

    env.channel.publish('orders', 'order.created', Buffer.from('routed'));
    env.channel.publish('orders', 'invoice.sent', Buffer.from('not routed to audit'));
    env.channel.publish('audit', 'direct-to-audit', Buffer.from('published to audit'));

    const messages = await audit.waitFor(2);
    expect(messages.map((m) => `${m.exchange}/${m.routingKey}/${m.body}`)).toEqual([
      'orders/order.created/routed',
      'audit/direct-to-audit/published to audit',
    ]);
  });

  it('does not take messages from the queues bound to the exchange', async () => {
    await env.channel.assertExchange('jobs', 'fanout');
    await env.channel.assertQueue('worker');
    await env.channel.bindQueue('worker', 'jobs', '');
    const capture = env.broker.capture('jobs');

    for (let i = 0; i < 5; i++) env.channel.publish('jobs', '', Buffer.from(String(i)));

    await capture.waitFor(5);
    await env.broker.waitForQueue('worker', { messages: 5 });
  });

  it('is a real exclusive server-named queue: a client cannot consume from it', async () => {
    await env.channel.assertExchange('events', 'topic');
    const capture = env.broker.capture('events');

    expect(capture.queueName).toMatch(/^amq\.gen-/);
    expect(env.broker.queue(capture.queueName).options).toMatchObject({ exclusive: true, durable: false });
    const other = await env.connection.createChannel();
    const closed = new Promise<{ code: number }>((resolve) => other.on('error', resolve));
    other.consume(capture.queueName, () => undefined).catch(() => undefined);
    await expect(closed).resolves.toMatchObject({ code: 405 });
  });

  it('clear() starts counting again from zero', async () => {
    await env.channel.assertExchange('events', 'fanout');
    const capture = env.broker.capture('events');
    env.channel.publish('events', '', Buffer.from('before'));
    const before = await capture.waitFor(1);

    capture.clear();
    env.channel.publish('events', '', Buffer.from('after'));

    expect((await capture.waitFor(1)).map((m) => m.body.toString())).toEqual(['after']);
    expect(before.map((m) => m.body.toString())).toEqual(['before']);
    expect(capture.messages).toHaveLength(1);
  });

  it('waitFor times out saying how many arrived', async () => {
    await env.channel.assertExchange('quiet', 'fanout');
    const capture = env.broker.capture('quiet');
    env.channel.publish('quiet', '', Buffer.from('one'));
    await capture.waitFor(1);

    await expect(capture.waitFor(3, { timeoutMs: 50 })).rejects.toThrow(
      "testing: timed out after 50 ms waiting for 3 messages captured from exchange 'quiet'; got 1",
    );
  });

  it('stop() removes its queue and binding, rejects pending waits and records nothing more', async () => {
    await env.channel.assertExchange('events', 'fanout');
    const capture = env.broker.capture('events');
    const pending = capture.waitFor(1).catch((error: unknown) => error);

    capture.stop();
    capture.stop();
    env.channel.publish('events', '', Buffer.from('after stop'));
    // A round trip on the same channel: the publish before it has been routed by now.
    await env.channel.checkExchange('events');

    expect(await pending).toEqual(
      new Error("testing: the capture of exchange 'events' ended (it was stopped) with 0 of 1 awaited messages"),
    );
    await expect(capture.waitFor(1)).rejects.toThrow(/ended \(it was stopped\)/);
    expect(capture.isStopped).toBe(true);
    expect(env.broker.vhost.getQueue(capture.queueName)).toBeUndefined();
    expect(env.broker.bindings({ exchange: 'events', includeInternal: true })).toEqual([]);
    expect(capture.messages).toEqual([]);
  });

  it('ends when reset() deletes its queue', async () => {
    await env.channel.assertExchange('events', 'fanout');
    const capture = env.broker.capture('events');
    const pending = capture.waitFor(1);

    await env.broker.reset();

    await expect(pending).rejects.toThrow(/ended \(its queue was deleted\)/);
    expect(capture.isStopped).toBe(true);
  });

  it('makes its exchange always routable: a mandatory publish is not returned while a capture runs', async () => {
    await env.channel.assertExchange('lonely', 'topic');
    const returned: string[] = [];
    env.channel.on('return', (message: Message) => returned.push(message.content.toString()));
    env.channel.publish('lonely', 'nobody.listens', Buffer.from('returned'), { mandatory: true });
    await waitFor(() => returned.length === 1);

    const capture = env.broker.capture('lonely');
    env.channel.publish('lonely', 'nobody.listens', Buffer.from('captured'), { mandatory: true });
    await capture.waitFor(1);
    capture.stop();
    env.channel.publish('lonely', 'nobody.listens', Buffer.from('returned again'), { mandatory: true });
    await waitFor(() => returned.length === 2);

    expect(returned).toEqual(['returned', 'returned again']);
  });
});
