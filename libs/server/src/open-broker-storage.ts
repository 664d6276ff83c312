import type { OpenedStorage } from '@app/storage';
import { openMemoryStorage } from '@app/storage/memory';
import type { BrokerConfig } from './config/broker-config.js';

/**
 * Opens the store for `storage: 'level'`, given the resolved data directory. The broker app passes
 * `openLevelStorage` from `@app/storage/level`; the server library never imports that backend itself, so loading
 * it (or running a memory-only broker) never loads the classic-level native module.
 */
export type DurableStorageOpener = (dataDir: string) => Promise<OpenedStorage>;

/** Opens the backend the configuration names; `(memory)` needs nothing, `level` needs the app's opener. */
export function openConfiguredStorage(
  config: BrokerConfig,
  dataDir: string,
  openDurable: DurableStorageOpener | undefined,
): Promise<OpenedStorage> {
  if (config.storage === 'memory') return openMemoryStorage();
  if (openDurable === undefined) {
    throw new Error("server: storage 'level' needs a store opener (pass openLevelStorage from @app/storage/level)");
  }
  return openDurable(dataDir);
}
