import amqplib, { type ChannelModel, type ConfirmChannel, type ConsumeMessage, type GetMessage } from 'amqplib';
import { channelError } from '../support/amqp-helpers.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/** Queue arguments and message properties that bound and redirect messages (RabbitMQ's semantics). */
describe('queue policies', () => {
  let server: TestBroker;
  let connection: ChannelModel;
  let channel: ConfirmChannel;
  let nextQueue = 0;

  beforeAll(async () => {
    server = await startBroker();
  });

  beforeEach(async () => {
    connection = await amqplib.connect(server.url);
    connection.on('error', () => undefined);
    channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
  });

  afterEach(async () => {
    await connection.close().catch(() => undefined);
  });

  afterAll(async () => {
    await server.close();
  });

  const name = (prefix: string): string => `${prefix}.${++nextQueue}`;

  /** Publishes and resolves true for an ack, false for a nack. */
  function publish(queue: string, body: string, options: amqplib.Options.Publish = {}): Promise<boolean> {
    return new Promise((resolve) => channel.sendToQueue(queue, Buffer.from(body), options, (error) => resolve(!error)));
  }

  async function drain(queue: string): Promise<GetMessage[]> {
    const out: GetMessage[] = [];
    for (let m = await channel.get(queue, { noAck: true }); m; m = await channel.get(queue, { noAck: true })) out.push(m);
    return out;
  }

  const bodies = (messages: { content: Buffer }[]): string[] => messages.map((m) => m.content.toString());

  async function deadLetterPair(args: Record<string, unknown>): Promise<{ source: string; dead: string }> {
    const dlx = name('dlx');
    const dead = name('dead');
    const source = name('source');
    await channel.assertExchange(dlx, 'fanout', { durable: false });
    await channel.assertQueue(dead, { durable: false });
    await channel.bindQueue(dead, dlx, '');
    await channel.assertQueue(source, { durable: false, arguments: { 'x-dead-letter-exchange': dlx, ...args } });
    return { source, dead };
  }

  describe('length limits', () => {
    it('x-max-length with drop-head (default) keeps the newest', async () => {
      const queue = name('maxlen');
      await channel.assertQueue(queue, { durable: false, arguments: { 'x-max-length': 2 } });
      for (const body of ['a', 'b', 'c']) expect(await publish(queue, body)).toBe(true);
      expect(bodies(await drain(queue))).toEqual(['b', 'c']);
    });

    it('x-max-length-bytes counts body bytes', async () => {
      const queue = name('maxbytes');
      await channel.assertQueue(queue, { durable: false, arguments: { 'x-max-length-bytes': 10 } });
      for (const body of ['aaaa', 'bbbb', 'cccc']) await publish(queue, body);
      expect(bodies(await drain(queue))).toEqual(['bbbb', 'cccc']);
    });

    it('reject-publish nacks the newest and keeps the oldest', async () => {
      const queue = name('reject');
      await channel.assertQueue(queue, { durable: false, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
      expect(await publish(queue, 'm1')).toBe(true);
      expect(await publish(queue, 'm2')).toBe(false);
      expect(bodies(await drain(queue))).toEqual(['m1']);
    });

    it('x-max-length 0 with reject-publish nacks every publish', async () => {
      const queue = name('zero');
      await channel.assertQueue(queue, { durable: false, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
      expect(await publish(queue, 'x')).toBe(false);
    });

    it('drop-head dead-letters with reason maxlen; reject-publish-dlx refuses and dead-letters', async () => {
      const head = await deadLetterPair({ 'x-max-length': 1 });
      await publish(head.source, 'old');
      await publish(head.source, 'new');
      const [dropped] = await drain(head.dead);
      expect(dropped.content.toString()).toBe('old');
      expect(dropped.properties.headers!['x-first-death-reason']).toBe('maxlen');
      const refuse = await deadLetterPair({ 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' });
      expect(await publish(refuse.source, 'kept')).toBe(true);
      expect(await publish(refuse.source, 'refused')).toBe(false);
      expect(bodies(await drain(refuse.source))).toEqual(['kept']);
      expect(bodies(await drain(refuse.dead))).toEqual(['refused']);
    });

    it('fanout to a full and a normal queue: nack, but the normal queue keeps its copy', async () => {
      const exchange = name('fan');
      const full = name('full');
      const normal = name('normal');
      await channel.assertExchange(exchange, 'fanout', { durable: false });
      await channel.assertQueue(full, { durable: false, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
      await channel.assertQueue(normal, { durable: false });
      await channel.bindQueue(full, exchange, '');
      await channel.bindQueue(normal, exchange, '');
      const acked = await new Promise<boolean>((resolve) => channel.publish(exchange, '', Buffer.from('x'), {}, (e) => resolve(!e)));
      expect(acked).toBe(false);
      expect((await channel.checkQueue(normal)).messageCount).toBe(1);
    });
  });

  describe('TTL', () => {
    it('x-message-ttl dead-letters expired messages from the head, reason expired', async () => {
      const { source, dead } = await deadLetterPair({ 'x-message-ttl': 20 });
      await publish(source, 'short-lived', { headers: { keep: 'me' } });
      await waitFor(async () => (await channel.checkQueue(dead)).messageCount === 1, { what: 'expiry' });
      const [message] = await drain(dead);
      const headers = message.properties.headers!;
      expect(headers.keep).toBe('me');
      expect(headers['x-first-death-reason']).toBe('expired');
      expect(headers['x-first-death-queue']).toBe(source);
      expect(headers['x-first-death-exchange']).toBe('');
      const [death] = headers['x-death'] as unknown as Array<Record<string, unknown>>;
      expect(death).toMatchObject({ count: 1, reason: 'expired', queue: source, exchange: '', 'routing-keys': [source] });
      expect(death.time).toBeDefined();
      expect((await channel.checkQueue(source)).messageCount).toBe(0);
    });

    it('per-message expiration: the lower of queue and message TTL wins, original-expiration is recorded', async () => {
      const { source, dead } = await deadLetterPair({ 'x-message-ttl': 60_000 });
      await publish(source, 'quick', { expiration: '10' });
      await waitFor(async () => (await channel.checkQueue(dead)).messageCount === 1, { what: 'expiry' });
      const [message] = await drain(dead);
      expect(message.properties.expiration).toBeUndefined();
      const [death] = message.properties.headers!['x-death'] as unknown as Array<Record<string, unknown>>;
      expect(death['original-expiration']).toBe('10');
    });

    it('expired messages are not delivered to a late consumer', async () => {
      const queue = name('ttl-drop');
      await channel.assertQueue(queue, { durable: false, arguments: { 'x-message-ttl': 5 } });
      await publish(queue, 'stale');
      await waitFor(async () => (await channel.checkQueue(queue)).messageCount === 0, { what: 'the expiry timer' });
      await publish(queue, 'also-stale');
      expect(await waitFor(async () => (await channel.get(queue, { noAck: true })) === false || undefined)).toBe(true);
    });

    it('x-expires deletes a queue left unused', async () => {
      const queue = name('expires');
      await channel.assertQueue(queue, { durable: false, arguments: { 'x-expires': 30 } });
      await waitFor(
        async () => {
          const error = await channelError(connection, (ch) => ch.checkQueue(queue)).catch(() => undefined);
          return error?.code === 404;
        },
        { what: 'the queue to expire' },
      );
    });
  });

  describe('dead-lettering', () => {
    it('reject and nack without requeue dead-letter with reason rejected and x-dead-letter-routing-key', async () => {
      const dlx = name('dlx-direct');
      const dead = name('dead-direct');
      const source = name('source-direct');
      await channel.assertExchange(dlx, 'direct', { durable: false });
      await channel.assertQueue(dead, { durable: false });
      await channel.bindQueue(dead, dlx, 'dead-key');
      await channel.assertQueue(source, {
        durable: false,
        arguments: { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'dead-key' },
      });
      await publish(source, 'one');
      await publish(source, 'two');
      const first = (await channel.get(source)) as GetMessage;
      const second = (await channel.get(source)) as GetMessage;
      channel.reject(first, false);
      channel.nack(second, false, false);
      await waitFor(async () => (await channel.checkQueue(dead)).messageCount === 2);
      const messages = await drain(dead);
      expect(bodies(messages)).toEqual(['one', 'two']);
      expect(messages[0].fields.routingKey).toBe('dead-key');
      expect(messages[0].fields.exchange).toBe(dlx);
      expect(messages[0].properties.headers!['x-death']![0]).toMatchObject({ reason: 'rejected', queue: source, 'routing-keys': [source] });
    });

    it('counts repeated deaths in the same queue and stops cycles that have no rejection', async () => {
      // a → (ttl) → b → (ttl) → a ...: RabbitMQ drops the message when it would die in a again.
      const a = name('cycle-a');
      const b = name('cycle-b');
      await channel.assertQueue(a, {
        durable: false,
        arguments: { 'x-message-ttl': 5, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': b },
      });
      await channel.assertQueue(b, {
        durable: false,
        arguments: { 'x-message-ttl': 5, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': a },
      });
      await publish(a, 'loop');
      // It dies in a, then in b; returning to a would be a cycle, so it is dropped.
      await waitFor(async () => (await channel.checkQueue(a)).messageCount === 0 && (await channel.checkQueue(b)).messageCount === 0);
      const repeated = name('repeat');
      await channel.assertQueue(repeated, {
        durable: false,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': repeated },
      });
      await publish(repeated, 'again');
      for (let i = 1; i <= 3; i++) {
        const message = await waitFor(async () => (await channel.get(repeated)) || undefined);
        expect(message.properties.headers?.['x-death']?.[0]?.count ?? 0).toBe(i - 1);
        // A rejection in the cycle lets the message come back, each time with a higher count.
        channel.reject(message, false);
      }
    });

    it('x-delivery-limit: x-delivery-count on redeliveries, then dead-lettered with reason delivery_limit', async () => {
      const { source, dead } = await deadLetterPair({ 'x-delivery-limit': 2 });
      await publish(source, 'poison');
      const counts: Array<number | undefined> = [];
      for (let i = 0; i < 3; i++) {
        const message = await waitFor(async () => (await channel.get(source)) || undefined);
        counts.push(message.properties.headers?.['x-delivery-count']);
        channel.nack(message, false, true);
      }
      expect(counts).toEqual([undefined, 1, 2]);
      await waitFor(async () => (await channel.checkQueue(dead)).messageCount === 1);
      const [message] = await drain(dead);
      expect(message.properties.headers!['x-first-death-reason']).toBe('delivery_limit');
    });
  });

  describe('priorities and sender-selected distribution', () => {
    it('x-max-priority delivers the highest priority first, FIFO within a priority', async () => {
      const queue = name('priority');
      await channel.assertQueue(queue, { durable: false, arguments: { 'x-max-priority': 5 } });
      const sent: Array<[string, number | undefined]> = [
        ['low-1', 1],
        ['none', undefined],
        ['high-1', 5],
        ['over', 9],
        ['low-2', 1],
        ['high-2', 5],
      ];
      for (const [body, priority] of sent) await publish(queue, body, priority === undefined ? {} : { priority });
      expect(bodies(await drain(queue))).toEqual(['high-1', 'over', 'high-2', 'low-1', 'low-2', 'none']);
    });

    it('routes on CC and BCC headers and strips BCC', async () => {
      const exchange = name('cc');
      const [main, cc, bcc] = [name('main'), name('copy'), name('blind')];
      await channel.assertExchange(exchange, 'direct', { durable: false });
      for (const [queue, key] of [
        [main, 'main'],
        [cc, 'copy'],
        [bcc, 'blind'],
      ]) {
        await channel.assertQueue(queue, { durable: false });
        await channel.bindQueue(queue, exchange, key);
      }
      channel.publish(exchange, 'main', Buffer.from('hello'), { CC: ['copy'], BCC: ['blind'] } as amqplib.Options.Publish);
      await channel.waitForConfirms();
      const got: ConsumeMessage[] = [];
      for (const queue of [main, cc, bcc]) got.push(...((await drain(queue)) as unknown as ConsumeMessage[]));
      expect(got).toHaveLength(3);
      for (const message of got) {
        expect(message.properties.headers!.CC).toEqual(['copy']);
        expect(message.properties.headers!.BCC).toBeUndefined();
      }
    });
  });

  describe('single active consumer', () => {
    it('x-single-active-consumer delivers to the first consumer only; the next takes over when it is cancelled', async () => {
      const queue = name('sac');
      await channel.assertQueue(queue, { durable: false, arguments: { 'x-single-active-consumer': true } });
      const received: Array<{ consumer: string; body: string }> = [];
      const consumers: Array<{ tag: string; channel: amqplib.Channel }> = [];
      for (const consumer of ['first', 'second', 'third']) {
        const own = await connection.createChannel();
        await own.prefetch(2);
        const { consumerTag } = await own.consume(queue, (message) => {
          if (!message) return;
          received.push({ consumer, body: message.content.toString() });
          own.ack(message);
        });
        consumers.push({ tag: consumerTag, channel: own });
      }
      for (let i = 0; i < 6; i++) await publish(queue, `a${i}`);
      await waitFor(() => received.length === 6, { what: 'the first six messages' });
      await consumers[0]!.channel.cancel(consumers[0]!.tag);
      for (let i = 0; i < 6; i++) await publish(queue, `b${i}`);
      await waitFor(() => received.length === 12, { what: 'the next six messages' });
      expect(received.map(({ consumer }) => consumer)).toEqual([...Array(6).fill('first'), ...Array(6).fill('second')]);
      expect(received.map(({ body }) => body)).toEqual([
        ...Array.from({ length: 6 }, (_, i) => `a${i}`),
        ...Array.from({ length: 6 }, (_, i) => `b${i}`),
      ]);
    });
  });

  describe('bad arguments', () => {
    it.each([
      [{ 'x-single-active-consumer': 'yes' }, "invalid arg 'x-single-active-consumer'", '{unacceptable_type,longstr}'],
      [{ 'x-max-length': -1 }, "invalid arg 'x-max-length'", '{value_negative,-1}'],
      [{ 'x-overflow': 'sideways' }, "invalid arg 'x-overflow'", 'unacceptable_value'],
      [{ 'x-message-ttl': 'soon' }, "invalid arg 'x-message-ttl'", '{unacceptable_type,longstr}'],
    ])('406 for %p on declare', async (args, arg, detail) => {
      const queue = name('bad');
      const error = await channelError(connection, (ch) => ch.assertQueue(queue, { durable: false, arguments: args }));
      expect(error).toMatchObject({ code: 406, classId: 50, methodId: 10 });
      expect(error.message).toContain(`PRECONDITION_FAILED - ${arg} for queue '${queue}' in vhost '/'`);
      expect(error.message).toContain(detail);
    });
  });
});
