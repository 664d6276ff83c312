import type { OpenedStorage } from '@app/storage';
import { openMemoryStorage } from '@app/storage/memory';
import type { BrokerConfig } from './config/broker-config.js';

/**
 * Opens the store for `storage: 'level'` (given the resolved data directory) or `'postgres'`. The broker app
 * passes an opener over `@app/storage/level` and `@app/storage/postgres`; the server library never imports a
 * durable backend itself, so running a memory-only broker never loads the classic-level native module or `pg`.
 */
export type DurableStorageOpener = (dataDir: string) => Promise<OpenedStorage>;

/** Opens the backend the configuration names; `memory` needs nothing, `level` and `postgres` need the app's opener. */
export function openConfiguredStorage(
  config: BrokerConfig,
  dataDir: string,
  openDurable: DurableStorageOpener | undefined,
): Promise<OpenedStorage> {
  if (config.storage === 'memory') return openMemoryStorage();
  if (openDurable === undefined) {
    throw new Error(`server: storage '${config.storage}' needs a store opener (see apps/broker/src/open-durable-storage.ts)`);
  }
  return openDurable(dataDir);
}
