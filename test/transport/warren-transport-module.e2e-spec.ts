import 'reflect-metadata';
import { Controller, Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, Ctx, EventPattern, MessagePattern, Payload, type ClientProxy } from '@nestjs/microservices';
import amqplib from 'amqplib';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { WARREN_TRANSPORT, WarrenClient, WarrenContext, WarrenHealthIndicator, WarrenModule } from '@app/transport';
import { FAST_RECONNECT, Inbox, TransportHarness } from '../../libs/transport/test/transport-harness.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Ergonomics: registration through ClientsModule (customClass) and WarrenModule.forRoot/forRootAsync, the health
 * indicator, transport-scoped handlers, and events from producers that know nothing of Nest.
 */

const INBOX = Symbol('INBOX');

@Controller()
class CatalogController {
  constructor(@Inject(INBOX) private readonly inbox: Inbox) {}

  @EventPattern<string>('product.#')
  onProduct(@Payload() data: unknown, @Ctx() ctx: WarrenContext): void {
    this.inbox.add(ctx.getPattern(), data);
  }

  /** Bound to Warren's transport only (a hybrid app's other transports would not get it). */
  @MessagePattern('catalog.price', WARREN_TRANSPORT)
  price(@Payload() sku: string): number {
    return sku.length * 100;
  }
}

@Module({})
class CatalogModule {}

@Injectable()
class ConfigLike {
  constructor(readonly url: string) {}
}

describe('Warren transport registration and formats', () => {
  let broker: TestBroker;
  let harness: TransportHarness;
  let inbox: Inbox;

  beforeEach(async () => {
    broker = await startBroker();
    harness = new TransportHarness(() => broker.url);
    inbox = new Inbox();
    const module: DynamicModule = {
      module: CatalogModule,
      controllers: [CatalogController],
      providers: [{ provide: INBOX, useValue: inbox }],
    };
    await harness.service(module, { group: 'catalog' });
  });

  afterEach(async () => {
    await harness.closeAll();
    await broker.close();
  });

  async function appContext(module: DynamicModule) {
    const app = await NestFactory.createApplicationContext(module, { logger: harness.logger });
    harness.later(() => app.close());
    return app;
  }

  it('works as a ClientsModule customClass', async () => {
    @Module({
      imports: [
        ClientsModule.register([
          { name: 'CATALOG', customClass: WarrenClient, options: { urls: [broker.url], reconnect: FAST_RECONNECT } },
        ]),
      ],
    })
    class ShopModule {}
    const app = await appContext({ module: ShopModule });
    const client = app.get<ClientProxy>('CATALOG');

    expect(client).toBeInstanceOf(WarrenClient);
    await expect(firstValueFrom(client.send<number>('catalog.price', 'abc'))).resolves.toBe(300);
    await lastValueFrom(client.emit('product.added', { sku: 'abc' }));
    await waitFor(() => inbox.items.length === 1, { what: 'the event' });
    expect(inbox.items[0]).toMatchObject({ pattern: 'product.added', data: { sku: 'abc' } });

    await app.close();
    expect((client as WarrenClient).isConnected).toBe(false);
  });

  it('provides WarrenClient and a health indicator through WarrenModule.forRoot', async () => {
    @Module({ imports: [WarrenModule.forRoot({ urls: [broker.url], reconnect: FAST_RECONNECT })] })
    class ShopModule {}
    const app = await appContext({ module: ShopModule });
    const client = app.get(WarrenClient);
    const health = app.get(WarrenHealthIndicator);

    expect(health.isHealthy('warren')).toEqual({ warren: { status: 'down' } });
    await client.connect();
    expect(health.isHealthy('warren')).toEqual({ warren: { status: 'up' } });
    await expect(firstValueFrom(client.send<number>('catalog.price', 'ab'))).resolves.toBe(200);

    await app.close(); // closes the client (onApplicationShutdown)
    expect(health.isHealthy('amqp')).toEqual({ amqp: { status: 'down' } });
  });

  it('builds its options from injected providers with WarrenModule.forRootAsync', async () => {
    @Module({ providers: [{ provide: ConfigLike, useFactory: () => new ConfigLike(broker.url) }], exports: [ConfigLike] })
    class ConfigModule {}
    @Module({
      imports: [
        WarrenModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigLike],
          useFactory: async (config: ConfigLike) => ({ urls: [config.url], timeoutMs: 5000, reconnect: FAST_RECONNECT }),
        }),
      ],
    })
    class ShopModule {}
    const app = await appContext({ module: ShopModule });

    await expect(firstValueFrom(app.get(WarrenClient).send<number>('catalog.price', 'a'))).resolves.toBe(100);
  });

  it("reports a server's health too", async () => {
    const { server, close } = await harness.service(
      { module: CatalogModule, controllers: [CatalogController], providers: [{ provide: INBOX, useValue: new Inbox() }] },
      { group: 'catalog' },
    );
    const health = new WarrenHealthIndicator(server);
    expect(health.isHealthy()).toEqual({ warren: { status: 'up' } });
    await close();
    expect(health.isHealthy()).toEqual({ warren: { status: 'down' } });
  });

  it('accepts events from non-Nest producers: plain JSON and text bodies, the routing key as pattern', async () => {
    const connection = await amqplib.connect(broker.url);
    harness.later(() => connection.close());
    const channel = await connection.createConfirmChannel();

    channel.publish('warren.events', 'product.added', Buffer.from(JSON.stringify({ sku: 'x-1' })), { contentType: 'application/json' });
    channel.publish('warren.events', 'product.renamed', Buffer.from(JSON.stringify({ sku: 'x-1', name: 'Widget' })));
    channel.publish('warren.events', 'product.note', Buffer.from('hello from a shell script'), { contentType: 'text/plain' });
    // A Nest-shaped body keeps its own pattern, whatever the routing key.
    channel.publish('warren.events', 'product.any', Buffer.from(JSON.stringify({ pattern: 'product.removed', data: { sku: 'x-1' } })));
    await channel.waitForConfirms();

    await waitFor(() => inbox.items.length === 4, { what: 'four events' });
    expect(inbox.items.map(({ pattern, data }) => ({ pattern, data }))).toEqual([
      { pattern: 'product.added', data: { sku: 'x-1' } },
      { pattern: 'product.renamed', data: { sku: 'x-1', name: 'Widget' } },
      { pattern: 'product.note', data: 'hello from a shell script' },
      { pattern: 'product.removed', data: { sku: 'x-1' } },
    ]);
  });

  it('requires a group', async () => {
    const { WarrenServer } = await import('@app/transport');
    expect(() => new WarrenServer({ urls: [broker.url] })).toThrow('transport: WarrenServer needs a "group" (or "serviceName") option');
  });
});
