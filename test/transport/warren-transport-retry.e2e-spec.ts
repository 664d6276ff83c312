import 'reflect-metadata';
import { Controller, Inject, Module, type DynamicModule, type Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RpcException } from '@nestjs/microservices';
import amqplib, { type Channel, type GetMessage } from 'amqplib';
import { lastValueFrom } from 'rxjs';
import { WarrenContext, type WarrenServerOptions } from '@app/transport';
import { Inbox, TransportHarness } from '../../libs/transport/test/transport-harness.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Acknowledgement and retries: auto-ack after success, retry with backoff through per-delay TTL queues that
 * dead-letter back to the group's queue, the dead-letter queue after the last attempt, and manual ack/nack.
 */

const INBOX = Symbol('INBOX');

@Controller()
class PaymentsController {
  constructor(@Inject(INBOX) private readonly inbox: Inbox) {}

  /** Fails on the first two attempts, succeeds on the third. */
  @EventPattern<string>('payment.flaky')
  flaky(@Payload() data: unknown, @Ctx() ctx: WarrenContext): void {
    this.inbox.add(ctx.getPattern(), data, ctx.getRetryCount());
    if (ctx.getRetryCount() < 2) throw new Error(`flaky attempt ${ctx.getRetryCount() + 1}`);
  }

  @EventPattern<string>('payment.broken')
  async broken(@Payload() data: unknown, @Ctx() ctx: WarrenContext): Promise<void> {
    this.inbox.add(ctx.getPattern(), data, ctx.getRetryCount());
    // An RpcException's message is what reaches x-warren-error; Nest's filter turns other errors into
    // 'Internal server error' (and logs them).
    throw new RpcException('card declined');
  }
}

@Controller()
class ManualController {
  constructor(@Inject(INBOX) private readonly inbox: Inbox) {}

  @EventPattern<string>('job.*')
  async job(@Payload() data: { verdict: 'ok' | 'poison' | 'again' }, @Ctx() ctx: WarrenContext): Promise<void> {
    this.inbox.add(ctx.getPattern(), data, ctx.getRetryCount());
    if (data.verdict === 'ok') await ctx.ack();
    else if (data.verdict === 'poison') await ctx.nack({ retry: false, reason: 'poison message' });
    else if (!ctx.getMessage().fields.redelivered) await ctx.nack({ requeue: true });
    else await ctx.ack();
  }
}

@Module({})
class ServiceModule {}

/** Queue arguments as plain values: the broker keeps the AMQP field type of numbers (amqplib sends 50 as a byte). */
function plain(table: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(table).map(([key, value]) => [
      key,
      typeof value === 'object' && value !== null && 'value' in value ? Number(value.value) : value,
    ]),
  );
}

function moduleWith(controller: Type, inbox: Inbox): DynamicModule {
  return { module: ServiceModule, controllers: [controller], providers: [{ provide: INBOX, useValue: inbox }] };
}

describe('WarrenServer acknowledgement and retries', () => {
  let broker: TestBroker;
  let harness: TransportHarness;
  let channel: Channel;

  beforeEach(async () => {
    broker = await startBroker();
    harness = new TransportHarness(() => broker.url);
    const connection = await amqplib.connect(broker.url);
    harness.later(() => connection.close());
    channel = await connection.createChannel();
  });

  afterEach(async () => {
    await harness.closeAll();
    await broker.close();
  });

  async function start(controller: Type, options: WarrenServerOptions): Promise<Inbox> {
    const inbox = new Inbox();
    await harness.service(moduleWith(controller, inbox), options);
    return inbox;
  }

  const attemptsOf = (inbox: Inbox, pattern: string) => inbox.items.filter((r) => r.pattern === pattern).map((r) => r.retryCount);
  const dlqMessage = (queue: string) =>
    waitFor(async () => (await channel.get(queue, { noAck: true })) as GetMessage | false, { what: `a message in ${queue}` });

  describe('with delay queues (x-message-ttl + x-dead-letter-exchange)', () => {
    const options: WarrenServerOptions = { group: 'payments', retry: { maxRetries: 3, delaysMs: [50, 100] } };

    it('declares one TTL queue per delay, dead-lettering back to the group queue', async () => {
      await start(PaymentsController, options);
      const vhost = broker.broker.core.getVhost('/')!;
      for (const delay of [50, 100]) {
        const queue = vhost.getQueue(`payments.retry.${delay}`);
        expect(queue?.options.durable).toBe(true);
        expect(plain(queue?.options.arguments ?? {})).toEqual({
          'x-message-ttl': delay,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': 'payments',
        });
      }
      expect(vhost.getQueue('payments.dlq')?.options.durable).toBe(true);
    });

    it('retries a handler that fails twice, and it then succeeds', async () => {
      const inbox = await start(PaymentsController, options);
      const client = await harness.client();

      await lastValueFrom(client.emit('payment.flaky', { id: 1 }));

      await waitFor(() => attemptsOf(inbox, 'payment.flaky').length === 3, { timeoutMs: 20_000, what: 'three attempts' });
      expect(attemptsOf(inbox, 'payment.flaky')).toEqual([0, 1, 2]);
      // The retries waited in the delay queues (50 ms, then 100 ms) before coming back.
      const [first, second, third] = inbox.items.map((r) => r.at);
      expect(second - first).toBeGreaterThanOrEqual(45);
      expect(third - second).toBeGreaterThanOrEqual(95);
      expect(inbox.items.every((r) => JSON.stringify(r.data) === '{"id":1}')).toBe(true);
      const vhost = broker.broker.core.getVhost('/')!;
      await waitFor(() => vhost.getQueue('payments')!.unackedCount === 0, { what: 'the success acked' });
      expect(vhost.getQueue('payments.dlq')!.messageCount).toBe(0);
      expect(vhost.getQueue('payments.retry.50')!.messageCount + vhost.getQueue('payments.retry.100')!.messageCount).toBe(0);
    });

    it('moves a message that always fails to <group>.dlq with its retry count', async () => {
      const inbox = await start(PaymentsController, options);
      const client = await harness.client();

      await lastValueFrom(client.emit('payment.broken', { id: 2 }));

      const dead = await dlqMessage('payments.dlq');
      expect(attemptsOf(inbox, 'payment.broken')).toEqual([0, 1, 2, 3]);
      expect(JSON.parse(dead.content.toString())).toEqual({ pattern: 'payment.broken', data: { id: 2 } });
      expect(dead.properties.headers).toMatchObject({
        'x-warren-retry-count': 3,
        'x-warren-pattern': 'payment.broken',
        'x-warren-error': 'card declined',
        'x-warren-origin-queue': 'payments',
      });
      expect(dead.properties.deliveryMode).toBe(2);
    });
  });

  describe('with zero delays (republished straight to the group queue)', () => {
    it('retries and dead-letters without delay queues', async () => {
      const inbox = await start(PaymentsController, { group: 'instant', retry: { maxRetries: 2, delaysMs: [0] } });
      const client = await harness.client();

      await lastValueFrom(client.emit('payment.flaky', { id: 3 }));
      await lastValueFrom(client.emit('payment.broken', { id: 4 }));

      const dead = await dlqMessage('instant.dlq');
      await waitFor(() => attemptsOf(inbox, 'payment.flaky').length === 3, { what: 'three flaky attempts' });
      expect(attemptsOf(inbox, 'payment.flaky')).toEqual([0, 1, 2]);
      expect(attemptsOf(inbox, 'payment.broken')).toEqual([0, 1, 2]);
      expect(dead.properties.headers).toMatchObject({ 'x-warren-retry-count': 2, 'x-warren-pattern': 'payment.broken' });
      const vhost = broker.broker.core.getVhost('/')!;
      expect([...vhost.allQueues()].map((q) => q.name).filter((n) => n.startsWith('instant.retry'))).toEqual([]);
    });
  });

  it('dead-letters an event its deserializer rejects, instead of leaving it unacked', async () => {
    const inbox = await start(PaymentsController, {
      group: 'strict',
      deserializer: {
        deserialize: (value: { pattern: string; data: unknown }) => {
          if (value.data === 'garbage') throw new Error('schema mismatch');
          return value;
        },
      },
      retry: { maxRetries: 1, delaysMs: [0] },
    });
    const client = await harness.client();

    await lastValueFrom(client.emit('payment.flaky', 'garbage'));

    const dead = await dlqMessage('strict.dlq');
    expect(dead.properties.headers).toMatchObject({ 'x-warren-retry-count': 0, 'x-warren-error': 'undecodable event: schema mismatch' });
    expect(inbox.items).toEqual([]);
    const queue = broker.broker.core.getVhost('/')!.getQueue('strict')!;
    await waitFor(() => queue.messageCount === 0 && queue.unackedCount === 0, { what: 'nothing left unacked' });
  });

  describe('manual acknowledgement through the context', () => {
    it('acks, dead-letters at once, or requeues as the handler says', async () => {
      const inbox = await start(ManualController, { group: 'jobs', ackMode: 'manual', retry: { maxRetries: 5, delaysMs: [0] } });
      const client = await harness.client();

      await lastValueFrom(client.emit('job.a', { verdict: 'ok' }));
      await lastValueFrom(client.emit('job.b', { verdict: 'poison' }));
      await lastValueFrom(client.emit('job.c', { verdict: 'again' }));

      const dead = await dlqMessage('jobs.dlq');
      expect(dead.properties.headers).toMatchObject({
        'x-warren-retry-count': 0,
        'x-warren-error': 'poison message',
        'x-warren-pattern': 'job.b',
      });
      await waitFor(() => inbox.items.filter((r) => r.pattern === 'job.c').length === 2, { what: 'job.c redelivered' });
      const queue = broker.broker.core.getVhost('/')!.getQueue('jobs')!;
      await waitFor(() => queue.messageCount === 0 && queue.unackedCount === 0, { what: 'all settled' });
      expect(inbox.items.map((r) => r.pattern).sort()).toEqual(['job.a', 'job.b', 'job.c', 'job.c']);
    });

    it('leaves a message the handler did not settle unacked, for redelivery when the instance goes', async () => {
      @Controller()
      class ForgetfulController {
        constructor(@Inject(INBOX) private readonly inbox: Inbox) {}
        @EventPattern<string>('job.forgotten')
        job(@Payload() data: unknown, @Ctx() ctx: WarrenContext): void {
          this.inbox.add(ctx.getPattern(), data, ctx.getRetryCount());
        }
      }
      const inbox = new Inbox();
      const { close } = await harness.service(moduleWith(ForgetfulController, inbox), {
        group: 'forgetful',
        ackMode: 'manual',
        shutdownTimeoutMs: 1000,
      });
      const client = await harness.client();

      await lastValueFrom(client.emit('job.forgotten', {}));

      const queue = broker.broker.core.getVhost('/')!.getQueue('forgetful')!;
      await waitFor(() => inbox.items.length === 1 && queue.unackedCount === 1, { what: 'delivered, unacked' });
      await close();
      await waitFor(() => queue.messageCount === 1 && queue.unackedCount === 0, { what: 'requeued on close' });
    });
  });
});
