// Command-line options of bench/multi-node.mjs, parsed with node:util (no dependency), strictly: a typo must not
// silently run a default on a shared machine.
import { parseArgs } from 'node:util';

export const USAGE = `usage: node bench/multi-node.mjs [options]        (npm run build first)
Throughput (the default): single-node LevelDB, then 1, 2, 3… shared-queue nodes on one PostgreSQL.
  --nodes 1,2,3          node counts to measure on PostgreSQL (default 1,2,3; "" for none)
  --no-leveldb           leave out the single-node LevelDB baseline
  --duration S           measured seconds per configuration (default 10)
  --warmup S             seconds of load before the window opens (default 3)
  --runs N               rounds over every configuration, interleaved; figures are median [min-max] (default 1)
  --publishers N         publisher connections, round-robin over the nodes (default 3)
  --consumers N          consumer connections, round-robin over the nodes (default 3)
  --queues N             durable queues; publisher and consumer i use queue i mod N (default 1)
  --prefetch N           consumers' prefetch; every delivery is acked (default 100)
  --inflight N           unconfirmed publishes per publisher (default 500)
  --max-unconsumed N     published - consumed is kept at or below this (default 10000)
  --size BYTES           message body size (default 128, at least 8)
  --statements           load pg_stat_statements and print the statements' execution time per message
Failover (instead of the throughput table):
  --failover             three nodes; kill -9 a node whose consumer holds unacked messages; time until they are
                         all redelivered to a consumer on another node
  --rounds N             kill -9 rounds per lease (default 5)
  --lease-ms MS[,MS]     WARREN_NODE_LEASE_MS, one pass each (default 15000, the broker's default)
  --held N               unacked messages held by the killed node's consumer (its prefetch, default 20)
Where:
  --entry PATH           the built broker (default dist/apps/broker/apps/broker/src/main.js)
  --postgres-url URL     use this database (a schema per configuration, dropped afterwards) instead of starting
                         a throwaway cluster from Debian's postgresql package
  --postgres-pid PID     with --postgres-url: the server's postmaster pid, to measure its CPU (same machine)
  --json                 print one JSON document instead of the tables
  --help`;

function fail(message) {
  console.error(`multi-node: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function number(text, name, { min = 1, max = 1e9, isInteger = true } = {}) {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max || (isInteger && !Number.isInteger(n))) {
    fail(`--${name} must be ${isInteger ? 'an integer' : 'a number'} in [${min}, ${max}], got "${text}"`);
  }
  return n;
}

function list(text, name, bounds) {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => number(item, name, bounds));
}

/** Parses argv into a frozen options object, or prints usage and exits (0 on --help, 2 on bad input). */
export function parseOptions(argv = process.argv.slice(2)) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        nodes: { type: 'string', default: '1,2,3' },
        'no-leveldb': { type: 'boolean', default: false },
        duration: { type: 'string', default: '10' },
        warmup: { type: 'string', default: '3' },
        runs: { type: 'string', default: '1' },
        publishers: { type: 'string', default: '3' },
        consumers: { type: 'string', default: '3' },
        queues: { type: 'string', default: '1' },
        prefetch: { type: 'string', default: '100' },
        inflight: { type: 'string', default: '500' },
        'max-unconsumed': { type: 'string', default: '10000' },
        size: { type: 'string', default: '128' },
        statements: { type: 'boolean', default: false },
        failover: { type: 'boolean', default: false },
        rounds: { type: 'string', default: '5' },
        'lease-ms': { type: 'string', default: '15000' },
        held: { type: 'string', default: '20' },
        entry: { type: 'string', default: 'dist/apps/broker/apps/broker/src/main.js' },
        'postgres-url': { type: 'string' },
        'postgres-pid': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail(error.message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const postgresUrl = values['postgres-url'];
  if (postgresUrl !== undefined && !/^postgres(ql)?:\/\//.test(postgresUrl)) fail('--postgres-url must be a postgres:// URL');
  if (values['postgres-pid'] !== undefined && postgresUrl === undefined) fail('--postgres-pid needs --postgres-url');
  const options = {
    nodes: list(values.nodes, 'nodes', { max: 16 }),
    isLevelBaseline: !values['no-leveldb'],
    durationMs: number(values.duration, 'duration', { max: 3600, isInteger: false }) * 1000,
    warmupMs: number(values.warmup, 'warmup', { min: 0, max: 600, isInteger: false }) * 1000,
    runs: number(values.runs, 'runs', { max: 100 }),
    publishers: number(values.publishers, 'publishers', { max: 256 }),
    consumers: number(values.consumers, 'consumers', { max: 256 }),
    queues: number(values.queues, 'queues', { max: 1000 }),
    prefetch: number(values.prefetch, 'prefetch', { max: 65535 }),
    inflight: number(values.inflight, 'inflight', { max: 100_000 }),
    maxUnconsumed: number(values['max-unconsumed'], 'max-unconsumed', { max: 10_000_000 }),
    size: number(values.size, 'size', { min: 8, max: 16 * 1024 * 1024 }),
    isStatements: values.statements,
    isFailover: values.failover,
    rounds: number(values.rounds, 'rounds', { max: 1000 }),
    leaseMs: list(values['lease-ms'], 'lease-ms', { min: 300, max: 3_600_000 }),
    held: number(values.held, 'held', { max: 65535 }),
    entry: values.entry,
    postgresUrl,
    postgresPid: values['postgres-pid'] === undefined ? undefined : number(values['postgres-pid'], 'postgres-pid', { max: 2 ** 31 }),
    isJson: values.json,
  };
  if (!options.isFailover && options.nodes.length === 0 && !options.isLevelBaseline) fail('nothing to measure');
  if (options.isFailover && options.leaseMs.length === 0) fail('--lease-ms needs at least one value');
  return Object.freeze(options);
}
