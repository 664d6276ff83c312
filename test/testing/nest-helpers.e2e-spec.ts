import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { startTestBroker, type TestBroker } from '@app/testing';
import { createTestClient, createTestMicroservice, createTestMicroservices } from '@app/testing/nest.js';

@Controller()
class MathController {
  @MessagePattern('math.sum')
  sum(@Payload() numbers: number[]): number {
    return numbers.reduce((total, n) => total + n, 0);
  }
}

@Module({ controllers: [MathController] })
class MathModule {}

/** The Nest helpers: apps and clients wired to the test broker, and closed with it. */
describe('createTestMicroservice / createTestClient', () => {
  let broker: TestBroker;

  beforeEach(async () => {
    broker = await startTestBroker();
  });

  afterEach(() => broker.close());

  it('answers a request through the test broker once listen has resolved', async () => {
    const math = await createTestMicroservice(MathModule, { broker, group: 'math' });
    const client = await createTestClient(broker);

    expect(math.group).toBe('math');
    expect(broker.queue('math.rpc').consumerCount).toBe(1);
    await expect(firstValueFrom(client.send<number>('math.sum', [1, 2, 3]))).resolves.toBe(6);
    expect(broker.bindings({ queue: 'math.rpc' })).toMatchObject([{ source: 'warren.requests', routingKey: 'math.sum' }]);
  });

  it('starts several instances of one app in one group, each with its own consumer', async () => {
    const instances = await createTestMicroservices(MathModule, 3, { broker, serviceName: 'math' });

    expect(instances.map((instance) => instance.group)).toEqual(['math', 'math', 'math']);
    expect(new Set(instances.map((instance) => instance.app)).size).toBe(3);
    await expect(broker.waitForQueue('math.rpc', { consumers: 3 })).resolves.toMatchObject({ consumers: 3 });
  });

  it('closes apps and clients the test left open when the broker closes, before the broker', async () => {
    const warnings: unknown[] = [];
    const logger = { log: () => undefined, error: (m: unknown) => warnings.push(m), warn: (m: unknown) => warnings.push(m) };
    await createTestMicroservice(MathModule, { broker, group: 'math', logger });
    const client = await createTestClient(broker);
    expect([...broker.broker.allConnections()]).toHaveLength(2);

    await broker.close();

    expect(client.isConnected).toBe(false);
    expect([...broker.broker.allConnections()]).toEqual([]);
    // Closed before the broker went: the server never saw its connection drop (it would warn and reconnect).
    expect(warnings).toEqual([]);
  });

  it('lets a test close an app early; closing again is harmless', async () => {
    const math = await createTestMicroservice(MathModule, { broker, group: 'math' });

    await math.close();
    await math.close();

    await broker.waitForQueue('math.rpc', { consumers: 0 });
  });
});
