import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A throwaway PostgreSQL server started by a test from the distribution's binaries; see {@link startPostgresCluster}. */
export interface PostgresCluster {
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** A `postgres://` URL of `database` on this cluster (superuser `postgres`, trust authentication). */
  url(database?: string): string;
  /** Creates an empty database (UTF-8) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /**
   * Restarts the server in place (fast shutdown, then start on the same port and data directory), as a quick
   * database failover looks to clients: every connection is ended, committed data stays.
   */
  restart(): Promise<void>;
  /** Stops the server (immediate shutdown) and deletes its directory; calling it twice is harmless. */
  stop(): Promise<void>;
}

/** Options of {@link startPostgresCluster}. */
export interface PostgresClusterOptions {
  /** Bound on initdb, and on pg_ctl start and stop each (ms); default 120 s for a busy 2-core machine. */
  timeoutMs?: number;
}

/**
 * The `bin` directory of the newest PostgreSQL installed the Debian way (`/usr/lib/postgresql/<version>/bin`),
 * or `WARREN_TEST_PG_BIN`. `.ci/run` installs the package when none is there.
 */
export function postgresBinDir(): string {
  const fromEnv = process.env['WARREN_TEST_PG_BIN'];
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error('no PostgreSQL found under /usr/lib/postgresql/*/bin (apt-get install postgresql, as .ci/run does)');
  }
  return join(root, versions[0]!, 'bin');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts a fresh PostgreSQL cluster in a temp dir: initdb (trust auth, UTF-8, C locale), then `pg_ctl start -w` on a
 * free port of 127.0.0.1 with its unix socket inside the temp dir, fsync left on. initdb refuses to run as root, so
 * as root the directory belongs to the `postgres` user and every command runs through `runuser -u postgres --`.
 * Stop it with {@link PostgresCluster.stop} in `afterAll`.
 */
export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const timeout = options.timeoutMs ?? 120_000;
  const bin = postgresBinDir();
  const dir = await mkdtemp(join(tmpdir(), 'warren-pg-'));
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await chown(dir, uid, gid);
  }
  const exec = (tool: string, args: string[]): Promise<unknown> =>
    isRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { timeout }) : run(join(bin, tool), args, { timeout });
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  let isStopped = false;
  const stop = async (): Promise<void> => {
    if (isStopped) return;
    isStopped = true;
    try {
      await exec('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', String(Math.ceil(timeout / 1000))]);
    } catch {
      // Not running (start failed): nothing to stop.
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await exec('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
    let port = 0;
    // A free port can be taken by another process between the probe and the server's bind: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = [
        `-p ${port}`,
        `-k ${dir}`,
        "-c listen_addresses='127.0.0.1'",
        '-c max_connections=100',
        '-c shared_buffers=16MB',
        '-c fsync=on',
      ].join(' ');
      try {
        await exec('pg_ctl', ['start', '-D', data, '-w', '-t', String(Math.ceil(timeout / 1000)), '-l', log, '-o', settings]);
        break;
      } catch (error) {
        if (attempt >= 3) {
          const serverLog = await readFile(log, 'utf8').catch(() => '');
          throw new Error(`pg_ctl start failed: ${(error as Error).message}\n${serverLog}`, { cause: error });
        }
      }
    }
    const url = (database = 'postgres'): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
    return {
      port,
      url,
      async createDatabase(name) {
        const client = new pg.Client({ connectionString: url() });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}" ENCODING 'UTF8' TEMPLATE template0`);
        } finally {
          await client.end();
        }
        return url(name);
      },
      async restart() {
        if (isStopped) throw new Error('the PostgreSQL cluster was stopped for good');
        // pg_ctl restart starts the server again with the options it was started with (postmaster.opts).
        await exec('pg_ctl', ['restart', '-D', data, '-m', 'fast', '-w', '-t', String(Math.ceil(timeout / 1000)), '-l', log]);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
