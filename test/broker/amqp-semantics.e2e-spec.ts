import { AMQPClient } from '@cloudamqp/amqp-client';
import amqplib, { type ChannelModel, type ConsumeMessage, type GetMessage } from 'amqplib';
import { channelError } from '../support/amqp-helpers.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/** RabbitMQ's codes and reply texts for protocol misuse, exercised with amqplib. */
describe('AMQP semantics', () => {
  let server: TestBroker;
  let connection: ChannelModel;
  const extra: ChannelModel[] = [];

  beforeAll(async () => {
    server = await startBroker();
  });

  beforeEach(async () => {
    connection = await amqplib.connect(server.url);
    connection.on('error', () => undefined);
  });

  afterEach(async () => {
    await connection.close().catch(() => undefined);
    await Promise.all(extra.splice(0).map((c) => c.close().catch(() => undefined)));
  });

  afterAll(async () => {
    await server.close();
  });

  function must(message: GetMessage | false): GetMessage {
    if (!message) throw new Error('expected a message, got get-empty');
    return message;
  }

  async function other(): Promise<ChannelModel> {
    const c = await amqplib.connect(server.url);
    c.on('error', () => undefined);
    extra.push(c);
    return c;
  }

  describe('queue class', () => {
    it('404 for a passive declare of a missing queue (50/10)', async () => {
      const error = await channelError(connection, (ch) => ch.checkQueue('nope'));
      expect(error).toMatchObject({ code: 404, classId: 50, methodId: 10 });
      expect(error.message).toContain("NOT_FOUND - no queue 'nope' in vhost '/'");
    });

    it('406 for an inequivalent redeclare, with RabbitMQ text', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.durable', { durable: false });
      const error = await channelError(connection, (c) => c.assertQueue('sem.durable', { durable: true }));
      expect(error.code).toBe(406);
      expect(error.message).toContain(
        "PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'sem.durable' in vhost '/': received 'true' but current is 'false'",
      );
      const args = await channelError(connection, (c) =>
        c.assertQueue('sem.durable', { durable: false, arguments: { 'x-max-length': 10 } }),
      );
      expect(args.message).toContain("inequivalent arg 'x-max-length'");
      await ch.deleteQueue('sem.durable');
    });

    it('403 for a reserved amq.* queue name', async () => {
      const error = await channelError(connection, (ch) => ch.assertQueue('amq.mine'));
      expect(error.code).toBe(403);
      expect(error.message).toContain("ACCESS_REFUSED - queue name 'amq.mine' contains reserved prefix 'amq.*'");
    });

    it('server-named queues look like amq.gen-…', async () => {
      const ch = await connection.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      expect(queue).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
    });

    it('exclusive queues: 405 for another connection, deleted when the owner closes', async () => {
      const owner = await other();
      const ownerChannel = await owner.createChannel();
      await ownerChannel.assertQueue('sem.exclusive', { exclusive: true });
      const error = await channelError(connection, (ch) => ch.checkQueue('sem.exclusive'));
      expect(error.code).toBe(405);
      expect(error.message).toContain("RESOURCE_LOCKED - cannot obtain exclusive access to locked queue 'sem.exclusive'");
      const consumeError = await channelError(connection, (ch) => ch.consume('sem.exclusive', () => undefined));
      expect(consumeError.code).toBe(405);
      await owner.close();
      extra.splice(extra.indexOf(owner), 1);
      const probe = await channelError(connection, (ch) => ch.checkQueue('sem.exclusive'));
      expect(probe.code).toBe(404);
    });

    it('auto-delete queues go when their last consumer is cancelled', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.auto', { autoDelete: true });
      const a = await ch.consume('sem.auto', () => undefined);
      const b = await ch.consume('sem.auto', () => undefined);
      await ch.cancel(a.consumerTag);
      expect((await ch.checkQueue('sem.auto')).consumerCount).toBe(1);
      await ch.cancel(b.consumerTag);
      const error = await channelError(connection, (c) => c.checkQueue('sem.auto'));
      expect(error.code).toBe(404);
    });

    it('delete if-empty / if-unused answer 406 with RabbitMQ text', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.full');
      ch.sendToQueue('sem.full', Buffer.from('x'));
      await waitFor(async () => (await ch.checkQueue('sem.full')).messageCount === 1);
      const notEmpty = await channelError(connection, (c) => c.deleteQueue('sem.full', { ifEmpty: true }));
      expect(notEmpty).toMatchObject({ code: 406, classId: 50, methodId: 40 });
      expect(notEmpty.message).toContain("PRECONDITION_FAILED - queue 'sem.full' in vhost '/' not empty");
      await ch.consume('sem.full', () => undefined, { noAck: true });
      const inUse = await channelError(connection, (c) => c.deleteQueue('sem.full', { ifUnused: true }));
      expect(inUse.message).toContain("PRECONDITION_FAILED - queue 'sem.full' in vhost '/' in use");
      const { messageCount } = await ch.deleteQueue('sem.full');
      expect(messageCount).toBe(0);
    });

    it('purge drops ready messages and reports how many', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.purge');
      for (let i = 0; i < 5; i++) ch.sendToQueue('sem.purge', Buffer.from('x'));
      await waitFor(async () => (await ch.checkQueue('sem.purge')).messageCount === 5);
      expect((await ch.purgeQueue('sem.purge')).messageCount).toBe(5);
      await ch.deleteQueue('sem.purge');
    });

    it('sends basic.cancel to consumers of a deleted queue', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.cancelled');
      let cancelled = false;
      await ch.consume('sem.cancelled', (message) => {
        if (message === null) cancelled = true;
      });
      const admin = await (await other()).createChannel();
      await admin.deleteQueue('sem.cancelled');
      await waitFor(() => cancelled, { what: 'basic.cancel' });
    });
  });

  describe('exchange class', () => {
    it.each([
      ['an unknown type (hard 503)', () => ({ name: 'sem.bogus', type: 'bogus' }), /COMMAND_INVALID - unknown exchange type 'bogus'/],
    ])('refuses %s', async (_name, make, text) => {
      const { name, type } = make();
      const closed = new Promise<Error>((resolve) => connection.once('close', resolve));
      const ch = await connection.createChannel();
      ch.on('error', () => undefined);
      await ch.assertExchange(name, type).catch(() => undefined);
      expect(String(await closed)).toMatch(text);
    });

    it('406 for a redeclare with another type', async () => {
      const ch = await connection.createChannel();
      await ch.assertExchange('sem.fanout', 'fanout', { durable: false });
      const error = await channelError(connection, (c) => c.assertExchange('sem.fanout', 'direct', { durable: false }));
      expect(error.code).toBe(406);
      expect(error.message).toContain(
        "inequivalent arg 'type' for exchange 'sem.fanout' in vhost '/': received 'direct' but current is 'fanout'",
      );
    });

    it('403 for amq.* declares and system exchange deletes', async () => {
      const declare = await channelError(connection, (ch) => ch.assertExchange('amq.mine', 'direct'));
      expect(declare.message).toContain("ACCESS_REFUSED - exchange name 'amq.mine' contains reserved prefix 'amq.*'");
      const remove = await channelError(connection, (ch) => ch.deleteExchange('amq.direct'));
      expect(remove.message).toContain("ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed");
    });

    it('404 when binding to a missing exchange; 403 when binding to the default exchange', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.bindme');
      const missing = await channelError(connection, (c) => c.bindQueue('sem.bindme', 'sem.missing', 'k'));
      expect(missing).toMatchObject({ code: 404, classId: 50, methodId: 20 });
      expect(missing.message).toContain("NOT_FOUND - no exchange 'sem.missing' in vhost '/'");
      const defaultExchange = await channelError(connection, (c) => c.bindQueue('sem.bindme', '', 'k'));
      expect(defaultExchange.code).toBe(403);
    });

    it('routes through exchange-to-exchange bindings and alternate exchanges', async () => {
      const ch = await connection.createChannel();
      await ch.assertExchange('sem.unrouted', 'fanout', { durable: false });
      await ch.assertExchange('sem.front', 'direct', { durable: false, alternateExchange: 'sem.unrouted' });
      await ch.assertExchange('sem.back', 'topic', { durable: false });
      await ch.bindExchange('sem.back', 'sem.front', 'a');
      const { queue: viaHop } = await ch.assertQueue('', { exclusive: true });
      const { queue: viaAlternate } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(viaHop, 'sem.back', '#');
      await ch.bindQueue(viaAlternate, 'sem.unrouted', '');
      ch.publish('sem.front', 'a', Buffer.from('hop'));
      ch.publish('sem.front', 'zzz', Buffer.from('alternate'));
      await waitFor(async () => (await ch.checkQueue(viaHop)).messageCount === 1 && (await ch.checkQueue(viaAlternate)).messageCount === 1);
      expect(must(await ch.get(viaHop)).content.toString()).toBe('hop');
      expect(must(await ch.get(viaAlternate)).content.toString()).toBe('alternate');
    });

    it('an auto-delete exchange goes with its last binding', async () => {
      const ch = await connection.createChannel();
      await ch.assertExchange('sem.autox', 'direct', { durable: false, autoDelete: true });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, 'sem.autox', 'k');
      await ch.unbindQueue(queue, 'sem.autox', 'k');
      const error = await channelError(connection, (c) => c.checkExchange('sem.autox'));
      expect(error.code).toBe(404);
    });
  });

  describe('basic class', () => {
    it('404 (60/40) when publishing to a missing exchange', async () => {
      const error = await channelError(connection, (ch) => {
        ch.publish('sem.nowhere', 'k', Buffer.from('x'));
        return ch.checkQueue('amq.rabbitmq.reply-to');
      });
      expect(error).toMatchObject({ code: 404, classId: 60, methodId: 40 });
      expect(error.message).toContain("NOT_FOUND - no exchange 'sem.nowhere' in vhost '/'");
    });

    it('403 when publishing to an internal exchange', async () => {
      const ch = await connection.createChannel();
      await ch.assertExchange('sem.internal', 'fanout', { durable: false, internal: true });
      const error = await channelError(connection, (c) => {
        c.publish('sem.internal', '', Buffer.from('x'));
        return c.checkQueue('amq.rabbitmq.reply-to');
      });
      expect(error.message).toContain("ACCESS_REFUSED - cannot publish to internal exchange 'sem.internal' in vhost '/'");
    });

    it('406 for a user-id that is not the login; the login itself passes', async () => {
      const ch = await connection.createConfirmChannel();
      await ch.assertQueue('sem.user');
      ch.sendToQueue('sem.user', Buffer.from('ok'), { userId: 'guest' });
      await ch.waitForConfirms();
      const error = await channelError(connection, (c) => {
        c.sendToQueue('sem.user', Buffer.from('bad'), { userId: 'bob' });
        return c.checkQueue('sem.user');
      });
      expect(error.message).toContain("PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was 'guest'");
    });

    it('406 for an expiration that is not an integer', async () => {
      const error = await channelError(connection, (c) => {
        c.sendToQueue('sem.user', Buffer.from('x'), { expiration: 'abc' });
        return c.checkQueue('amq.rabbitmq.reply-to');
      });
      expect(error.message).toContain("PRECONDITION_FAILED - invalid expiration 'abc': no_integer");
    });

    it('406 (60/80) for an unknown or double-acked delivery tag', async () => {
      const unknown = await channelError(connection, (ch) => {
        ch.ack({ fields: { deliveryTag: 7 } } as ConsumeMessage);
        return ch.checkQueue('amq.rabbitmq.reply-to');
      });
      expect(unknown).toMatchObject({ code: 406, classId: 60, methodId: 80 });
      expect(unknown.message).toContain('PRECONDITION_FAILED - unknown delivery tag 7');
    });

    it('530 (hard) for a reused consumer tag', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.tags');
      await ch.consume('sem.tags', () => undefined, { consumerTag: 't1' });
      const closed = new Promise<Error>((resolve) => connection.once('close', resolve));
      ch.on('error', () => undefined);
      await ch.consume('sem.tags', () => undefined, { consumerTag: 't1' }).catch(() => undefined);
      expect(String(await closed)).toMatch(/NOT_ALLOWED - attempt to reuse consumer tag 't1'/);
    });

    it('403 for an exclusive consumer on a queue in use', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.exclusive-consumer');
      await ch.consume('sem.exclusive-consumer', () => undefined);
      const error = await channelError(connection, (c) => c.consume('sem.exclusive-consumer', () => undefined, { exclusive: true }));
      expect(error.message).toContain("ACCESS_REFUSED - queue 'sem.exclusive-consumer' in vhost '/' in exclusive use");
      await ch.deleteQueue('sem.exclusive-consumer');
    });

    it('mandatory unroutable: basic.return 312 NO_ROUTE before the confirm', async () => {
      const ch = await connection.createConfirmChannel();
      const events: string[] = [];
      ch.on('return', (message: { fields: { replyCode: number; replyText: string } }) =>
        events.push(`return ${message.fields.replyCode} ${message.fields.replyText}`),
      );
      await new Promise<void>((resolve, reject) =>
        ch.publish('', 'sem.no-such-queue', Buffer.from('x'), { mandatory: true }, (error) => {
          events.push('ack');
          return error ? reject(error) : resolve();
        }),
      );
      expect(events).toEqual(['return 312 NO_ROUTE', 'ack']);
    });

    it('nack and reject requeue at the original position with redelivered=true; requeue=false drops', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.requeue');
      for (const body of ['a', 'b', 'c']) ch.sendToQueue('sem.requeue', Buffer.from(body));
      await waitFor(async () => (await ch.checkQueue('sem.requeue')).messageCount === 3);
      const a = must(await ch.get('sem.requeue'));
      const b = must(await ch.get('sem.requeue'));
      ch.nack(a, false, true);
      ch.reject(b, false);
      const first = must(await ch.get('sem.requeue'));
      expect([first.content.toString(), first.fields.redelivered]).toEqual(['a', true]);
      const second = must(await ch.get('sem.requeue'));
      expect([second.content.toString(), second.fields.redelivered]).toEqual(['c', false]);
      ch.ackAll();
      await ch.deleteQueue('sem.requeue');
    });

    it('basic.recover redelivers unacked messages with redelivered=true', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.recover');
      ch.sendToQueue('sem.recover', Buffer.from('r'));
      const got: ConsumeMessage[] = [];
      await ch.consume('sem.recover', (m) => got.push(m!));
      await waitFor(() => got.length === 1);
      await ch.recover();
      await waitFor(() => got.length === 2);
      expect(got[1].fields.redelivered).toBe(true);
      ch.ack(got[1]);
      await ch.deleteQueue('sem.recover');
    });

    it('prefetch (per consumer) holds deliveries until acks free credit', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.prefetch');
      for (let i = 0; i < 10; i++) ch.sendToQueue('sem.prefetch', Buffer.from(String(i)));
      await ch.prefetch(3);
      const got: ConsumeMessage[] = [];
      await ch.consume('sem.prefetch', (m) => got.push(m!));
      await waitFor(() => got.length === 3);
      await ch.checkQueue('sem.prefetch');
      expect(got.length).toBe(3);
      ch.ack(got[0]);
      await waitFor(() => got.length === 4);
      ch.ack(got[3], true);
      await waitFor(() => got.length === 7);
      ch.ackAll();
      await ch.deleteQueue('sem.prefetch');
    });

    it('global prefetch limits the whole channel', async () => {
      const ch = await connection.createChannel();
      await ch.assertQueue('sem.global.a');
      await ch.assertQueue('sem.global.b');
      for (let i = 0; i < 5; i++) {
        ch.sendToQueue('sem.global.a', Buffer.from('a'));
        ch.sendToQueue('sem.global.b', Buffer.from('b'));
      }
      await ch.prefetch(4, true);
      const got: ConsumeMessage[] = [];
      await ch.consume('sem.global.a', (m) => got.push(m!));
      await ch.consume('sem.global.b', (m) => got.push(m!));
      await waitFor(() => got.length === 4);
      await ch.checkQueue('sem.global.a');
      expect(got.length).toBe(4);
      ch.ackAll();
      await waitFor(() => got.length === 8);
      ch.ackAll();
    });
  });

  describe('transactions and confirms', () => {
    it('tx: publishes and acks take effect on commit only; rollback discards', async () => {
      // amqplib has no tx API; @cloudamqp/amqp-client does.
      const client = new AMQPClient(server.url);
      const amqp = await client.connect();
      try {
        const ch = await amqp.channel();
        await ch.queueDeclare('sem.tx');
        await ch.txSelect();
        await ch.basicPublish('', 'sem.tx', '1');
        expect((await ch.queueDeclare('sem.tx', { passive: true })).messageCount).toBe(0);
        await ch.txCommit();
        expect((await ch.queueDeclare('sem.tx', { passive: true })).messageCount).toBe(1);
        await ch.basicPublish('', 'sem.tx', '2');
        await ch.txRollback();
        expect((await ch.queueDeclare('sem.tx', { passive: true })).messageCount).toBe(1);
        // An ack inside a transaction waits for the commit too.
        const message = await ch.basicGet('sem.tx', { noAck: false });
        await message!.ack();
        await ch.txRollback();
        // The rolled-back ack never happened: recover puts the message back.
        await ch.basicRecover(true);
        expect((await ch.queueDeclare('sem.tx', { passive: true })).messageCount).toBe(1);
        await ch.txCommit();
        const mixed = await amqp.channel();
        await mixed.txSelect();
        await expect(mixed.confirmSelect()).rejects.toThrow(/PRECONDITION_FAILED - cannot switch from tx to confirm mode/);
        await ch.queueDelete('sem.tx');
      } finally {
        await amqp.close();
      }
    });

    it('confirms every publish exactly once', async () => {
      const ch = await connection.createConfirmChannel();
      await ch.assertQueue('sem.confirms');
      let acks = 0;
      for (let i = 0; i < 1000; i++) ch.sendToQueue('sem.confirms', Buffer.from(String(i)), {}, (error) => !error && acks++);
      await ch.waitForConfirms();
      expect(acks).toBe(1000);
      await ch.deleteQueue('sem.confirms');
    });
  });

  describe('direct reply-to', () => {
    it('routes a reply to the requesting channel without a queue', async () => {
      const requester = await connection.createChannel();
      const replies: ConsumeMessage[] = [];
      await requester.consume('amq.rabbitmq.reply-to', (m) => replies.push(m!), { noAck: true });
      const responderConnection = await other();
      const responder = await responderConnection.createChannel();
      await responder.assertQueue('sem.rpc');
      await responder.consume('sem.rpc', (m) => {
        responder.sendToQueue(m!.properties.replyTo, Buffer.from(`re: ${m!.content}`), { correlationId: m!.properties.correlationId });
        responder.ack(m!);
      });
      requester.sendToQueue('sem.rpc', Buffer.from('ping'), { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'c1' });
      await waitFor(() => replies.length === 1);
      expect(replies[0].content.toString()).toBe('re: ping');
      expect(replies[0].properties.correlationId).toBe('c1');
    });

    it('406 when publishing with reply-to but no reply consumer, and for an acking reply consumer', async () => {
      const noConsumer = await channelError(connection, (ch) => {
        ch.sendToQueue('sem.rpc', Buffer.from('x'), { replyTo: 'amq.rabbitmq.reply-to' });
        return ch.checkQueue('amq.rabbitmq.reply-to');
      });
      expect(noConsumer.message).toContain('PRECONDITION_FAILED - fast reply consumer does not exist');
      const acking = await channelError(connection, (ch) => ch.consume('amq.rabbitmq.reply-to', () => undefined, { noAck: false }));
      expect(acking.message).toContain('reply consumer cannot acknowledge');
    });
  });
});
