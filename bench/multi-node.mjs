// Warren-only benchmark of scale-out (docs/SCALE-OUT.md, docs/BENCHMARKS.md "Several nodes on one PostgreSQL"):
//   npm run build && node bench/multi-node.mjs --nodes 1,2,3 --duration 10
//   node bench/multi-node.mjs --failover --rounds 5 --lease-ms 15000,3000
// Throughput: single-node LevelDB as the baseline, then for each N of --nodes, N built brokers with
// WARREN_STORE=postgres WARREN_MULTI_NODE=true WARREN_SHARED_QUEUES=true on one schema of one PostgreSQL (a
// throwaway cluster started here from Debian's binaries, or --postgres-url). Persistent publishers with confirms and
// acking consumers spread round-robin over the nodes; after a warm-up, a window of --duration seconds gives the
// publish (confirmed) and consume rates and the CPU per message of the brokers and of every process of the
// PostgreSQL server (utime + stime from /proc, before and after). Failover (--failover): see lib/failover-rounds.mjs.
// Everything it starts (brokers, the cluster, temp directories, schemas) is stopped and removed at the end, also on
// an error or Ctrl-C (lib/cleanup.mjs). Options: --help.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Cleanup } from './lib/cleanup.mjs';
import { clockTicksPerSecond, machineTicks, processCpuSeconds } from './lib/cpu-meter.mjs';
import { runFailoverRounds } from './lib/failover-rounds.mjs';
import { parseOptions } from './lib/multi-node-options.mjs';
import { printFailover, printThroughput } from './lib/multi-node-report.mjs';
import { postgresCpuSeconds, startPostgresCluster } from './lib/postgres-cluster.mjs';
import * as db from './lib/postgres-queries.mjs';
import { waitForQuietMachine } from './lib/settle.mjs';
import { runSpreadLoad } from './lib/spread-load.mjs';
import { declareQueues, startPostgresNodes, startWarrenNode, waitForQueue } from './lib/warren-nodes.mjs';

const options = parseOptions();
const log = (line) => process.stderr.write(`${line}\n`);

/**
 * CPU over the measured window: the brokers (sum over their pids), the PostgreSQL server (every process of it), this
 * client, and the whole machine; all in CPU seconds.
 */
function windowMeter(brokerPids, postgresPid) {
  const brokers = () => brokerPids.reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? 0), 0);
  const database = () => (postgresPid === undefined ? undefined : postgresCpuSeconds(postgresPid));
  const machine = () => {
    const ticks = machineTicks();
    return ticks === undefined ? undefined : ticks.busy / clockTicksPerSecond();
  };
  let start;
  return {
    begin() {
      start = { wallMs: performance.now(), brokers: brokers(), database: database(), client: process.cpuUsage(), machine: machine() };
    },
    end() {
      const client = process.cpuUsage(start.client);
      const endDatabase = database();
      const endMachine = machine();
      return {
        wallSec: (performance.now() - start.wallMs) / 1000,
        brokerSec: brokers() - start.brokers,
        databaseSec: endDatabase === undefined || start.database === undefined ? undefined : endDatabase - start.database,
        clientSec: (client.user + client.system) / 1e6,
        machineSec: endMachine === undefined ? undefined : endMachine - start.machine,
      };
    },
  };
}

/** One configuration, one run: start its nodes, run the load, stop them, drop its schema. */
async function measure(cleanup, config, run, where) {
  const queues = Array.from({ length: options.queues }, (_, i) => `bench.multi.${i}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-multi-bench-'));
  const removeDir = cleanup.add(`data directory ${dataDir}`, async () => rmSync(dataDir, { recursive: true, force: true }));
  const schema = `wb_${process.pid}_${config.key}_${run}`;
  const dropSchema = config.nodes === 0 ? undefined : cleanup.add(`schema ${schema}`, () => db.dropSchema(where.url, schema));
  let nodes = [];
  let sampler;
  try {
    log(`${config.label}, run ${run}: starting`);
    nodes =
      config.nodes === 0
        ? [await startWarrenNode({ cleanup, entry: options.entry, dataDir, name: 'leveldb', env: { WARREN_STORE: 'level' } })]
        : await startPostgresNodes({ cleanup, entry: options.entry, dataDir, postgresUrl: where.url, schema, count: config.nodes });
    await declareQueues(nodes[0].url, queues);
    for (const node of nodes.slice(1)) for (const queue of queues) await waitForQueue(node.url, queue);
    if (where.url !== undefined) await db.checkpoint(where.url);
    const busyPct = await waitForQuietMachine();
    const isPostgres = config.nodes > 0;
    const isStatements = isPostgres && where.isStatements;
    // The server's counters over the whole load (warm-up to drained), per message confirmed: ratios, so the
    // window's edges do not matter, and the statistics collector's delay (about a second) is waited out.
    const before = isPostgres ? await db.serverCounters(where.url) : undefined;
    if (isStatements) await db.resetStatements(where.url);
    sampler = isStatements ? await db.startActivitySampler(where.url) : undefined;
    const result = await runSpreadLoad({
      nodeUrls: nodes.map((node) => node.url),
      queues,
      publishers: options.publishers,
      consumers: options.consumers,
      size: options.size,
      inflight: options.inflight,
      prefetch: options.prefetch,
      maxUnconsumed: options.maxUnconsumed,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      meter: windowMeter(
        nodes.map((node) => node.pid),
        isPostgres ? where.postgresPid?.() : undefined,
      ),
    });
    if (isPostgres) {
      if (isStatements) {
        result.activity = await sampler.stop();
        result.statements = await db.topStatements(where.url);
      }
      // A backend reports its counters at most once a second and, when it goes idle just after, up to 10 s later;
      // one that exits reports them at once. So the nodes stop (the last acks' deletes committed) before the read.
      for (const node of nodes.splice(0).reverse()) await node.stop();
      result.perMessage = db.countersPerMessage(before, await db.serverCounters(where.url), result.totals.confirmed);
    }
    log(
      `${config.label}, run ${run}: ${result.status}, ${Math.round(result.publishRate)} confirmed/s, ${Math.round(result.consumeRate)} ` +
        `consumed/s (machine ${busyPct.toFixed(0)} % of a core busy before the run)`,
    );
    return { config: config.label, nodes: config.nodes, run, busyBeforePct: busyPct, ...result };
  } catch (error) {
    log(`${config.label}, run ${run}: failed: ${error.message}`);
    return { config: config.label, nodes: config.nodes, run, status: `failed: ${error.message}` };
  } finally {
    await sampler?.stop();
    for (const node of nodes.reverse()) await node.stop();
    await dropSchema?.();
    await removeDir();
  }
}

/** Where PostgreSQL is: the URL of the benchmark's database and, when it runs here, the postmaster's pid. */
async function postgres(cleanup) {
  if (options.postgresUrl !== undefined) {
    return { url: options.postgresUrl, postgresPid: () => options.postgresPid, isStatements: options.isStatements, version: 'given' };
  }
  log('starting a throwaway PostgreSQL cluster');
  const cluster = await startPostgresCluster({ cleanup, statements: options.isStatements });
  const url = await db.createDatabase(cluster.url(), 'warren_bench');
  return { url, postgresPid: cluster.postmasterPid, isStatements: options.isStatements, version: cluster.version };
}

async function main(cleanup) {
  if (!existsSync(options.entry)) throw new Error(`no built broker at ${options.entry}: run npm run build (or pass --entry)`);
  const needsPostgres = options.isFailover || options.nodes.length > 0;
  const where = needsPostgres ? await postgres(cleanup) : {};
  if (where.url !== undefined && options.isStatements && !(await db.enableStatements(where.url))) {
    log('pg_stat_statements is not loaded on this server: no statement times');
    where.isStatements = false;
  }
  const meta = { date: new Date().toISOString(), postgres: where.version, options };
  if (options.isFailover) {
    const passes = [];
    for (const leaseMs of options.leaseMs) {
      const schema = `wb_${process.pid}_failover_${leaseMs}`;
      const dataDir = mkdtempSync(join(tmpdir(), 'warren-multi-bench-'));
      const removeDir = cleanup.add(`data directory ${dataDir}`, async () => rmSync(dataDir, { recursive: true, force: true }));
      const dropSchema = cleanup.add(`schema ${schema}`, () => db.dropSchema(where.url, schema));
      log(`failover with a ${leaseMs} ms lease: starting three nodes`);
      try {
        const outcome = await runFailoverRounds({
          cleanup,
          entry: options.entry,
          dataDir,
          postgresUrl: where.url,
          schema,
          leaseMs,
          rounds: options.rounds,
          held: options.held,
          onRound: (r) =>
            log(`lease ${leaseMs} ms, round ${r.round} (${r.victim}): first ${r.firstMs.toFixed(0)} ms, all ${r.lastMs.toFixed(0)} ms`),
        });
        passes.push({ leaseMs, ...outcome });
      } finally {
        await dropSchema();
        await removeDir();
      }
    }
    printFailover(passes, meta, options);
    return true;
  }
  const configs = [
    ...(options.isLevelBaseline ? [{ key: 'level', label: 'LevelDB, 1 node', nodes: 0 }] : []),
    ...options.nodes.map((n) => ({ key: `pg${n}`, label: `PostgreSQL, ${n} node${n > 1 ? 's' : ''}`, nodes: n })),
  ];
  const results = [];
  // Rounds over every configuration, so a busy spell of a shared machine spreads over all of them.
  for (let run = 1; run <= options.runs; run++) for (const config of configs) results.push(await measure(cleanup, config, run, where));
  printThroughput(configs, results, meta, options);
  return results.every((result) => result.status === 'done' && result.totals.duplicates === 0 && result.totals.missing === 0);
}

const cleanup = new Cleanup();
try {
  if (!(await main(cleanup))) process.exitCode = 1;
} catch (error) {
  log(`multi-node: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup.run();
}
