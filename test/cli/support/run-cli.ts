import { spawn } from 'node:child_process';

/** What one `warren` run printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of one run: extra environment (merged over the test's connection env), stdin text. */
export interface CliRunOptions {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  timeoutMs?: number;
}

/**
 * Runs the `warren` CLI from its TypeScript sources (libs/cli/src/main.ts) as a child process, as a user would run
 * it, and resolves with its exit code and output. The environment is the test's, without WARREN_ADMIN_* unless given.
 */
export function runCli(args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    WARREN_ADMIN_URL: undefined,
    WARREN_ADMIN_USER: undefined,
    WARREN_ADMIN_PASS: undefined,
  };
  // No developer's ~/.config/warren/cli.json may leak into a test.
  env.XDG_CONFIG_HOME = '/nonexistent-warren-test-config';
  Object.assign(env, options.env);
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(process.execPath, ['--import', './test/support/register-ts.mjs', 'libs/cli/src/main.ts', ...args], {
    env: env as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A CLI bound to one admin API as one user (through the environment, as an operator's shell would be). */
export function cliFor(url: string, user = 'guest', password = 'guest') {
  return (args: string[], options: CliRunOptions = {}) =>
    runCli(args, { ...options, env: { WARREN_ADMIN_URL: url, WARREN_ADMIN_USER: user, WARREN_ADMIN_PASS: password, ...options.env } });
}

/** A long-running `warren` (e.g. `top`): its output so far, a way to signal it, and its exit. */
export interface RunningCli {
  output(): string;
  signal(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

/** Starts `warren` from its sources without waiting for it to end (stdin closed, so no key handling). */
export function startCli(args: string[], env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, ['--import', './test/support/register-ts.mjs', 'libs/cli/src/main.ts', ...args], {
    env: { ...process.env, XDG_CONFIG_HOME: '/nonexistent-warren-test-config', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    output: () => output,
    signal: (signal) => child.kill(signal),
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
}
