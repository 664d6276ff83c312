import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from '../../support/wait-for.js';

/** The admin API running in a child process, straight from the TypeScript sources. */
export interface AdminApiProcess {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Waits for the listening line and returns the base URL (`http://127.0.0.1:PORT`). */
  baseUrl(timeoutMs?: number): Promise<string>;
}

/** Runs apps/admin-api/src/main.ts in a child process, as `npm run dev:admin-api` does, with extra env. */
export function spawnAdminApiProcess(env: Record<string, string>): AdminApiProcess {
  let output = '';
  const child = spawn(process.execPath, ['--import', './test/support/register-ts.mjs', 'apps/admin-api/src/main.ts'], {
    env: { ...process.env, WARREN_HTTP_HOST: '127.0.0.1', WARREN_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async baseUrl(timeoutMs = 60_000) {
      const match = await waitFor(
        () => /listening on (http:\/\/[^\s]+)/.exec(output) ?? (child.exitCode !== null ? 'exited' : undefined),
        { timeoutMs, intervalMs: 20, what: 'the admin API to listen' },
      );
      if (match === 'exited') throw new Error(`admin API exited early: ${output}`);
      return match[1];
    },
  };
}
