// The tables of bench/multi-node.mjs (Markdown, to paste into docs/BENCHMARKS.md), or one JSON document (--json).
import { spread } from './stats.mjs';

const k = (n) => (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n >= 1000 ? `${(n / 1000).toFixed(2)}k` : n.toFixed(0));
const one = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const two = (n) => (n >= 10 ? n.toFixed(1) : n.toFixed(2));
const pct = (n) => `${n.toFixed(0)} %`;

/** median [min–max] of `values` formatted with `format`, or the median alone when they agree; '–' when none. */
function show(values, format) {
  const s = spread(values);
  if (s === undefined) return '–';
  return format(s.min) === format(s.max) ? format(s.median) : `${format(s.median)} [${format(s.min)}–${format(s.max)}]`;
}

/** The per-run figures derived from the raw ones: CPU per message (µs) and as % of one core. */
function derive(result) {
  const { cpu, confirmed } = result;
  const perMessage = (sec) => (sec === undefined || confirmed === 0 ? undefined : (sec * 1e6) / confirmed);
  const share = (sec) => (sec === undefined ? undefined : (sec / cpu.wallSec) * 100);
  const other =
    cpu.machineSec === undefined ? undefined : Math.max(0, cpu.machineSec - cpu.brokerSec - (cpu.databaseSec ?? 0) - cpu.clientSec);
  return {
    brokerUs: perMessage(cpu.brokerSec),
    databaseUs: perMessage(cpu.databaseSec),
    brokerPct: share(cpu.brokerSec),
    databasePct: share(cpu.databaseSec),
    clientPct: share(cpu.clientSec),
    otherPct: share(other),
  };
}

/** Prints the throughput table, the database's own counters per message, and the checks. */
export function printThroughput(configs, results, meta, options) {
  if (options.isJson) {
    console.log(JSON.stringify({ meta, results: results.map((r) => (r.cpu ? { ...r, derived: derive(r) } : r)) }, null, 2));
    return;
  }
  const o = options;
  console.log(
    `\n${o.publishers} publisher(s) and ${o.consumers} consumer(s) round-robin over the nodes, ${o.queues} durable queue(s), ` +
      `${o.size}-byte persistent messages, confirms (≤ ${o.inflight} in flight per publisher), prefetch ${o.prefetch} with an ack ` +
      `each; ${o.warmupMs / 1000} s warm-up, ${o.durationMs / 1000} s window, ${o.runs} run(s)` +
      (meta.postgres ? `; PostgreSQL ${meta.postgres}` : '') +
      '. CPU per message = CPU in the window ÷ messages confirmed in it; % = of one core.\n',
  );
  console.log(
    '| configuration | publish msg/s | consume msg/s | broker CPU µs/msg | database CPU µs/msg | brokers | database | client | other |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const config of configs) {
    const runs = results.filter((r) => r.config === config.label && r.status === 'done');
    const derived = runs.map(derive);
    const col = (field, format) =>
      show(
        derived.map((d) => d[field]),
        format,
      );
    console.log(
      `| ${config.label} | ${show(
        runs.map((r) => r.publishRate),
        k,
      )} | ${show(
        runs.map((r) => r.consumeRate),
        k,
      )} | ${col('brokerUs', one)} | ${config.nodes === 0 ? '–' : col('databaseUs', one)} | ${col('brokerPct', pct)} | ` +
        `${config.nodes === 0 ? '–' : col('databasePct', pct)} | ${col('clientPct', pct)} | ${col('otherPct', pct)} |`,
    );
  }
  const withCounters = configs.filter((config) => config.nodes > 0);
  if (withCounters.length > 0) {
    console.log('\nPostgreSQL per message confirmed (whole load, warm-up to drained; pg_stat_database, pg_stat_wal):\n');
    console.log('| configuration | transactions | WAL fsyncs | WAL fsync µs | WAL bytes | rows inserted / updated / deleted |');
    console.log('|---|---|---|---|---|---|');
    for (const config of withCounters) {
      const per = results.filter((r) => r.config === config.label && r.perMessage).map((r) => r.perMessage);
      const col = (field, format) =>
        show(
          per.map((p) => p[field]),
          format,
        );
      console.log(
        `| ${config.label} | ${col('xact_commit', two)} | ${col('wal_sync', two)} | ${col('wal_sync_time_us', two)} | ${col('wal_bytes', one)} | ` +
          `${col('tup_inserted', two)} / ${col('tup_updated', two)} / ${col('tup_deleted', two)} |`,
      );
    }
  }
  for (const result of results.filter((r) => r.activity)) {
    console.log(
      `\n${result.config}, run ${result.run}: Warren's pooled database sessions, average number in each state (pg_stat_activity every 20 ms):\n`,
    );
    console.log('| state | sessions |');
    console.log('|---|---|');
    for (const a of result.activity.slice(0, 12)) console.log(`| ${a.state} | ${two(a.sessions)} |`);
  }
  for (const result of results.filter((r) => r.statements)) {
    console.log(
      `\n${result.config}, run ${result.run}: statements by execution time (pg_stat_statements, whole load), per message confirmed:\n`,
    );
    console.log('| statement | calls/msg | exec µs/msg | mean ms | rows/call |');
    console.log('|---|---|---|---|---|');
    const messages = Math.max(1, result.totals.confirmed);
    for (const s of result.statements) {
      const text = s.query.length > 110 ? `${s.query.slice(0, 107)}…` : s.query;
      console.log(
        `| \`${text.replace(/\|/g, '\\|')}\` | ${two(s.calls / messages)} | ${two((s.totalMs * 1000) / messages)} | ` +
          `${(s.totalMs / Math.max(1, s.calls)).toFixed(3)} | ${one(s.rows / Math.max(1, s.calls))} |`,
      );
    }
  }
  console.log('\nChecks (every confirmed message delivered once):');
  for (const r of results) {
    if (!r.totals) {
      console.log(`- ${r.config}, run ${r.run}: ${r.status}`);
      continue;
    }
    const t = r.totals;
    console.log(
      `- ${r.config}, run ${r.run}: ${r.status}; published ${t.published}, confirmed ${t.confirmed}, nacked ${t.nacked}, ` +
        `delivered ${t.delivered}, duplicates ${t.duplicates}, redelivered ${t.redelivered}, missing ${t.missing}`,
    );
  }
}

/** Prints one line per kill -9 round and a summary per lease. */
export function printFailover(passes, meta, options) {
  if (options.isJson) {
    console.log(JSON.stringify({ meta, failover: passes }, null, 2));
    return;
  }
  console.log(
    `\nkill -9 of a node whose consumer holds ${options.held} unacked messages → all of them redelivered to a consumer on ` +
      `another node (three nodes, shared queues${meta.postgres ? `, PostgreSQL ${meta.postgres}` : ''}):\n`,
  );
  console.log('| lease | rounds | first redelivered, s | all redelivered, s | per round (all), s | confirmed = consumed |');
  console.log('|---|---|---|---|---|---|');
  const s = (ms) => (ms / 1000).toFixed(1);
  for (const pass of passes) {
    const first = show(
      pass.rounds.map((r) => r.firstMs),
      s,
    );
    const all = show(
      pass.rounds.map((r) => r.lastMs),
      s,
    );
    const each = pass.rounds.map((r) => s(r.lastMs)).join(', ');
    console.log(
      `| ${s(pass.leaseMs)} s | ${pass.rounds.length} | ${first} | ${all} | ${each} | ${pass.confirmed === pass.consumed ? 'yes' : 'NO'} (${pass.consumed}) |`,
    );
  }
}
