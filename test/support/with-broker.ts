import type { BrokerConfig } from '@app/server';
import type { LevelStorageOptions } from '@app/storage/level';
import { startTestBroker, type TestBroker } from '@app/testing';

export { startTestBroker, type TestBroker } from '@app/testing';

/**
 * Starts Warren in this process on 127.0.0.1:0 with fast timers and a quiet logger: the pre-`@app/testing`
 * signature, kept for the existing tests (new tests call `startTestBroker` from `@app/testing`). `storage: 'level'`
 * with a `dataDir` uses and keeps that directory. Every test that calls it must `await close()`.
 */
export function startBroker(config: Partial<BrokerConfig> = {}, storageOptions: LevelStorageOptions = {}): Promise<TestBroker> {
  return startTestBroker({ config, storageOptions });
}
