import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The file descriptor limit assumed where the process's own cannot be read (Linux's usual soft limit). */
export const FALLBACK_FD_LIMIT = 1024;

/**
 * The process's soft limit on open file descriptors: `/proc/self/limits` on Linux, else `ulimit -n` from a shell,
 * else undefined. `unlimited` reads as undefined too. Called once at start-up (it may spawn a shell).
 */
export function readFdLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    if (match) return parseLimit(match[1]);
  } catch {
    // Not Linux (or /proc is not mounted): ask a shell.
  }
  try {
    return parseLimit(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'latin1', timeout: 2000 }).trim());
  } catch {
    return undefined;
  }
}

function parseLimit(text: string): number | undefined {
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * How many client sockets the listener may hold with `fdLimit` descriptors, like RabbitMQ's `sockets_limit`: the
 * rest is headroom for the store's LevelDB files, the listeners, the admin API's connection and Node itself
 * (max(100, 10 %) of the limit). Past the budget new sockets are refused, so an fd is always left for the store, and
 * for `process.memoryUsage.rss()`, which reads `/proc` and throws EMFILE when none is.
 */
export function socketBudget(fdLimit: number): number {
  const reserved = Math.max(100, Math.ceil(fdLimit * 0.1));
  // A tiny limit still admits some clients rather than none.
  return Math.max(fdLimit - reserved, Math.floor(fdLimit / 2), 1);
}
