import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const SOURCES = join(ROOT, 'apps', 'console');
const OUT = join(ROOT, 'dist', 'console');
const BUILT = join(OUT, 'index.html');
const LOCK = join(ROOT, 'dist', '.console-build.lock');
/** A lock older than this was left by a killed run. */
const STALE_LOCK_MS = 300_000;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const isFresh = () => existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestMtime(SOURCES);
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Takes the build lock (a directory: creating it is atomic), waiting for another jest worker's build; false if that build finished. */
function lock(): boolean {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + STALE_LOCK_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (isFresh()) return false;
    const age = Date.now() - (existsSync(LOCK) ? statSync(LOCK).mtimeMs : Date.now());
    if (age > STALE_LOCK_MS || Date.now() > deadline) {
      process.stderr.write(
        `removing a stale console build lock (pid ${existsSync(join(LOCK, 'pid')) ? readFileSync(join(LOCK, 'pid'), 'utf8') : '?'})\n`,
      );
      rmSync(LOCK, { recursive: true, force: true });
    } else sleep(250);
  }
}

/**
 * Builds the console into dist/console (as `npm run build` does) unless a build newer than every source file is
 * there already, so the browser tests always see the current sources. Jest workers running console specs at once
 * build it once: the first takes a lock, builds into a scratch folder and moves it into place; the others wait.
 */
export function ensureConsoleBuilt(): void {
  if (isFresh() || !lock()) return;
  try {
    if (isFresh()) return;
    const scratch = join(ROOT, 'dist', `.console-build-${process.pid}`);
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
        'build',
        '--config',
        'apps/console/vite.config.ts',
        '--logLevel',
        'warn',
        '--outDir',
        scratch,
      ],
      { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: STALE_LOCK_MS },
    );
    rmSync(OUT, { recursive: true, force: true });
    renameSync(scratch, OUT);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Where the browser tests save their screenshots (ignored by git). */
export const ARTIFACTS_DIR = join(ROOT, 'test-artifacts', 'console');
