import 'reflect-metadata';
import { Controller, Inject, Module, type DynamicModule } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { WarrenContext } from '@app/transport';
import { Gate, Inbox, TransportHarness } from '../../libs/transport/test/transport-harness.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Graceful shutdown: `app.close()` cancels the consumer first, lets the handler in flight finish and acks its
 * message, and only then closes the connection; a handler that overruns `shutdownTimeoutMs` is abandoned and its
 * message redelivered.
 */

const INBOX = Symbol('INBOX');
const GATE = Symbol('GATE');
const FINISHED = Symbol('FINISHED');

@Controller()
class ReportsController {
  constructor(
    @Inject(INBOX) private readonly inbox: Inbox,
    @Inject(GATE) private readonly gate: Gate,
    @Inject(FINISHED) private readonly finished: unknown[],
  ) {}

  @EventPattern<string>('report.generate')
  async generate(@Payload() data: unknown, @Ctx() ctx: WarrenContext): Promise<void> {
    this.inbox.add(ctx.getPattern(), data);
    await this.gate.opened;
    this.finished.push(data);
  }
}

@Module({})
class ReportsModule {}

describe('WarrenServer graceful shutdown', () => {
  let broker: TestBroker;
  let harness: TransportHarness;
  let inbox: Inbox;
  let gate: Gate;
  let finished: unknown[];

  beforeEach(async () => {
    broker = await startBroker();
    harness = new TransportHarness(() => broker.url);
    inbox = new Inbox();
    gate = new Gate();
    finished = [];
  });

  afterEach(async () => {
    gate.open();
    await harness.closeAll();
    await broker.close();
  });

  function reportsModule(): DynamicModule {
    return {
      module: ReportsModule,
      controllers: [ReportsController],
      providers: [
        { provide: INBOX, useValue: inbox },
        { provide: GATE, useValue: gate },
        { provide: FINISHED, useValue: finished },
      ],
    };
  }

  const connectionCount = () => [...broker.broker.allConnections()].length;

  it('stops consuming, lets the slow handler finish and acks it before closing the connection', async () => {
    const { server, close } = await harness.service(reportsModule(), { group: 'reports', shutdownTimeoutMs: 30_000 });
    const client = await harness.client();
    const queue = broker.broker.core.getVhost('/')!.getQueue('reports')!;

    await lastValueFrom(client.emit('report.generate', { n: 1 }));
    await waitFor(() => inbox.items.length === 1, { what: 'the slow handler started' });
    const connectionsBefore = connectionCount();

    const closing = close();
    // basic.cancel went out first: the group's queue has no consumer, yet the connection is still open.
    await waitFor(() => queue.consumerCount === 0, { what: 'the consumer cancelled' });
    expect(connectionCount()).toBe(connectionsBefore);
    expect(server.isConnected).toBe(true);
    expect(queue.unackedCount).toBe(1);
    // New events are no longer taken by the closing instance.
    await lastValueFrom(client.emit('report.generate', { n: 2 }));
    await waitFor(() => queue.messageCount === 1, { what: 'the second event waiting in the queue' });
    expect(inbox.items).toHaveLength(1);

    gate.open();
    await closing;

    expect(finished).toEqual([{ n: 1 }]);
    // The finished message was acked (not requeued by the connection closing): only the second one is left.
    expect(queue.unackedCount).toBe(0);
    expect(queue.messageCount).toBe(1);
    expect([...queue.readyEntries()].map((e) => JSON.parse(e.message.body.toString()).data)).toEqual([{ n: 2 }]);
    await waitFor(() => connectionCount() === connectionsBefore - 1, { what: 'the server connection closed' });
    expect(server.isConnected).toBe(false);
  });

  it('gives up on a handler that overruns shutdownTimeoutMs; its message is redelivered', async () => {
    const { close } = await harness.service(reportsModule(), { group: 'reports', shutdownTimeoutMs: 300 });
    const client = await harness.client();
    const queue = broker.broker.core.getVhost('/')!.getQueue('reports')!;

    await lastValueFrom(client.emit('report.generate', { n: 1 }));
    await waitFor(() => inbox.items.length === 1, { what: 'the handler started' });

    await close();

    expect(finished).toEqual([]);
    await waitFor(() => queue.messageCount === 1 && queue.unackedCount === 0, { what: 'the message back in the queue' });
    expect(harness.logger.matching('warn', /still running after 300 ms/)).toHaveLength(1);
  });
});
