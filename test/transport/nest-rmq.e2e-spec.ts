import 'reflect-metadata';
import {
  Controller,
  Inject,
  Module,
  type DynamicModule,
  type INestApplicationContext,
  type INestMicroservice,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  ClientsModule,
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  RmqContext,
  Transport,
  type ClientProxy,
  type RmqOptions,
} from '@nestjs/microservices';
import type { Channel, ConsumeMessage } from 'amqplib';
import { firstValueFrom, from, lastValueFrom, toArray, type Observable } from 'rxjs';
import type { Queue } from '@app/broker-core';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';
import { CapturingLogger } from '../../libs/transport/test/transport-harness.js';

/**
 * NestJS's built-in `Transport.RMQ` (ServerRMQ + ClientRMQ over amqp-connection-manager and amqplib), unchanged,
 * against Warren: request/response over direct reply-to, events with manual acks, topic wildcards, and fan-out to
 * server-named exclusive queues. Every app, client and broker is closed after each test.
 */

type RmqTransportOptions = NonNullable<RmqOptions['options']>;

/** What a handler saw: the Nest pattern, the payload and the AMQP message it came in. */
interface Received {
  handler: string;
  pattern: string;
  data: unknown;
  message: ConsumeMessage;
}

/** Filled by the controllers of one Nest app; injected so each app in a test has its own. */
class Inbox {
  readonly items: Received[] = [];

  record(handler: string, data: unknown, ctx: RmqContext): void {
    this.items.push({ handler, pattern: ctx.getPattern(), data, message: ctx.getMessage() as ConsumeMessage });
  }
}
const INBOX = Symbol('INBOX');

/** Manual acknowledgement, as Nest documents it for `noAck: false`. */
function ack(ctx: RmqContext): void {
  (ctx.getChannelRef() as Channel).ack(ctx.getMessage() as ConsumeMessage);
}

// ---- controllers (plain Nest code, nothing Warren-specific) ----

@Controller()
class MathController {
  constructor(@Inject(INBOX) private readonly inbox: Inbox) {}

  @MessagePattern('sum')
  sum(@Payload() numbers: number[], @Ctx() ctx: RmqContext): number {
    this.inbox.record('sum', numbers, ctx);
    ack(ctx);
    return numbers.reduce((total, n) => total + n, 0);
  }

  @MessagePattern('count')
  count(@Payload() upTo: number, @Ctx() ctx: RmqContext): Observable<number> {
    this.inbox.record('count', upTo, ctx);
    ack(ctx);
    return from(Array.from({ length: upTo }, (_, i) => i + 1));
  }
}

@Controller()
class UserEventsController {
  constructor(@Inject(INBOX) private readonly inbox: Inbox) {}

  @EventPattern<string>('user.created')
  created(@Payload() user: { id: number }, @Ctx() ctx: RmqContext): void {
    this.inbox.record('user.created', user, ctx);
    ack(ctx);
  }
}

@Controller()
class TopicController {
  constructor(@Inject(INBOX) private readonly inbox: Inbox) {}

  @EventPattern<string>('orders.*')
  order(@Payload() data: unknown, @Ctx() ctx: RmqContext): void {
    this.inbox.record('orders.*', data, ctx);
  }

  @EventPattern<string>('audit.#')
  audit(@Payload() data: unknown, @Ctx() ctx: RmqContext): void {
    this.inbox.record('audit.#', data, ctx);
  }

  @MessagePattern('math.*')
  math(@Payload() n: number, @Ctx() ctx: RmqContext): number {
    this.inbox.record('math.*', n, ctx);
    return ctx.getPattern() === 'math.square' ? n * n : 2 * n;
  }
}

@Controller()
class NewsController {
  constructor(@Inject(INBOX) private readonly inbox: Inbox) {}

  @EventPattern<string>('news.published')
  published(@Payload() data: unknown, @Ctx() ctx: RmqContext): void {
    this.inbox.record('news.published', data, ctx);
  }
}

@Module({})
class ServerModule {}

@Module({})
class ClientAppModule {}

const NO_MESSAGE_HANDLER = 'There is no matching message handler defined in the remote service.';

describe('NestJS Transport.RMQ against Warren', () => {
  let broker: TestBroker;
  const logger = new CapturingLogger();
  const closers: (() => Promise<unknown>)[] = [];

  /** Registers `close` to run after the test and returns it, made idempotent so a test may close early. */
  function closeLater(close: () => Promise<unknown>): () => Promise<unknown> {
    let closing: Promise<unknown> | undefined;
    const once = () => (closing ??= close());
    closers.push(once);
    return once;
  }

  /** Starts a Nest microservice with `Transport.RMQ` and the given controller; closed after the test. */
  async function startServer(
    controller: Type,
    options: RmqTransportOptions,
  ): Promise<{ app: INestMicroservice; inbox: Inbox; close: () => Promise<unknown> }> {
    const inbox = new Inbox();
    const module: DynamicModule = { module: ServerModule, controllers: [controller], providers: [{ provide: INBOX, useValue: inbox }] };
    const app = await NestFactory.createMicroservice<RmqOptions>(module, {
      transport: Transport.RMQ,
      options: { urls: [broker.url], ...options },
      logger,
    });
    const close = closeLater(() => app.close());
    await app.listen();
    return { app, inbox, close };
  }

  /** A ClientRMQ built with `ClientProxyFactory.create`; closed after the test. */
  function createClient(options: RmqTransportOptions): ClientProxy {
    const client = ClientProxyFactory.create({ transport: Transport.RMQ, options: { urls: [broker.url], ...options } });
    closeLater(() => client.close());
    return client;
  }

  function queue(name: string): Queue {
    const found = broker.broker.core.getVhost('/')!.getQueue(name);
    if (!found) throw new Error(`no queue ${name}`);
    return found;
  }

  function bindingKeys(queueName: string): string[] {
    const vhost = broker.broker.core.getVhost('/')!;
    return vhost.topology
      .bindingsOfQueue(queue(queueName))
      .map((binding) => `${binding.source.name}:${binding.routingKey}`)
      .sort();
  }

  function notFoundHandlerLogs(): string[] {
    return logger.entries
      .filter((e) => /no matching (event|message) handler|unsupported (event|message)/i.test(e.message))
      .map((e) => e.message);
  }

  beforeEach(async () => {
    logger.entries.length = 0;
    broker = await startBroker();
  });

  afterEach(async () => {
    // Clients and apps first (newest first), so amqp-connection-manager never sees the broker go and reconnect.
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await broker.close();
  });

  describe('request/response (@MessagePattern + client.send) over direct reply-to', () => {
    const serverOptions: RmqTransportOptions = {
      queue: 'warren_rpc',
      queueOptions: { durable: true },
      noAck: false,
      prefetchCount: 1,
    };
    const clientOptions: RmqTransportOptions = { queue: 'warren_rpc', queueOptions: { durable: true }, persistent: true };

    it('answers concurrent requests, each reply matched by correlation id', async () => {
      const { inbox } = await startServer(MathController, serverOptions);
      const client = createClient(clientOptions);

      const inputs = Array.from({ length: 10 }, (_, i) => [i, i * 10, 100]);
      const results = await Promise.all(inputs.map((numbers) => firstValueFrom(client.send<number>('sum', numbers))));

      expect(results).toEqual(inputs.map(([a, b, c]) => a + b + c));
      expect(inbox.items).toHaveLength(10);
      for (const { message } of inbox.items) {
        // RabbitMQ rewrites the pseudo-queue name into a routable per-channel address.
        expect(message.properties.replyTo).toMatch(/^amq\.rabbitmq\.reply-to\.[^.]/);
        expect(typeof message.properties.correlationId).toBe('string');
        expect(message.properties.deliveryMode).toBe(2);
      }
      expect(new Set(inbox.items.map((r) => r.message.properties.correlationId)).size).toBe(10);

      const rpcQueue = queue('warren_rpc');
      expect(rpcQueue.options.durable).toBe(true);
      await waitFor(() => rpcQueue.messageCount === 0 && rpcQueue.unackedCount === 0, { what: 'every request acked' });
    });

    it('streams an Observable response as several replies', async () => {
      await startServer(MathController, serverOptions);
      const client = createClient(clientOptions);

      const values = await lastValueFrom(client.send<number>('count', 4).pipe(toArray()));

      expect(values).toEqual([1, 2, 3, 4]);
    });

    it('replies with an error to a pattern without handler and drops the request (nack, requeue=false)', async () => {
      const { inbox } = await startServer(MathController, serverOptions);
      const client = createClient(clientOptions);

      await expect(firstValueFrom(client.send('divide', [1, 0]))).rejects.toBe(NO_MESSAGE_HANDLER);

      const rpcQueue = queue('warren_rpc');
      await waitFor(() => rpcQueue.messageCount === 0 && rpcQueue.unackedCount === 0, { what: 'the request dropped' });
      expect(inbox.items).toHaveLength(0);
      // The consumer is not stalled at prefetch 1 by the dropped request.
      await expect(firstValueFrom(client.send<number>('sum', [2, 3]))).resolves.toBe(5);
    });
  });

  describe('events (@EventPattern + client.emit)', () => {
    it('delivers every event in order to a noAck:false consumer that acks manually (ClientsModule client)', async () => {
      const { inbox } = await startServer(UserEventsController, {
        queue: 'warren_events',
        queueOptions: { durable: true },
        noAck: false,
        prefetchCount: 1,
      });
      const clientModule: DynamicModule = {
        module: ClientAppModule,
        imports: [
          ClientsModule.register([
            {
              name: 'EVENTS',
              transport: Transport.RMQ,
              options: { urls: [broker.url], queue: 'warren_events', queueOptions: { durable: true }, persistent: true },
            },
          ]),
        ],
      };
      const clientApp: INestApplicationContext = await NestFactory.createApplicationContext(clientModule, { logger });
      closeLater(() => clientApp.close());
      const client = clientApp.get<ClientProxy>('EVENTS');

      // With prefetch 1, the 2nd..5th events only arrive if each manual ack reached the broker.
      for (let id = 1; id <= 5; id++) await firstValueFrom(client.emit('user.created', { id }));

      await waitFor(() => inbox.items.length === 5, { what: '5 events' });
      expect(inbox.items.map((r) => r.data)).toEqual([1, 2, 3, 4, 5].map((id) => ({ id })));
      for (const { pattern, message } of inbox.items) {
        expect(pattern).toBe('user.created');
        expect(message.properties.replyTo).toBeUndefined();
        expect(message.properties.deliveryMode).toBe(2);
        expect(JSON.parse(message.content.toString())).not.toHaveProperty('id');
      }
      const eventsQueue = queue('warren_events');
      expect(eventsQueue.options.durable).toBe(true);
      await waitFor(() => eventsQueue.messageCount === 0 && eventsQueue.unackedCount === 0, { what: 'every event acked' });
    });
  });

  describe('topic exchange with wildcards', () => {
    const topic: RmqTransportOptions = { wildcards: true, exchange: 'warren.topic', exchangeType: 'topic' };

    it('binds one routing key per handler and dispatches orders.* and audit.# events', async () => {
      const { inbox } = await startServer(TopicController, { ...topic, queue: 'warren_topic' });
      const client = createClient(topic);

      const exchange = broker.broker.core.getVhost('/')!.topology.getExchange('warren.topic');
      expect(exchange?.type.name).toBe('topic');
      expect(exchange?.durable).toBe(true);
      expect(bindingKeys('warren_topic')).toEqual(['warren.topic:audit.#', 'warren.topic:math.*', 'warren.topic:orders.*']);

      const sent = ['orders.created', 'orders.created.late', 'audit', 'billing.paid', 'audit.user.login', 'orders', 'orders.shipped'];
      for (const [i, pattern] of sent.entries()) await firstValueFrom(client.emit(pattern, { i }));

      // Each emit was confirmed (so routed) before the next: once the last matching event is handled, all are.
      await waitFor(() => inbox.items.some((r) => r.pattern === 'orders.shipped'), { what: 'orders.shipped' });
      expect(inbox.items.map((r) => [r.handler, r.pattern, r.data])).toEqual([
        ['orders.*', 'orders.created', { i: 0 }],
        ['audit.#', 'audit', { i: 2 }],
        ['audit.#', 'audit.user.login', { i: 4 }],
        ['orders.*', 'orders.shipped', { i: 6 }],
      ]);
      for (const { pattern, message } of inbox.items) {
        expect(message.fields.exchange).toBe('warren.topic');
        expect(message.fields.routingKey).toBe(pattern);
      }
      // Non-matching keys never reached the queue: ServerRMQ would have logged a missing handler for them
      // (and the captured log is live: it holds Nest's startup lines).
      expect(notFoundHandlerLogs()).toEqual([]);
      expect(logger.entries.map((e) => e.message)).toContain('Nest microservice successfully started');
    });

    it('answers a request routed through the topic exchange to a wildcard @MessagePattern', async () => {
      await startServer(TopicController, { ...topic, queue: 'warren_topic' });
      const client = createClient(topic);

      await expect(firstValueFrom(client.send<number>('math.double', 21))).resolves.toBe(42);
      await expect(firstValueFrom(client.send<number>('math.square', 7))).resolves.toBe(49);
    });
  });

  describe('fanout exchange with server-named exclusive queues', () => {
    const fanout: RmqTransportOptions = { exchange: 'warren.fanout', exchangeType: 'fanout' };

    it('gives every event to each of two server instances', async () => {
      const first = await startServer(NewsController, { ...fanout, queue: '', queueOptions: { exclusive: true } });
      const second = await startServer(NewsController, { ...fanout, queue: '', queueOptions: { exclusive: true } });
      const client = createClient(fanout);

      const vhost = broker.broker.core.getVhost('/')!;
      const serverQueues = [...vhost.allQueues()].filter((q) => q.name.startsWith('amq.gen-'));
      expect(serverQueues).toHaveLength(2);
      for (const q of serverQueues) {
        expect(q.options.exclusive).toBe(true);
        expect(bindingKeys(q.name)).toEqual(['warren.fanout:']);
      }
      expect(vhost.topology.getExchange('warren.fanout')?.type.name).toBe('fanout');

      const total = 20;
      for (let n = 0; n < total; n++) await firstValueFrom(client.emit('news.published', { n }));

      const expected = Array.from({ length: total }, (_, n) => ({ n }));
      await waitFor(() => first.inbox.items.length === total && second.inbox.items.length === total, { what: 'every copy' });
      expect(first.inbox.items.map((r) => r.data)).toEqual(expected);
      expect(second.inbox.items.map((r) => r.data)).toEqual(expected);
      const queuesSeen = new Set([...first.inbox.items, ...second.inbox.items].map((r) => r.message.fields.exchange));
      expect(queuesSeen).toEqual(new Set(['warren.fanout']));

      // Exclusive queues go with the connection that declared them.
      await first.close();
      await second.close();
      await waitFor(() => serverQueues.every((q) => vhost.getQueue(q.name) === undefined), { what: 'exclusive queues deleted' });
    });
  });
});
