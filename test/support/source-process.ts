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

/** How to run the child beyond its environment. */
export interface SourceProcessOptions {
  /** Soft limit on open file descriptors (`ulimit -n`), set by a shell that then execs node. */
  fdLimit?: number;
}

/** Runs `entry` (a `.ts` file) with the test TypeScript hooks and extra env, capturing its output. */
export function spawnSourceProcess(entry: string, env: Record<string, string>, options: SourceProcessOptions = {}): SourceProcess {
  let output = '';
  const nodeArgs = ['--import', './test/support/register-ts.mjs', entry];
  const [command, args] =
    options.fdLimit === undefined
      ? [process.execPath, nodeArgs]
      : // exec keeps one process, so the child's pid, signals and exit code are node's own.
        ['sh', ['-c', `ulimit -n ${options.fdLimit} && exec "$@"`, 'sh', process.execPath, ...nodeArgs]];
  const child = spawn(command, args, {
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
