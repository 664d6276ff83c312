import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Inject, Module, type DynamicModule } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { WarrenContext, WarrenHealthIndicator, WarrenPublishError, type WarrenClient, type WarrenServer } from '@app/transport';
import { Inbox, TransportHarness } from '../../libs/transport/test/transport-harness.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Resilience: the broker (LevelDB storage) restarts on the same port mid-stream. Services reconnect and
 * resubscribe, the client buffers what is emitted meanwhile (bounded) and resends what lost its confirm, and no
 * event whose emit() completed is lost.
 */

const INBOX = Symbol('INBOX');

@Controller()
class LedgerController {
  constructor(@Inject(INBOX) private readonly inbox: Inbox<{ n: number }>) {}

  @EventPattern<string>('ledger.entry')
  entry(@Payload() data: { n: number }, @Ctx() ctx: WarrenContext): void {
    this.inbox.add(ctx.getPattern(), data);
  }

  @MessagePattern('ledger.balance')
  balance(): number {
    return this.inbox.items.length;
  }
}

@Module({})
class LedgerModule {}

describe('Warren transport across a broker restart', () => {
  let dataDir: string;
  let broker: TestBroker | undefined;
  let harness: TransportHarness;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-transport-restart-'));
    harness = new TransportHarness(() => {
      if (!broker) throw new Error('no broker');
      return broker.url;
    });
  });

  afterEach(async () => {
    await harness.closeAll();
    await broker?.close();
    broker = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reconnects services and clients and loses no confirmed event', async () => {
    broker = await startBroker({ storage: 'level', dataDir });
    const port = broker.port;
    const inboxes = [new Inbox<{ n: number }>(), new Inbox<{ n: number }>()];
    const servers: WarrenServer[] = [];
    for (const inbox of inboxes) {
      const module: DynamicModule = {
        module: LedgerModule,
        controllers: [LedgerController],
        providers: [{ provide: INBOX, useValue: inbox }],
      };
      servers.push((await harness.service(module, { group: 'ledger', prefetchCount: 5 })).server);
    }
    const client = await harness.client({ timeoutMs: 10_000 });
    const tinyClient = await harness.client({ maxBufferedMessages: 3 });
    const health = new WarrenHealthIndicator(client);
    const reconnected: string[] = [];
    for (const server of servers) server.on('connected', () => reconnected.push('server'));
    client.on('connected', () => reconnected.push('client'));

    const received = () => new Set(inboxes.flatMap((inbox) => inbox.items.map((r) => r.data.n)));
    const confirmed: number[] = [];
    const failures: unknown[] = [];
    // A steady producer: each emit resolves only once the broker confirmed the (persistent) event.
    const total = 300;
    const producer = (async () => {
      for (let n = 0; n < total; n++) {
        await lastValueFrom(client.emit('ledger.entry', { n })).then(
          () => confirmed.push(n),
          (error: unknown) => failures.push(error),
        );
      }
    })();

    await waitFor(() => confirmed.length >= 60 && received().size >= 30, { what: 'the stream under way' });
    await broker.close();
    broker = undefined;

    // Down: emits wait in the outbox (bounded) instead of being dropped.
    await waitFor(() => !client.isConnected && !tinyClient.isConnected, { what: 'clients notice the outage' });
    expect(health.isHealthy('broker')).toEqual({ broker: { status: 'down' } });
    const burst = Array.from({ length: 20 }, (_, i) => lastValueFrom(client.emit('ledger.entry', { n: 1000 + i })));
    const tinyBurst = [0, 1, 2].map((i) => lastValueFrom(tinyClient.emit('ledger.entry', { n: 2000 + i })));
    await expect(lastValueFrom(tinyClient.emit('ledger.entry', { n: 2003 }))).rejects.toMatchObject({
      name: 'WarrenPublishError',
      reason: 'buffer-full',
    });
    await expect(lastValueFrom(tinyClient.emit('ledger.entry', { n: 2004 }))).rejects.toBeInstanceOf(WarrenPublishError);
    expect(client.pendingCount).toBeGreaterThanOrEqual(20);

    broker = await startBroker({ storage: 'level', dataDir, port });

    await Promise.all([...burst, ...tinyBurst]);
    await producer;
    expect(failures).toEqual([]);
    expect(confirmed).toHaveLength(total);
    const expected = [...Array.from({ length: total }, (_, n) => n), ...Array.from({ length: 20 }, (_, i) => 1000 + i), 2000, 2001, 2002];
    await waitFor(() => expected.every((n) => received().has(n)), { timeoutMs: 30_000, what: 'every confirmed event handled' });
    expect(received().has(2003)).toBe(false);

    expect(servers.every((server) => server.isConnected)).toBe(true);
    expect(reconnected.filter((who) => who === 'server')).toHaveLength(2);
    expect(reconnected).toContain('client');
    expect(health.isHealthy('broker')).toEqual({ broker: { status: 'up' } });
    // Requests work again too: the reply-to consumer was resubscribed on the new connection.
    // (Each instance counts its own share of the events.)
    await expect(firstValueFrom(client.send<number>('ledger.balance', {}))).resolves.toBeGreaterThan(0);
  });

  it('fails a request whose reply address went down with the connection', async () => {
    broker = await startBroker({ storage: 'level', dataDir });
    const port = broker.port;
    const client: WarrenClient = await harness.client({ timeoutMs: 20_000 });
    // A group whose handler never answers (no handler instance at all: the queue just holds the request).
    const module: DynamicModule = {
      module: LedgerModule,
      controllers: [LedgerController],
      providers: [{ provide: INBOX, useValue: new Inbox() }],
    };
    const { close } = await harness.service(module, { group: 'ledger' });
    await close(); // the queues and bindings stay; the request waits in ledger.rpc

    const pending = firstValueFrom(client.send('ledger.balance', {})).catch((error: unknown) => error);
    await waitFor(() => broker!.broker.core.getVhost('/')!.getQueue('ledger.rpc')!.messageCount === 1, { what: 'the request queued' });
    await broker.close();
    broker = undefined;

    await expect(pending).resolves.toMatchObject({ name: 'WarrenPublishError', reason: 'connection-lost' });
    broker = await startBroker({ storage: 'level', dataDir, port });
    await waitFor(() => client.isConnected, { what: 'the client back' });
  });
});
