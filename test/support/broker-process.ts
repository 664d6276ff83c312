import { spawnSourceProcess, type SourceProcess, type SourceProcessOptions } from './source-process.js';

/** A broker running in a child process, straight from the TypeScript sources. */
export interface BrokerProcess extends SourceProcess {
  /** Waits for the listening line and returns the port. */
  port(timeoutMs?: number): Promise<number>;
  /** Waits for the management listener's line and returns its port (the admin API's `WARREN_BROKER_URL`). */
  managementPort(timeoutMs?: number): Promise<number>;
}

/** Runs apps/broker/src/main.ts in a child process, as `npm run dev:broker` does, with extra env. */
export function spawnBrokerProcess(env: Record<string, string>, options: SourceProcessOptions = {}): BrokerProcess {
  const process = spawnSourceProcess(
    'apps/broker/src/main.ts',
    {
      WARREN_LOG_LEVEL: 'warn',
      WARREN_AMQP_HOST: '127.0.0.1',
      WARREN_AMQP_PORT: '0',
      WARREN_MANAGEMENT_PORT: '0',
      WARREN_METRICS_PORT: '0',
      ...env,
    },
    options,
  );
  return {
    ...process,
    async port(timeoutMs = 30_000) {
      return Number(await process.waitForLine(/listening on amqp:\/\/[^:]+:(\d+)/, 'the broker to listen', timeoutMs));
    },
    async managementPort(timeoutMs = 30_000) {
      return Number(await process.waitForLine(/management listener on amqp:\/\/[^:]+:(\d+)/, 'the management listener', timeoutMs));
    },
  };
}
