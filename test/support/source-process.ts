import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait-for.js';

/** An app of this repo running in a child process, straight from its TypeScript sources. */
export interface SourceProcess {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Waits until the output matches `pattern` and returns its first group; fails if the process exits first. */
  waitForLine(pattern: RegExp, what: string, timeoutMs: number): Promise<string>;
}

/** Runs `entry` (a `.ts` file) with the test TypeScript hooks and extra env, capturing its output. */
export function spawnSourceProcess(entry: string, env: Record<string, string>): SourceProcess {
  let output = '';
  const child = spawn(process.execPath, ['--import', './test/support/register-ts.mjs', entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async waitForLine(pattern, what, timeoutMs) {
      const match = await waitFor(() => pattern.exec(output) ?? (child.exitCode !== null ? 'exited' : undefined), {
        timeoutMs,
        intervalMs: 20,
        what,
      });
      if (match === 'exited') throw new Error(`${entry} exited early: ${output}`);
      return match[1];
    },
  };
}
