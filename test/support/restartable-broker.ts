import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelMessageStore } from '@app/storage/level';
import { startBroker, type TestBroker } from './with-broker.js';

/** Starts a broker on a data directory. */
export type StartOnDataDir = (dataDir: string) => Promise<TestBroker>;

/**
 * Registers the jest hooks of a file whose tests restart a LevelDB broker on its data directory: each test gets a
 * fresh directory (`mkdtemp` under `prefix`), and after it the broker running then is closed and the directory
 * removed. Returns `restart()`, which closes the running broker (if any) and starts a new one on the test's
 * directory, `start` (default: `startBroker` with `storage: 'level'`) deciding how.
 */
export function useRestartableBroker(
  prefix: string,
  start: StartOnDataDir = (dataDir) => startBroker({ storage: 'level', dataDir }),
): () => Promise<TestBroker> {
  let dataDir: string;
  let running: TestBroker | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });
  return async () => {
    await running?.close();
    running = await start(dataDir);
    return running;
  };
}

/** The LevelDB message store of an in-process broker, for its counters (records read, bodies spilled). */
export function levelStore(broker: TestBroker): LevelMessageStore {
  const store = broker.broker.core.storage!.messages;
  if (!(store instanceof LevelMessageStore)) throw new Error('expected the LevelDB message store');
  return store;
}
