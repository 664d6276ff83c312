// A throwaway PostgreSQL server for the benchmarks, from Debian's binaries (/usr/lib/postgresql/<version>/bin, the
// `postgresql` package), as test/support/postgres-cluster.ts starts one for the tests: initdb in a temp dir, then
// pg_ctl on a free port of 127.0.0.1. Unlike the tests' cluster it is sized for load (shared_buffers, WAL) and can
// load pg_stat_statements. Also: the CPU time of every process of a cluster, from /proc.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clockTicksPerSecond, procStatFields } from './cpu-meter.mjs';

const run = promisify(execFile);

/** The `bin` directory of the newest PostgreSQL installed the Debian way, or `WARREN_TEST_PG_BIN`. */
export function postgresBinDir() {
  if (process.env.WARREN_TEST_PG_BIN) return process.env.WARREN_TEST_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error('no PostgreSQL under /usr/lib/postgresql/*/bin (apt-get install postgresql), or pass --postgres-url');
  return join(root, versions[0], 'bin');
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts a fresh cluster in a temp dir and registers its stop (immediate shutdown, directory removed) with `cleanup`.
 * As root, initdb refuses to run: the directory then belongs to `postgres` and every tool runs through runuser.
 * Resolves with `{ port, url(database), postmasterPid(), version }`. fsync and synchronous_commit stay on: a
 * confirm then means a flushed WAL, as in production.
 */
export async function startPostgresCluster({ cleanup, statements = false, timeoutMs = 120_000 }) {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'warren-bench-pg-'));
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const command = (tool, args) => (isRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]);
  const exec = (tool, args) => run(...command(tool, args), { timeout: timeoutMs });
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const stopArgs = ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '60'];
  cleanup.add(
    `PostgreSQL cluster in ${dir}`,
    async () => {
      if (existsSync(join(data, 'postmaster.pid'))) await exec('pg_ctl', stopArgs).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
    () => {
      if (existsSync(join(data, 'postmaster.pid'))) execFileSync(...command('pg_ctl', stopArgs), { stdio: 'ignore', timeout: 60_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  );
  await exec('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    // A free port can be taken between the probe and the server's bind: try a few.
    port = await freePort();
    const settings = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses='127.0.0.1'",
      '-c max_connections=200',
      '-c shared_buffers=128MB',
      '-c max_wal_size=2GB',
      '-c fsync=on',
      '-c synchronous_commit=on',
      // With --statements: statement times, and the time spent in WAL writes and fsyncs (pg_stat_wal).
      ...(statements
        ? ["-c shared_preload_libraries='pg_stat_statements'", '-c pg_stat_statements.track=all', '-c track_wal_io_timing=on']
        : []),
    ].join(' ');
    try {
      await exec('pg_ctl', ['start', '-D', data, '-w', '-t', String(Math.ceil(timeoutMs / 1000)), '-l', log, '-o', settings]);
      break;
    } catch (error) {
      if (attempt >= 3) throw new Error(`pg_ctl start failed: ${error.message}\n${readFileSync(log, 'utf8')}`, { cause: error });
    }
  }
  const version = readFileSync(join(data, 'PG_VERSION'), 'utf8').trim();
  return {
    port,
    version,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    /** The postmaster's pid (first line of postmaster.pid). */
    postmasterPid: () => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n', 1)[0]),
  };
}

/**
 * CPU seconds used so far by a PostgreSQL server: the postmaster's own time, the time of its children that exited
 * and were reaped (cutime + cstime), and the time of every live child (backends, WAL writer, checkpointer,
 * autovacuum…). Read before and after a window, the difference is the server's CPU in the window, backends that
 * came and went included. Undefined when the postmaster cannot be read.
 */
export function postgresCpuSeconds(postmasterPid) {
  const own = procStatFields(postmasterPid);
  if (own === undefined) return undefined;
  // fields[11..14] = utime, stime, cutime, cstime (stat fields 14-17); fields[1] = ppid (field 4).
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = procStatFields(name);
    if (fields !== undefined && Number(fields[1]) === postmasterPid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / clockTicksPerSecond();
}
