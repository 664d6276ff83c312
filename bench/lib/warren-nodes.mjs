// Built Warren brokers as child processes for bench/multi-node.mjs: one LevelDB node, or several nodes on one
// PostgreSQL schema with shared queues (docs/SCALE-OUT.md). Each is registered with the run's Cleanup as it spawns.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import amqplib from 'amqplib';
import { startBroker } from './broker-process.mjs';

const isRunning = (child) => child.exitCode === null && child.signalCode === null;

/** SIGTERM, then SIGKILL if the broker has not exited within `graceMs`; resolves once it has exited. */
async function stopChild(child, graceMs = 20_000) {
  if (child === undefined || !isRunning(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts the built broker `entry` as node `name` with `env` (its data directory `dataDir`); resolves with
 * `{ name, pid, port, url, stop(), kill() }` once it listens. `kill()` is kill -9 and resolves when it is gone.
 */
export async function startWarrenNode({ cleanup, entry, dataDir, name, env }) {
  let child;
  const starting = startBroker({ entry, dataDir, env, onSpawn: (spawned) => (child = spawned) });
  const stop = cleanup.add(
    `broker ${name}`,
    () => stopChild(child),
    () => child?.kill('SIGKILL'),
  );
  let port;
  try {
    ({ port } = await starting);
  } catch (error) {
    await stop();
    throw new Error(`node ${name}: ${error.message}`, { cause: error });
  }
  return {
    name,
    pid: child.pid,
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    stop,
    async kill() {
      if (!isRunning(child)) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The environment of a shared-queue node on `schema` of the database at `postgresUrl`. */
export function postgresNodeEnv({ postgresUrl, schema, name, leaseMs }) {
  return {
    WARREN_STORE: 'postgres',
    WARREN_POSTGRES_URL: postgresUrl,
    WARREN_POSTGRES_SCHEMA: schema,
    WARREN_MULTI_NODE: 'true',
    WARREN_SHARED_QUEUES: 'true',
    WARREN_NODE_NAME: name,
    ...(leaseMs === undefined ? {} : { WARREN_NODE_LEASE_MS: String(leaseMs) }),
  };
}

/**
 * Starts `count` shared-queue nodes (`bench@n1`…) on one schema: the first alone (it creates the schema and the
 * default user), then the others together, as test/support/broker-nodes.ts does.
 */
export async function startPostgresNodes({ cleanup, entry, dataDir, postgresUrl, schema, count, leaseMs }) {
  const start = (i) => {
    const name = `bench@n${i + 1}`;
    return startWarrenNode({ cleanup, entry, dataDir, name, env: postgresNodeEnv({ postgresUrl, schema, name, leaseMs }) });
  };
  const first = await start(0);
  const others = await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 1)));
  return [first, ...others];
}

/**
 * Resolves once `queue` (declared through another node) answers a passive declare on the node at `url`: topology
 * reaches the other nodes by NOTIFY, or at worst at their next heartbeat.
 */
export async function waitForQueue(url, queue, timeoutMs = 30_000) {
  const connection = await amqplib.connect(url);
  connection.on('error', () => undefined);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      try {
        await channel.checkQueue(queue);
        await channel.close();
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`queue '${queue}' did not reach ${url} within ${timeoutMs} ms: ${error.message}`, { cause: error });
        }
      }
      await sleep(100);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Declares durable `queues` through the node at `url`. */
export async function declareQueues(url, queues) {
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.assertQueue(queue, { durable: true });
  } finally {
    await connection.close();
  }
}
