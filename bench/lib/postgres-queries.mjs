// The few statements bench/multi-node.mjs runs on PostgreSQL itself: databases and schemas per configuration, a
// checkpoint between configurations, and the server's own counters over a window (transactions, tuples, WAL
// writes and fsyncs, and with pg_stat_statements the statements' execution times).
import pg from 'pg';

/** Runs `sql` on a connection of its own. */
export async function query(url, sql, values = []) {
  const client = new pg.Client({ connectionString: url, application_name: 'warren-bench' });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

const quote = (identifier) => `"${identifier.replace(/"/g, '""')}"`;

/** Creates an empty UTF-8 database (if missing) on the server of `url` and returns its URL. */
export async function createDatabase(url, name) {
  const { rowCount } = await query(url, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rowCount === 0) await query(url, `CREATE DATABASE ${quote(name)} ENCODING 'UTF8' TEMPLATE template0`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
}

/** Drops `schema` and everything in it (Warren's tables of one configuration). */
export function dropSchema(url, schema) {
  return query(url, `DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`);
}

/** Forces a checkpoint, so one configuration's dirty pages are not written during the next one's window. */
export async function checkpoint(url) {
  await query(url, 'CHECKPOINT').catch(() => undefined); // needs superuser (or pg_checkpoint) on an existing server
}

/** Loads pg_stat_statements into the database of `url`; false if the server was not started with it. */
export async function enableStatements(url) {
  try {
    await query(url, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await query(url, 'SELECT count(*) FROM pg_stat_statements');
    return true;
  } catch {
    return false;
  }
}

/**
 * The server's counters now: this database's transactions and tuples, and the cluster's WAL (pg_stat_wal, 14 to 17;
 * without its columns on other versions).
 */
export async function serverCounters(url) {
  const database = 'd.xact_commit, d.xact_rollback, d.tup_inserted, d.tup_updated, d.tup_deleted';
  const where = 'WHERE d.datname = current_database()';
  let rows;
  try {
    ({ rows } = await query(
      url,
      `SELECT ${database}, w.wal_records, w.wal_bytes, w.wal_write, w.wal_sync, w.wal_sync_time FROM pg_stat_database d, pg_stat_wal w ${where}`,
    ));
  } catch {
    ({ rows } = await query(url, `SELECT ${database} FROM pg_stat_database d ${where}`));
  }
  const counters = {};
  for (const [key, value] of Object.entries(rows[0])) counters[key] = Number(value);
  return counters;
}

/** `after − before` of {@link serverCounters}, divided by `messages`. */
export function countersPerMessage(before, after, messages) {
  const per = {};
  for (const key of Object.keys(after)) per[key] = (after[key] - before[key]) / Math.max(1, messages);
  // Milliseconds in pg_stat_wal, and 0 unless track_wal_io_timing is on (--statements turns it on).
  if (per.wal_sync_time > 0) per.wal_sync_time_us = per.wal_sync_time * 1000;
  return per;
}

/** Forgets what pg_stat_statements gathered so far (the window starts). */
export function resetStatements(url) {
  return query(url, 'SELECT pg_stat_statements_reset()');
}

/** The statements of this database by total execution time, most first (the window ends). */
export async function topStatements(url, limit = 12) {
  const { rows } = await query(
    url,
    `SELECT regexp_replace(s.query, '\\s+', ' ', 'g') AS query, s.calls, s.total_exec_time, s.rows
     FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
     WHERE d.datname = current_database() AND s.query NOT LIKE '%pg_stat_statements%'
     ORDER BY s.total_exec_time DESC LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({ query: row.query, calls: Number(row.calls), totalMs: Number(row.total_exec_time), rows: Number(row.rows) }));
}

/** What an active statement is, from its first words: `INSERT warren_shared_messages`, `COMMIT`, `SELECT pg_notify`… */
function statementKind(text) {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const verb = (words[0] ?? '').toUpperCase();
  const table = /\b(warren_[a-z_]+)/.exec(text)?.[1];
  if (verb === 'SELECT' && /pg_notify/.test(text)) return 'SELECT pg_notify';
  return table === undefined ? verb : `${verb} ${table}`;
}

/**
 * Samples pg_stat_activity every `intervalMs` on a connection of its own: for each of Warren's pooled sessions
 * (application name `warren`; the LISTEN connections are left out), whether it is idle (waiting for its node) or
 * active, in which statement and on what it waits (`Lock:object` is the lock that serializes notifying commits,
 * `IO:WALSync` the WAL fsync). `stop()` resolves with the average number of sessions in each state, most first: a
 * cheap profile of where the database's side of the time goes.
 */
export async function startActivitySampler(url, intervalMs = 20) {
  const client = new pg.Client({ connectionString: url, application_name: 'warren-bench-sampler' });
  await client.connect();
  const counts = new Map();
  let rounds = 0;
  let isStopped = false;
  const loop = (async () => {
    while (!isStopped) {
      const { rows } = await client.query(
        `SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity
         WHERE application_name = 'warren' AND backend_type = 'client backend'`,
      );
      for (const row of rows) {
        const wait = row.wait_event_type ? `${row.wait_event_type}:${row.wait_event}` : 'CPU';
        const key = row.state === 'active' ? `active ${statementKind(row.query)}, ${wait}` : `${row.state} (waiting for its node)`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      rounds++;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      isStopped = true;
      await loop.catch(() => undefined);
      await client.end().catch(() => undefined);
      return [...counts]
        .map(([state, count]) => ({ state, sessions: count / Math.max(1, rounds) }))
        .sort((a, b) => b.sessions - a.sessions);
    },
  };
}
