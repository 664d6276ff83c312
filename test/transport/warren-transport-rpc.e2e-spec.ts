import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, Inject, Module, type DynamicModule } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import amqplib, { type ConsumeMessage } from 'amqplib';
import { firstValueFrom, from, lastValueFrom, toArray, type Observable } from 'rxjs';
import { NO_MESSAGE_HANDLER, WarrenContext, WarrenTimeoutError } from '@app/transport';
import { Gate, Inbox, TransportHarness } from '../../libs/transport/test/transport-harness.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Request/response over WarrenServer + WarrenClient: replies matched by correlation id over direct reply-to,
 * streamed replies, RpcException propagation, typed timeouts, and the error reply when no handler matches.
 */

const INBOX = Symbol('INBOX');
const GATE = Symbol('GATE');

@Controller()
class MathController {
  constructor(
    @Inject(INBOX) private readonly inbox: Inbox,
    @Inject(GATE) private readonly gate: Gate,
  ) {}

  @MessagePattern('math.sum')
  sum(@Payload() numbers: number[], @Ctx() ctx: WarrenContext): number {
    this.inbox.add(ctx.getPattern(), numbers);
    return numbers.reduce((total, n) => total + n, 0);
  }

  @MessagePattern('math.count')
  count(@Payload() upTo: number): Observable<number> {
    return from(Array.from({ length: upTo }, (_, i) => i + 1));
  }

  @MessagePattern('math.divide')
  divide(@Payload() { a, b }: { a: number; b: number }): number {
    if (b === 0) throw new RpcException('division by zero');
    return a / b;
  }

  @MessagePattern('math.crash')
  crash(): never {
    throw new Error('boom');
  }

  @MessagePattern('math.slow')
  async slow(@Payload() n: number, @Ctx() ctx: WarrenContext): Promise<number> {
    this.inbox.add(ctx.getPattern(), n);
    await this.gate.opened;
    return n;
  }

  @MessagePattern('geometry.*')
  geometry(@Payload() side: number, @Ctx() ctx: WarrenContext): number {
    return ctx.getPattern() === 'geometry.square' ? side * side : 4 * side;
  }

  @MessagePattern({ cmd: 'echo' })
  echo(@Payload() data: unknown): unknown {
    return data;
  }
}

@Module({})
class MathModule {}

describe('WarrenServer/WarrenClient request-response', () => {
  let broker: TestBroker;
  let harness: TransportHarness;
  let inbox: Inbox;
  let gate: Gate;

  async function startMath(): Promise<void> {
    const module: DynamicModule = {
      module: MathModule,
      controllers: [MathController],
      providers: [
        { provide: INBOX, useValue: inbox },
        { provide: GATE, useValue: gate },
      ],
    };
    await harness.service(module, { group: 'math' });
  }

  beforeEach(async () => {
    broker = await startBroker();
    harness = new TransportHarness(() => broker.url);
    inbox = new Inbox();
    gate = new Gate();
  });

  afterEach(async () => {
    gate.open();
    await harness.closeAll();
    await broker.close();
  });

  it('answers concurrent requests, each reply matched by its correlation id', async () => {
    await startMath();
    const client = await harness.client();

    const inputs = Array.from({ length: 20 }, (_, i) => [i, i * 10, 7]);
    const results = await Promise.all(inputs.map((numbers) => firstValueFrom(client.send<number>('math.sum', numbers))));

    expect(results).toEqual(inputs.map(([a, b, c]) => a + b + c));
    const rpcQueue = broker.broker.core.getVhost('/')!.getQueue('math.rpc')!;
    expect(rpcQueue.options.durable).toBe(true);
    await waitFor(() => rpcQueue.messageCount === 0 && rpcQueue.unackedCount === 0, { what: 'every request acked' });
    // Wildcard and object patterns route too.
    await expect(firstValueFrom(client.send<number>('geometry.square', 3))).resolves.toBe(9);
    await expect(firstValueFrom(client.send<number>('geometry.perimeter', 3))).resolves.toBe(12);
    await expect(firstValueFrom(client.send({ cmd: 'echo' }, { hello: 'world' }))).resolves.toEqual({ hello: 'world' });
  });

  it('spreads requests over the instances of the group', async () => {
    const inboxes = [new Inbox(), new Inbox()];
    for (const own of inboxes) {
      await harness.service(
        {
          module: MathModule,
          controllers: [MathController],
          providers: [
            { provide: INBOX, useValue: own },
            { provide: GATE, useValue: gate },
          ],
        },
        { group: 'math', prefetchCount: 1 },
      );
    }
    const client = await harness.client();

    for (let i = 0; i < 10; i++) await expect(firstValueFrom(client.send<number>('math.sum', [i]))).resolves.toBe(i);

    expect(inboxes[0].items.length + inboxes[1].items.length).toBe(10);
    expect(inboxes[0].items.length).toBeGreaterThan(0);
    expect(inboxes[1].items.length).toBeGreaterThan(0);
  });

  it('streams an Observable as several replies, the last one disposing', async () => {
    await startMath();
    const client = await harness.client();

    await expect(lastValueFrom(client.send<number>('math.count', 5).pipe(toArray()))).resolves.toEqual([1, 2, 3, 4, 5]);
    await expect(lastValueFrom(client.send<number>('math.count', 0).pipe(toArray()))).resolves.toEqual([]);
  });

  it("delivers an RpcException as the error, and hides other errors behind Nest's generic one", async () => {
    await startMath();
    const client = await harness.client();

    await expect(firstValueFrom(client.send('math.divide', { a: 1, b: 0 }))).rejects.toEqual({
      status: 'error',
      message: 'division by zero',
    });
    await expect(firstValueFrom(client.send('math.crash', {}))).rejects.toEqual({ status: 'error', message: 'Internal server error' });
    // The service is not stuck: errors were replies, and their requests were acked.
    await expect(firstValueFrom(client.send('math.divide', { a: 6, b: 3 }))).resolves.toBe(2);
  });

  it('fails a request that gets no reply in time with WarrenTimeoutError', async () => {
    await startMath();
    const client = await harness.client({ timeoutMs: 300 });

    const error = await firstValueFrom(client.send('math.slow', 1)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WarrenTimeoutError);
    expect(error).toMatchObject({ name: 'WarrenTimeoutError', pattern: 'math.slow', timeoutMs: 300 });
    // The late reply, once the handler finishes, is dropped; the client goes on working.
    expect(inbox.items).toHaveLength(1);
    gate.open();
    const rpcQueue = broker.broker.core.getVhost('/')!.getQueue('math.rpc')!;
    await waitFor(() => rpcQueue.unackedCount === 0, { what: 'the slow request acked' });
    await expect(firstValueFrom(client.send<number>('math.sum', [1, 1]))).resolves.toBe(2);
  });

  it('answers a request nobody handles with an error instead of a timeout', async () => {
    await startMath();
    const client = await harness.client({ timeoutMs: 20_000 });

    // No group is bound for it: the broker returns it (mandatory) and the client fails it at once.
    const started = Date.now();
    await expect(firstValueFrom(client.send('billing.refund', 1))).rejects.toBe(NO_MESSAGE_HANDLER);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('serves non-Nest requesters: plain JSON bodies, the routing key as pattern, an error for unknown patterns', async () => {
    await startMath();
    await harness.client(); // declares the exchanges, as any Nest app would have by now
    const connection = await amqplib.connect(broker.url);
    harness.later(() => connection.close());
    const channel = await connection.createChannel();
    const replies = new Map<string, ConsumeMessage>();
    await channel.consume('amq.rabbitmq.reply-to', (m) => m && replies.set(m.properties.correlationId as string, m), { noAck: true });

    const ask = async (routingKey: string, body: unknown, viaQueue = false) => {
      const correlationId = randomUUID();
      const content = Buffer.from(JSON.stringify(body));
      const props = { replyTo: 'amq.rabbitmq.reply-to', correlationId, contentType: 'application/json' };
      if (viaQueue) channel.sendToQueue('math.rpc', content, props);
      else channel.publish('warren.requests', routingKey, content, props);
      const reply = await waitFor(() => replies.get(correlationId), { what: `reply to ${routingKey}` });
      return JSON.parse(reply.content.toString()) as Record<string, unknown>;
    };

    // A plain body: the pattern is the routing key, the body is the data.
    await expect(ask('math.sum', [1, 2, 3])).resolves.toMatchObject({ response: 6, isDisposed: true });
    // A Nest-shaped body whose pattern has no handler here (sent straight to the group's queue).
    await expect(ask('', { pattern: 'math.unknown', data: 1, id: 'r-1' }, true)).resolves.toEqual({
      id: 'r-1',
      err: NO_MESSAGE_HANDLER,
      status: 'error',
      isDisposed: true,
    });
  });
});
