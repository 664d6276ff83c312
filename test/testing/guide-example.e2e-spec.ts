// The complete example of docs/testing.md (embedded there verbatim; guide-in-sync.e2e-spec.ts checks it).
import 'reflect-metadata';
import { Controller, Injectable, Module } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import type { WarrenClient, WarrenContext } from '@app/transport';
import { startTestBroker, type TestBroker } from '@app/testing';
import { createTestClient, createTestMicroservices, type TestMicroservice } from '@app/testing/nest.js';

// ---- the services under test: two consumer groups ----

/** What one app instance handled; a provider, so every instance has its own. */
@Injectable()
class Handled {
  readonly events: string[] = [];
}

@Controller()
class BillingController {
  constructor(private readonly handled: Handled) {}

  @EventPattern<string>('order.*')
  onOrder(@Payload() order: { id: string }, @Ctx() ctx: WarrenContext): void {
    this.handled.events.push(`${ctx.getPattern()} ${order.id}`);
  }
}

@Module({ controllers: [BillingController], providers: [Handled] })
class BillingModule {}

@Controller()
class ShippingController {
  constructor(private readonly handled: Handled) {}

  @EventPattern<string>('order.paid')
  onPaid(@Payload() order: { id: string }): void {
    this.handled.events.push(`order.paid ${order.id}`);
  }
}

@Module({ controllers: [ShippingController], providers: [Handled] })
class ShippingModule {}

// ---- the tests ----

/** What each instance of a group handled, one array per instance. */
function handledBy(instances: TestMicroservice[]): string[][] {
  return instances.map((instance) => instance.app.get(Handled).events);
}

describe('order events reach billing and shipping', () => {
  let broker: TestBroker;
  let billing: TestMicroservice[];
  let shipping: TestMicroservice[];
  let shop: WarrenClient;

  // One broker per test file: in-memory, on its own port, so jest can run files in parallel.
  beforeAll(async () => {
    broker = await startTestBroker();
  });

  // Closes the apps and clients created with the helpers first, then the broker.
  afterAll(() => broker.close());

  beforeEach(async () => {
    billing = await createTestMicroservices(BillingModule, 2, { broker, group: 'billing' });
    shipping = await createTestMicroservices(ShippingModule, 2, { broker, group: 'shipping' });
    shop = await createTestClient(broker);
  });

  afterEach(async () => {
    for (const instance of [...billing, ...shipping]) await instance.close();
    await shop.close();
    // Deletes every queue and exchange, so the next test starts from a fresh broker.
    await broker.reset();
  });

  it('gives each group every event it subscribed to exactly once, shared between its instances', async () => {
    const published = broker.capture('warren.events');
    expect(broker.bindings({ queue: 'shipping' })).toMatchObject([{ source: 'warren.events', routingKey: 'order.paid' }]);

    // emit() resolves once the broker has confirmed, and so routed, the event.
    for (const id of ['o1', 'o2', 'o3', 'o4']) await lastValueFrom(shop.emit('order.created', { id }));
    for (const id of ['o1', 'o2']) await lastValueFrom(shop.emit('order.paid', { id }));

    // Handlers ack when they return: an empty queue means every event was handled.
    await broker.waitForQueue('billing', { empty: true, consumers: 2 });
    await broker.waitForQueue('shipping', { empty: true, consumers: 2 });

    expect(published.messages.map((m) => m.routingKey)).toEqual([
      'order.created',
      'order.created',
      'order.created',
      'order.created',
      'order.paid',
      'order.paid',
    ]);
    const billingHandled = handledBy(billing);
    expect(billingHandled.flat().sort()).toEqual([
      'order.created o1',
      'order.created o2',
      'order.created o3',
      'order.created o4',
      'order.paid o1',
      'order.paid o2',
    ]);
    // Instances of one group compete for its queue: both billing instances took a share.
    expect(billingHandled.map((events) => events.length)).toEqual([3, 3]);
    expect(handledBy(shipping).flat().sort()).toEqual(['order.paid o1', 'order.paid o2']);
    expect(handledBy(shipping).map((events) => events.length)).toEqual([1, 1]);
  });

  it('keeps the events of a group that is down in its queue', async () => {
    for (const instance of shipping) await instance.close();

    await lastValueFrom(shop.emit('order.paid', { id: 'o9' }));

    await broker.waitForQueue('shipping', { messages: 1, consumers: 0 });
    const [waiting] = broker.peek('shipping');
    expect(waiting.routingKey).toBe('order.paid');
    expect(JSON.parse(waiting.body.toString())).toEqual({ pattern: 'order.paid', data: { id: 'o9' } });
    await broker.waitForQueue('billing', { empty: true });
    expect(handledBy(billing).flat()).toEqual(['order.paid o9']);
  });
});
