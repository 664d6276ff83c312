import { AMQPClient } from '@cloudamqp/amqp-client';
import amqplib, { type ChannelModel } from 'amqplib';
import { startTestBroker, type TestBroker } from '@app/testing';
import { channelError } from '../support/amqp-helpers.js';

// RabbitMQ's access-control table over AMQP, with a user limited to names starting `bob.`: every refusal is a 403
// channel error with RabbitMQ's text, and the connection stays usable.
describe('permissions', () => {
  let broker: TestBroker;
  let bob: ChannelModel;
  let guest: ChannelModel;
  const url = (user: string, password: string, vhost = '/'): string =>
    `amqp://${user}:${password}@127.0.0.1:${broker.port}/${encodeURIComponent(vhost)}`;
  const refused = (kind: string, name: string, vhost = '/', user = 'bob'): string =>
    `Channel closed by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to ${kind} '${name}' in vhost '${vhost}' refused for user '${user}'"`;

  beforeAll(async () => {
    broker = await startTestBroker();
    await broker.core.users.createUser('bob', { password: 'bob-pass' });
    await broker.core.permissions.set('bob', '/', { configure: '^bob\\.', write: '^bob\\.', read: '^bob\\.' });
    guest = await amqplib.connect(broker.url);
    const channel = await guest.createChannel();
    await channel.assertQueue('other', { durable: false });
    await channel.close();
    bob = await amqplib.connect(url('bob', 'bob-pass'));
    bob.on('error', () => undefined);
  });

  afterAll(async () => {
    await bob?.close().catch(() => undefined);
    await guest?.close().catch(() => undefined);
    await broker?.close();
  });

  describe('queue.declare', () => {
    it('declares a queue inside the pattern', async () => {
      const channel = await bob.createChannel();
      await channel.assertQueue('bob.q', { durable: false });
      await channel.close();
    });

    it('refuses a queue outside it with 403, and the connection stays usable', async () => {
      const error = await channelError(bob, (channel) => channel.assertQueue('elsewhere', { durable: false }));
      expect(error.code).toBe(403);
      expect(error.message).toBe(refused('queue', 'elsewhere'));
      const channel = await bob.createChannel();
      await channel.assertQueue('bob.after-refusal', { durable: false });
      await channel.close();
    });

    it('needs no permission for a passive declare', async () => {
      const channel = await bob.createChannel();
      expect((await channel.checkQueue('other')).queue).toBe('other');
      await channel.close();
    });

    it('checks configure on the name of a server-named queue (amq.gen-…)', async () => {
      const error = await channelError(bob, (channel) => channel.assertQueue('', { exclusive: true }));
      expect(error.message).toMatch(/ACCESS_REFUSED - access to queue 'amq\.gen-[^']+' in vhost '\/' refused for user 'bob'/);
    });

    it('needs read on the queue and write on a dead-letter exchange', async () => {
      const error = await channelError(bob, (channel) =>
        channel.assertQueue('bob.dl', { durable: false, arguments: { 'x-dead-letter-exchange': 'amq.fanout' } }),
      );
      expect(error.message).toBe(refused('exchange', 'amq.fanout'));
    });
  });

  describe('delete and purge', () => {
    it('refuses queue.delete and queue.purge outside the pattern', async () => {
      expect((await channelError(bob, (channel) => channel.deleteQueue('other'))).message).toBe(refused('queue', 'other'));
      expect((await channelError(bob, (channel) => channel.purgeQueue('other'))).message).toBe(refused('queue', 'other'));
    });

    it('refuses exchange.declare and exchange.delete outside the pattern', async () => {
      expect((await channelError(bob, (channel) => channel.assertExchange('x', 'direct', { durable: false }))).message).toBe(
        refused('exchange', 'x'),
      );
      expect((await channelError(bob, (channel) => channel.deleteExchange('amq.direct'))).code).toBe(403);
    });

    it('needs write on the alternate exchange of a new exchange', async () => {
      const error = await channelError(bob, (channel) =>
        channel.assertExchange('bob.with-ae', 'direct', { durable: false, alternateExchange: 'amq.fanout' }),
      );
      expect(error.message).toBe(refused('exchange', 'amq.fanout'));
    });
  });

  describe('publish, get and consume', () => {
    it('refuses a publish to amq.direct and to the default exchange (amq.default)', async () => {
      for (const exchange of ['amq.direct', '']) {
        const error = await channelError(bob, async (channel) => {
          channel.publish(exchange, 'bob.q', Buffer.from('x'));
          await channel.checkQueue('bob.q');
        });
        expect(error.message).toBe(refused('exchange', exchange === '' ? 'amq.default' : exchange));
      }
    });

    it('refuses basic.get and basic.consume on a queue outside the pattern', async () => {
      expect((await channelError(bob, (channel) => channel.get('other'))).message).toBe(refused('queue', 'other'));
      expect((await channelError(bob, (channel) => channel.consume('other', () => undefined))).message).toBe(refused('queue', 'other'));
    });

    it('publishes, gets and consumes inside the pattern', async () => {
      const channel = await bob.createConfirmChannel();
      await channel.assertExchange('bob.x', 'direct', { durable: false });
      await channel.assertQueue('bob.work', { durable: false });
      await channel.bindQueue('bob.work', 'bob.x', 'k');
      channel.publish('bob.x', 'k', Buffer.from('hello'));
      await channel.waitForConfirms();
      const message = await channel.get('bob.work', { noAck: true });
      expect(message && message.content.toString()).toBe('hello');
      await channel.consume('bob.work', () => undefined);
      await channel.close();
    });
  });

  describe('bindings', () => {
    it('needs write on the queue and read on the exchange', async () => {
      const channel = await bob.createChannel();
      await channel.assertExchange('bob.bind-x', 'direct', { durable: false });
      await channel.assertQueue('bob.bind-q', { durable: false });
      await channel.bindQueue('bob.bind-q', 'bob.bind-x', 'k');
      await channel.close();
      expect((await channelError(bob, (c) => c.bindQueue('other', 'bob.bind-x', 'k'))).message).toBe(refused('queue', 'other'));
      expect((await channelError(bob, (c) => c.bindQueue('bob.bind-q', 'amq.direct', 'k'))).message).toBe(
        refused('exchange', 'amq.direct'),
      );
      expect((await channelError(bob, (c) => c.unbindQueue('bob.bind-q', 'amq.direct', 'k'))).message).toBe(
        refused('exchange', 'amq.direct'),
      );
    });

    it('needs write on the destination exchange and read on the source for exchange.bind', async () => {
      const channel = await bob.createChannel();
      await channel.assertExchange('bob.dest', 'fanout', { durable: false });
      await channel.close();
      expect((await channelError(bob, (c) => c.bindExchange('bob.dest', 'amq.fanout', ''))).message).toBe(
        refused('exchange', 'amq.fanout'),
      );
      expect((await channelError(bob, (c) => c.bindExchange('amq.fanout', 'bob.dest', ''))).message).toBe(
        refused('exchange', 'amq.fanout'),
      );
    });
  });

  describe('topic permissions', () => {
    it('checks the routing key of a publish against the write regex, and the binding key against the read regex', async () => {
      await broker.core.users.createUser('tom', { password: 'tom-pass' });
      await broker.core.permissions.set('tom', '/', { configure: '^tom\\.', write: '.*', read: '.*' });
      await broker.core.permissions.setTopic('tom', '/', 'amq.topic', { write: '^{username}\\.', read: '^public\\.' });
      const tom = await amqplib.connect(url('tom', 'tom-pass'));
      tom.on('error', () => undefined);
      try {
        const channel = await tom.createConfirmChannel();
        await channel.assertQueue('tom.q', { durable: false });
        await channel.bindQueue('tom.q', 'amq.topic', 'public.#');
        channel.publish('amq.topic', 'tom.news', Buffer.from('ok'));
        await channel.waitForConfirms();
        await channel.close();
        const write = await channelError(tom, async (c) => {
          c.publish('amq.topic', 'alice.news', Buffer.from('no'));
          await c.checkQueue('tom.q');
        });
        expect(write.message).toBe(
          `Channel closed by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - write access to topic 'alice.news' in exchange 'amq.topic' in vhost '/' refused for user 'tom'"`,
        );
        const read = await channelError(tom, (c) => c.bindQueue('tom.q', 'amq.topic', 'private.#'));
        expect(read.message).toContain("read access to topic 'private.#' in exchange 'amq.topic' in vhost '/' refused for user 'tom'");
      } finally {
        await tom.close().catch(() => undefined);
      }
    });
  });

  describe('connection.open', () => {
    it('530 for a missing vhost', async () => {
      // amqp-client reports the close's reply text (amqplib does not).
      await expect(new AMQPClient(url('bob', 'bob-pass', 'nope')).connect()).rejects.toThrow('NOT_ALLOWED - vhost nope not found (530)');
    });

    it('530 for a vhost the user has no permission on', async () => {
      await broker.core.users.createUser('carol', { password: 'carol-pass' });
      await expect(new AMQPClient(url('carol', 'carol-pass')).connect()).rejects.toThrow(
        "NOT_ALLOWED - access to vhost '/' refused for user 'carol' (530)",
      );
    });
  });

  it('applies a permission change to open connections at their next check', async () => {
    await broker.core.users.createUser('dan', { password: 'dan-pass' });
    await broker.core.permissions.set('dan', '/', { configure: '.*', write: '.*', read: '.*' });
    const dan = await amqplib.connect(url('dan', 'dan-pass'));
    dan.on('error', () => undefined);
    try {
      const channel = await dan.createChannel();
      await channel.assertQueue('dan.q', { durable: false });
      await channel.close();
      await broker.core.permissions.set('dan', '/', { configure: '^$', write: '^$', read: '^$' });
      expect((await channelError(dan, (c) => c.assertQueue('dan.q2', { durable: false }))).message).toBe(
        refused('queue', 'dan.q2', '/', 'dan'),
      );
    } finally {
      await dan.close().catch(() => undefined);
    }
  });
});
