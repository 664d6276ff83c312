import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { waitFor } from '../support/wait-for.js';

/** Runs apps/broker/src/main.ts in a child process from source, as `npm run dev:broker` does. */
function spawnBroker(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, ['--import', './test/support/register-ts.mjs', 'apps/broker/src/main.ts'], {
    env: { ...process.env, WARREN_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('broker process', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-process-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('closes clients with 320 CONNECTION_FORCED on %s and exits 0', async (signal) => {
    const broker = spawnBroker({ WARREN_AMQP_HOST: '127.0.0.1', WARREN_AMQP_PORT: '0', WARREN_DATA_DIR: dataDir });
    try {
      const line = await waitFor(() => /listening on amqp:\/\/127\.0\.0\.1:(\d+)/.exec(broker.output()), {
        timeoutMs: 30_000,
        what: 'the listening line',
      });
      const connection = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${line[1]}`);
      connection.on('error', () => undefined);
      const closed = new Promise<unknown>((resolve) => connection.on('close', resolve));
      broker.child.kill(signal);
      expect(String(await closed)).toMatch(/CONNECTION_FORCED/);
      expect(await broker.exited).toBe(0);
    } finally {
      broker.child.kill('SIGKILL');
    }
  });

  it.each([
    ['WARREN_AMQP_PORT', 'not-a-port'],
    ['WARREN_LOG_LEVEL', 'chatty'],
  ])('refuses to start with a bad %s and names it', async (name, value) => {
    const broker = spawnBroker({ WARREN_DATA_DIR: dataDir, [name]: value });
    expect(await broker.exited).not.toBe(0);
    expect(broker.output()).toContain(name);
    expect(broker.output()).not.toMatch(/\n\s+at /);
  });
});
