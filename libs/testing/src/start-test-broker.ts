import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LevelStorageOptions } from '@app/storage/level';
import { createBrokerLogger, WarrenBroker, type BrokerConfig, type LogLevel } from '@app/server';
import { TestBroker } from './test-broker.js';

/** How to start a test broker. Everything is optional: the default is an in-memory broker on 127.0.0.1:0. */
export interface StartTestBrokerOptions {
  /** Store in LevelDB, in a temporary directory removed on close (unless `dataDir` is given). */
  persistent?: boolean;
  /** Store in LevelDB here (implies `persistent`); the directory is kept on close. */
  dataDir?: string;
  /** Broker settings over {@link TEST_BROKER_DEFAULTS} (`storage: 'level'` here also means persistent). */
  config?: Partial<BrokerConfig>;
  /** LevelDB tuning and fault-injection seams (a failing `batchFn` simulates a full disk). */
  storageOptions?: LevelStorageOptions;
  /** Broker log level; default `'silent'`. */
  logLevel?: LogLevel | 'silent';
  /** Where log lines (one JSON object each, no newline) go when `logLevel` is not silent; default stderr. */
  log?: (line: string) => void;
}

/**
 * What a test broker changes from the production defaults: loopback and an ephemeral port (no clashes between
 * parallel jest workers), in-memory storage, and short timers so failed logins and forced closes take
 * milliseconds.
 */
export const TEST_BROKER_DEFAULTS: Readonly<Partial<BrokerConfig>> = {
  host: '127.0.0.1',
  port: 0,
  managementHost: '127.0.0.1',
  managementPort: 0,
  // Only used when a test sets `amqpsPort` (with the TLS files): loopback like the other listeners.
  amqpsHost: '127.0.0.1',
  storage: 'memory',
  authFailureDelayMs: 50,
  authFailureMaxDelayMs: 200,
  closeTimeoutMs: 500,
  // No Prometheus listener unless a test asks for one (15692 would clash between parallel brokers).
  metricsPort: 0,
};

/**
 * Starts a Warren broker in this process, on an ephemeral loopback port, and resolves once it accepts
 * connections. In-memory by default; `{ persistent: true }` uses LevelDB in a fresh temporary directory.
 * Always `await broker.close()` when done (afterAll/afterEach): it releases the port, the store and the
 * temporary directory, so jest exits without `--forceExit`.
 */
export async function startTestBroker(options: StartTestBrokerOptions = {}): Promise<TestBroker> {
  const config = options.config ?? {};
  const givenDir = options.dataDir ?? (config.storage === 'level' ? config.dataDir : undefined);
  const isPersistent = options.persistent === true || givenDir !== undefined || config.storage === 'level';
  const dataDir = isPersistent ? (givenDir ?? (await mkdtemp(join(tmpdir(), 'warren-test-')))) : undefined;
  const isDataDirTemporary = isPersistent && givenDir === undefined;
  const level = options.logLevel ?? 'silent';
  // Silent still gets a sink, so no stderr destination is opened for a broker that never logs.
  const logger = createBrokerLogger(level, level === 'silent' ? () => undefined : options.log);
  const broker = new WarrenBroker(
    {
      ...TEST_BROKER_DEFAULTS,
      ...config,
      logLevel: level === 'silent' ? 'error' : level,
      ...(dataDir === undefined ? { storage: 'memory' } : { storage: 'level', dataDir }),
    },
    logger,
    // Imported only for a persistent broker, so a memory-only test run never loads the classic-level native module.
    async (dir) => (await import('@app/storage/level')).openLevelStorage(dir, options.storageOptions),
  );
  try {
    await broker.start();
  } catch (error) {
    if (isDataDirTemporary) await rm(dataDir!, { recursive: true, force: true });
    throw error;
  }
  return new TestBroker(broker, { dataDir, isDataDirTemporary });
}
