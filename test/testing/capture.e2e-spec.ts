import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { startTestBroker, waitFor, type TestBroker } from '@app/testing';

/** capture(): recording what is routed to an exchange, per exchange type, and the capture's lifecycle. */
describe('TestBroker.capture', () => {
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

  it('records every message published to a topic exchange, whatever its key, in order', async () => {
    await channel.assertExchange('events', 'topic');
    const capture = broker.capture('events');
    const keys = ['user.created', 'order.paid.eu', 'x', ''];
    for (const [i, key] of keys.entries()) channel.publish('events', key, Buffer.from(`e${i}`), { messageId: `m${i}` });

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
    await channel.assertExchange(`ex-${type}`, type);
    const capture = broker.capture(`ex-${type}`, captureOptions);
    for (const key of ['k1', 'k2', 'k3']) channel.publish(`ex-${type}`, key, Buffer.from(key), publishOptions);
    channel.publish(`ex-${type}`, 'k1', Buffer.from('last'), publishOptions);

    const messages = await capture.waitFor(type === 'direct' ? 3 : 4);

    expect(messages.map((m) => m.body.toString())).toEqual(type === 'direct' ? ['k1', 'k2', 'last'] : ['k1', 'k2', 'k3', 'last']);
  });

  it('refuses a direct exchange without routingKeys, the default exchange and a missing exchange', async () => {
    await channel.assertExchange('commands', 'direct');

    expect(() => broker.capture('commands')).toThrow(
      "testing: exchange 'commands' is of type 'direct', which has no catch-all binding key; pass capture('commands', { routingKeys: [...] })",
    );
    expect(() => broker.capture('')).toThrow(/default exchange '' cannot be bound/);
    expect(() => broker.capture('nope')).toThrow("testing: no exchange 'nope' in vhost '/' to capture");
    expect([...broker.vhost.allQueues()]).toEqual([]);
  });

  it('sees messages routed to the exchange through exchange-to-exchange bindings, with their original exchange', async () => {
    await channel.assertExchange('orders', 'topic');
    await channel.assertExchange('audit', 'fanout');
    await channel.bindExchange('audit', 'orders', 'order.#');
    const audit = broker.capture('audit');

    channel.publish('orders', 'order.created', Buffer.from('routed'));
    channel.publish('orders', 'invoice.sent', Buffer.from('not routed to audit'));
    channel.publish('audit', 'direct-to-audit', Buffer.from('published to audit'));

    const messages = await audit.waitFor(2);
    expect(messages.map((m) => `${m.exchange}/${m.routingKey}/${m.body}`)).toEqual([
      'orders/order.created/routed',
      'audit/direct-to-audit/published to audit',
    ]);
  });

  it('does not take messages from the queues bound to the exchange', async () => {
    await channel.assertExchange('jobs', 'fanout');
    await channel.assertQueue('worker');
    await channel.bindQueue('worker', 'jobs', '');
    const capture = broker.capture('jobs');

    for (let i = 0; i < 5; i++) channel.publish('jobs', '', Buffer.from(String(i)));

    await capture.waitFor(5);
    await broker.waitForQueue('worker', { messages: 5 });
  });

  it('is a real exclusive server-named queue: a client cannot consume from it', async () => {
    await channel.assertExchange('events', 'topic');
    const capture = broker.capture('events');

    expect(capture.queueName).toMatch(/^amq\.gen-/);
    expect(broker.queue(capture.queueName).options).toMatchObject({ exclusive: true, durable: false });
    const other = await connection.createChannel();
    const closed = new Promise<{ code: number }>((resolve) => other.on('error', resolve));
    other.consume(capture.queueName, () => undefined).catch(() => undefined);
    await expect(closed).resolves.toMatchObject({ code: 405 });
  });

  it('clear() starts counting again from zero', async () => {
    await channel.assertExchange('events', 'fanout');
    const capture = broker.capture('events');
    channel.publish('events', '', Buffer.from('before'));
    const before = await capture.waitFor(1);

    capture.clear();
    channel.publish('events', '', Buffer.from('after'));

    expect((await capture.waitFor(1)).map((m) => m.body.toString())).toEqual(['after']);
    expect(before.map((m) => m.body.toString())).toEqual(['before']);
    expect(capture.messages).toHaveLength(1);
  });

  it('waitFor times out saying how many arrived', async () => {
    await channel.assertExchange('quiet', 'fanout');
    const capture = broker.capture('quiet');
    channel.publish('quiet', '', Buffer.from('one'));
    await capture.waitFor(1);

    await expect(capture.waitFor(3, { timeoutMs: 50 })).rejects.toThrow(
      "testing: timed out after 50 ms waiting for 3 messages captured from exchange 'quiet'; got 1",
    );
  });

  it('stop() removes its queue and binding, rejects pending waits and records nothing more', async () => {
    await channel.assertExchange('events', 'fanout');
    const capture = broker.capture('events');
    const pending = capture.waitFor(1).catch((error: unknown) => error);

    capture.stop();
    capture.stop();
    channel.publish('events', '', Buffer.from('after stop'));
    // A round trip on the same channel: the publish before it has been routed by now.
    await channel.checkExchange('events');

    expect(await pending).toEqual(
      new Error("testing: the capture of exchange 'events' ended (it was stopped) with 0 of 1 awaited messages"),
    );
    await expect(capture.waitFor(1)).rejects.toThrow(/ended \(it was stopped\)/);
    expect(capture.isStopped).toBe(true);
    expect(broker.vhost.getQueue(capture.queueName)).toBeUndefined();
    expect(broker.bindings({ exchange: 'events', includeInternal: true })).toEqual([]);
    expect(capture.messages).toEqual([]);
  });

  it('ends when reset() deletes its queue', async () => {
    await channel.assertExchange('events', 'fanout');
    const capture = broker.capture('events');
    const pending = capture.waitFor(1);

    await broker.reset();

    await expect(pending).rejects.toThrow(/ended \(its queue was deleted\)/);
    expect(capture.isStopped).toBe(true);
  });

  it('makes its exchange always routable: a mandatory publish is not returned while a capture runs', async () => {
    await channel.assertExchange('lonely', 'topic');
    const returned: string[] = [];
    channel.on('return', (message: amqplib.Message) => returned.push(message.content.toString()));
    channel.publish('lonely', 'nobody.listens', Buffer.from('returned'), { mandatory: true });
    await waitFor(() => returned.length === 1);

    const capture = broker.capture('lonely');
    channel.publish('lonely', 'nobody.listens', Buffer.from('captured'), { mandatory: true });
    await capture.waitFor(1);
    capture.stop();
    channel.publish('lonely', 'nobody.listens', Buffer.from('returned again'), { mandatory: true });
    await waitFor(() => returned.length === 2);

    expect(returned).toEqual(['returned', 'returned again']);
  });
});
