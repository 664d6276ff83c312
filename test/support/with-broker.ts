import { WarrenBroker } from '../../apps/broker/src/warren-broker.js';
import type { BrokerConfig } from '../../apps/broker/src/config/broker-config.js';
import { BrokerLogger } from '../../apps/broker/src/logger.js';
import type { LevelStorageOptions } from '@app/storage';

/** A broker started in-process on an ephemeral loopback port for one test file. */
export interface TestBroker {
  broker: WarrenBroker;
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts Warren in this process on 127.0.0.1:0 with fast timers and a quiet logger.
 * Every test that calls it must `await close()` (afterAll/afterEach).
 */
export async function startBroker(config: Partial<BrokerConfig> = {}, storageOptions: LevelStorageOptions = {}): Promise<TestBroker> {
  const broker = new WarrenBroker(
    { host: '127.0.0.1', port: 0, authFailureDelayMs: 50, closeTimeoutMs: 500, storage: 'memory', ...config },
    new BrokerLogger('error', () => undefined),
    storageOptions,
  );
  await broker.start();
  return {
    broker,
    port: broker.port,
    url: `amqp://guest:guest@127.0.0.1:${broker.port}`,
    close: () => broker.close(),
  };
}
