import 'reflect-metadata';
import { Controller, Inject, Module, type DynamicModule, type Type } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { WarrenContext, type WarrenClient } from '@app/transport';
import { Gate, Inbox, TransportHarness } from '../../libs/transport/test/transport-harness.js';
import { BrokerNodes } from '../support/broker-nodes.js';
import { waitFor } from '../support/wait-for.js';

/** Short, so a killed node expires within the test; heartbeats every third of it. */
const LEASE_MS = 3000;
/** How long a change made on one node may take to show on another: a notification, else the heartbeat's poll. */
const SYNC_BOUND_MS = 15_000;

/** What one app instance handled, and the gate its event handlers wait on before they return (and so ack). */
interface Worker {
  readonly inbox: Inbox<{ n: number }>;
  readonly gate: Gate;
  /** Connections its WarrenServer made after the first. */
  reconnects: number;
}

const WORKER = Symbol('WORKER');

@Controller()
class BillingController {
  constructor(@Inject(WORKER) private readonly worker: Worker) {}

  @EventPattern<string>('order.*')
  async onOrder(@Payload() data: { n: number }, @Ctx() ctx: WarrenContext): Promise<void> {
    this.worker.inbox.add(ctx.getPattern(), data);
    await this.worker.gate.opened;
  }
}

@Controller()
class ShippingController {
  constructor(@Inject(WORKER) private readonly worker: Worker) {}

  @EventPattern<string>('order.paid')
  async onPaid(@Payload() data: { n: number }, @Ctx() ctx: WarrenContext): Promise<void> {
    this.worker.inbox.add(ctx.getPattern(), data);
    await this.worker.gate.opened;
  }
}

@Controller()
class PricingController {
  @MessagePattern('price.quote')
  quote(@Payload() data: { n: number }): { n: number; price: number } {
    return { n: data.n, price: data.n * 3 };
  }
}

@Module({})
class ServiceModule {}

function moduleWith(controller: Type, worker?: Worker): DynamicModule {
  return { module: ServiceModule, controllers: [controller], providers: worker ? [{ provide: WORKER, useValue: worker }] : [] };
}

/** `pattern#n` of everything the instances handled, sorted. */
function handled(workers: readonly Worker[]): string[] {
  return workers
    .flatMap((worker) => worker.inbox.items)
    .map((item) => `${item.pattern}#${item.data.n}`)
    .sort();
}

/**
 * The NestJS transport (WarrenServer, WarrenClient) on three real nodes with shared queues (docs/SCALE-OUT.md): two
 * consumer groups whose members are connected to different nodes, each event handled once per group; requests
 * from a client on A answered by the handler on B over direct reply-to; a client given every node's URL that keeps
 * working through the kill -9 of its node.
 */
describe('NestJS transport over three nodes', () => {
  const brokers = new BrokerNodes('transport', { WARREN_SHARED_QUEUES: 'true', WARREN_NODE_LEASE_MS: String(LEASE_MS) });
  const urlOf = (node: string): string => `amqp://guest:guest@127.0.0.1:${brokers.ports.get(node)}`;
  const harness = new TransportHarness(() => urlOf('warren@a'));
  /** billing on A (reconnecting to C) and B; shipping on B and C; pricing (requests) on B only. */
  const billing: Worker[] = [];
  const shipping: Worker[] = [];
  let client: WarrenClient;

  /** Shared-table rows of a group queue of vhost `/` (`%2F/<name>`, `%` escaped as stored). */
  async function storedRows(queue: string): Promise<number> {
    const { rows } = await brokers.query<{ n: string }>('SELECT count(*) AS n FROM warren_shared_messages WHERE queue_id = $1', [
      `%252F/${queue}`,
    ]);
    return Number(rows[0]!.n);
  }

  async function member(controller: Type, group: string, urls: string[], into: Worker[]): Promise<void> {
    const worker: Worker = { inbox: new Inbox(), gate: new Gate(), reconnects: 0 };
    into.push(worker);
    // prefetch 1: a member holding an event claims no other, so the next one goes to its group's other node.
    const { server } = await harness.service(moduleWith(controller, worker), { group, urls, prefetchCount: 1 });
    server.on('connected', () => worker.reconnects++);
  }

  beforeAll(async () => {
    await brokers.start();
    await member(BillingController, 'billing', [urlOf('warren@a'), urlOf('warren@c')], billing);
    await member(BillingController, 'billing', [urlOf('warren@b')], billing);
    await member(ShippingController, 'shipping', [urlOf('warren@b')], shipping);
    await member(ShippingController, 'shipping', [urlOf('warren@c')], shipping);
    await harness.service(moduleWith(PricingController), { group: 'pricing', urls: [urlOf('warren@b')] });
    client = await harness.client({ urls: [urlOf('warren@a')], timeoutMs: 10_000 });
    // A group declares its dead-letter queue after its bindings, and nodes apply changes in commit order: once A
    // knows shipping.dlq it routes shipping's events. Requests: until A knows pricing's binding they come back.
    const a = await brokers.connect('warren@a');
    await waitFor(
      async () => {
        // A failed passive declare closes its channel: one channel per look.
        const channel = await a.createChannel();
        channel.on('error', () => undefined);
        try {
          await channel.checkQueue('shipping.dlq');
          await channel.close();
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: SYNC_BOUND_MS, intervalMs: 200, what: "shipping's topology on A" },
    );
    await waitFor(
      () =>
        firstValueFrom(client.send<{ price: number }>('price.quote', { n: 0 })).then(
          (reply) => reply.price === 0,
          () => false,
        ),
      { timeoutMs: SYNC_BOUND_MS, intervalMs: 200, what: "pricing's binding on A" },
    );
  }, 300_000);

  afterAll(async () => {
    await harness.closeAll();
    await brokers.stop();
  }, 180_000);

  it('gives each group every event emitted on A once, handled by members on different nodes', async () => {
    const sent: string[] = [];
    for (let n = 0; n < 30; n++) {
      const pattern = n % 3 === 0 ? 'order.paid' : 'order.created';
      sent.push(`${pattern}#${n}`);
      await lastValueFrom(client.emit(pattern, { n }));
    }
    // Each member holds its first event until both members of its group have one: both nodes take part.
    for (const group of [billing, shipping]) {
      await waitFor(() => group.every((worker) => worker.inbox.items.length > 0), {
        timeoutMs: SYNC_BOUND_MS,
        what: 'an event for every member of a group',
      });
      for (const worker of group) worker.gate.open();
    }
    const expectedShipping = sent.filter((event) => event.startsWith('order.paid')).sort();
    await waitFor(() => handled(billing).length >= sent.length && handled(shipping).length >= expectedShipping.length, {
      timeoutMs: 60_000,
      what: 'every event in both groups',
    });
    // Every event acked (its row deleted): nothing is left to arrive, so the lists are final.
    for (const queue of ['billing', 'shipping'])
      await waitFor(async () => (await storedRows(queue)) === 0, { timeoutMs: SYNC_BOUND_MS, what: `${queue} drained` });
    expect(handled(billing)).toEqual([...sent].sort());
    expect(handled(shipping)).toEqual(expectedShipping);
  }, 180_000);

  it('answers requests sent on A from the handler on B (direct reply-to across nodes)', async () => {
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => firstValueFrom(client.send<{ n: number; price: number }>('price.quote', { n: i + 1 }))),
    );
    expect(replies).toEqual(Array.from({ length: 40 }, (_, i) => ({ n: i + 1, price: (i + 1) * 3 })));
  }, 60_000);

  it('keeps a client given every URL working after kill -9 of its node, and a member reconnecting elsewhere', async () => {
    const roaming = await harness.client({ urls: [urlOf('warren@a'), urlOf('warren@b')], timeoutMs: 10_000 });
    expect(await firstValueFrom(roaming.send<{ price: number }>('price.quote', { n: 5 }))).toEqual({ n: 5, price: 15 });
    let reconnected = 0;
    roaming.on('connected', () => reconnected++);
    const before = { billing: handled(billing).length, shipping: handled(shipping).length };
    await brokers.stopNode(brokers.nodes.get('warren@a')!, 'SIGKILL');
    // Emitted while the client finds out: buffered, sent once it is connected to B.
    const emitted = [100, 101, 102].map((n) => lastValueFrom(roaming.emit('order.paid', { n })));
    await waitFor(() => reconnected > 0, { timeoutMs: SYNC_BOUND_MS, what: 'the client reconnected to B' });
    await waitFor(() => billing[0]!.reconnects > 0, { timeoutMs: SYNC_BOUND_MS, what: "billing's member on A reconnected to C" });
    await Promise.all(emitted);
    expect(await firstValueFrom(roaming.send<{ price: number }>('price.quote', { n: 7 }))).toEqual({ n: 7, price: 21 });
    for (let n = 103; n < 106; n++) await lastValueFrom(roaming.emit('order.paid', { n }));
    // Both groups get the six events once.
    await waitFor(() => handled(billing).length >= before.billing + 6 && handled(shipping).length >= before.shipping + 6, {
      timeoutMs: 60_000,
      what: 'the events emitted around the kill in both groups',
    });
    for (const queue of ['billing', 'shipping'])
      await waitFor(async () => (await storedRows(queue)) === 0, { timeoutMs: SYNC_BOUND_MS, what: `${queue} drained` });
    const after = (workers: Worker[]): string[] => handled(workers).filter((event) => Number(event.split('#')[1]) >= 100);
    const expected = [100, 101, 102, 103, 104, 105].map((n) => `order.paid#${n}`);
    expect(after(billing)).toEqual(expected);
    expect(after(shipping)).toEqual(expected);
  }, 180_000);
});
