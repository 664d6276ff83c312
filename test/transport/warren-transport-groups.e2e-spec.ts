import 'reflect-metadata';
import { Controller, Inject, Module, type DynamicModule, type Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { WarrenContext } from '@app/transport';
import { Inbox, TransportHarness } from '../../libs/transport/test/transport-harness.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Consumer groups: instances of one group compete for its queue (load balancing), and every group gets every event
 * it is bound to (fan-out), through real Nest microservices on WarrenServer.
 */

const INBOX = Symbol('INBOX');

@Controller()
class BillingController {
  constructor(@Inject(INBOX) private readonly inbox: Inbox) {}

  @EventPattern<string>('order.*')
  onOrder(@Payload() data: unknown, @Ctx() ctx: WarrenContext): void {
    this.inbox.add(ctx.getPattern(), data);
  }
}

@Controller()
class EmailController {
  constructor(@Inject(INBOX) private readonly inbox: Inbox) {}

  @EventPattern<string>('order.created')
  onCreated(@Payload() data: unknown, @Ctx() ctx: WarrenContext): void {
    this.inbox.add(ctx.getPattern(), data);
  }

  @EventPattern<string>('user.#')
  onUser(@Payload() data: unknown, @Ctx() ctx: WarrenContext): void {
    this.inbox.add(ctx.getPattern(), data);
  }
}

@Module({})
class ServiceModule {}

function moduleWith(controller: Type, inbox: Inbox): DynamicModule {
  return { module: ServiceModule, controllers: [controller], providers: [{ provide: INBOX, useValue: inbox }] };
}

describe('WarrenServer consumer groups', () => {
  let broker: TestBroker;
  let harness: TransportHarness;

  beforeEach(async () => {
    broker = await startBroker();
    harness = new TransportHarness(() => broker.url);
  });

  afterEach(async () => {
    await harness.closeAll();
    await broker.close();
  });

  it('gives each group every event exactly once, spread across its instances', async () => {
    const billing = [new Inbox(), new Inbox(), new Inbox()];
    const email = [new Inbox(), new Inbox()];
    for (const inbox of billing) await harness.service(moduleWith(BillingController, inbox), { group: 'billing' });
    for (const inbox of email) await harness.service(moduleWith(EmailController, inbox), { serviceName: 'email' });
    const client = await harness.client();

    const sent: [string, number][] = [];
    for (let n = 0; n < 30; n++) sent.push(['order.created', n]);
    for (let n = 30; n < 42; n++) sent.push(['order.paid', n]);
    for (let n = 42; n < 50; n++) sent.push(['user.signed.up', n]);
    sent.push(['invoice.sent', 50]); // nobody is bound: routed nowhere
    // Sequentially: emit() completes once the broker confirmed (and so routed) the event.
    for (const [pattern, n] of sent) await lastValueFrom(client.emit(pattern, { n }));

    const expectedBilling = sent
      .filter(([p]) => p.startsWith('order.'))
      .map(([p, n]) => `${p}#${n}`)
      .sort();
    const expectedEmail = sent
      .filter(([p]) => p === 'order.created' || p.startsWith('user.'))
      .map(([p, n]) => `${p}#${n}`)
      .sort();
    const received = (inboxes: Inbox[]) =>
      inboxes
        .flatMap((inbox) => inbox.items)
        .map((r) => `${r.pattern}#${(r.data as { n: number }).n}`)
        .sort();
    await waitFor(() => received(billing).length >= expectedBilling.length && received(email).length >= expectedEmail.length, {
      timeoutMs: 20_000,
      what: 'every event in both groups',
    });

    // All settled at the broker, so nothing more can arrive: the counts are final.
    const vhost = broker.broker.core.getVhost('/')!;
    for (const name of ['billing', 'email']) {
      const queue = vhost.getQueue(name)!;
      expect(queue.options.durable).toBe(true);
      await waitFor(() => queue.messageCount === 0 && queue.unackedCount === 0, { what: `${name} drained and acked` });
    }
    expect(received(billing)).toEqual(expectedBilling);
    expect(received(email)).toEqual(expectedEmail);
    for (const inbox of [...billing, ...email]) expect(inbox.items.length).toBeGreaterThan(0);

    const bindings = (queue: string) =>
      vhost.topology
        .bindingsOfQueue(vhost.getQueue(queue)!)
        .map((b) => `${b.source.name}:${b.routingKey}`)
        .sort();
    expect(bindings('billing')).toEqual(['warren.events:order.*']);
    expect(bindings('email')).toEqual(['warren.events:order.created', 'warren.events:user.#']);
    // Instances of one group share one consumer-group queue.
    expect(vhost.getQueue('billing')!.consumerCount).toBe(3);
    expect(vhost.getQueue('email')!.consumerCount).toBe(2);
  });

  it('binds a group that joins later from then on, and keeps the events of a group that is down', async () => {
    const first = new Inbox();
    const { close: stopBilling } = await harness.service(moduleWith(BillingController, first), { group: 'billing' });
    const client = await harness.client();
    await stopBilling();

    // billing is down, but its durable queue collects its events meanwhile.
    for (let n = 0; n < 5; n++) await lastValueFrom(client.emit('order.created', { n }));
    const later = new Inbox();
    await harness.service(moduleWith(BillingController, later), { group: 'billing' });

    await waitFor(() => later.items.length === 5, { what: 'the 5 events kept for billing' });
    expect(later.items.map((r) => (r.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
    expect(first.items).toEqual([]);
  });
});
