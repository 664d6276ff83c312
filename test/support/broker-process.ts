import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait-for.js';

/** A broker running in a child process, straight from the TypeScript sources. */
export interface BrokerProcess {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Waits for the listening line and returns the port. */
  port(timeoutMs?: number): Promise<number>;
}

/** Runs apps/broker/src/main.ts in a child process, as `npm run dev:broker` does, with extra env. */
export function spawnBrokerProcess(env: Record<string, string>): BrokerProcess {
  let output = '';
  const child = spawn(process.execPath, ['--import', './test/support/register-ts.mjs', 'apps/broker/src/main.ts'], {
    env: { ...process.env, WARREN_LOG_LEVEL: 'warn', WARREN_AMQP_HOST: '127.0.0.1', WARREN_AMQP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async port(timeoutMs = 30_000) {
      const match = await waitFor(
        () => /listening on amqp:\/\/[^:]+:(\d+)/.exec(output) ?? (child.exitCode !== null ? 'exited' : undefined),
        { timeoutMs, what: 'the broker to listen' },
      );
      if (match === 'exited') throw new Error(`broker exited early: ${output}`);
      return Number(match[1]);
    },
  };
}
