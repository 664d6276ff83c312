import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { spawnBrokerProcess, type BrokerProcess } from './broker-process.js';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';
import { waitFor } from './wait-for.js';

/** How long durable topology declared on one node may take to reach another in these tests. */
const TOPOLOGY_SYNC_MS = 15_000;

/**
 * Several real brokers (apps/broker in child processes, `WARREN_MULTI_NODE=true`) on one database of a throwaway
 * PostgreSQL cluster, and the amqplib connections a test opens on them: docs/SCALE-OUT.md's set-up, for the
 * multi-node tests.
 */
export class BrokerNodes {
  /** The running (or killed) node processes by node name, and their AMQP ports. */
  readonly nodes = new Map<string, BrokerProcess>();
  readonly ports = new Map<string, number>();
  /** Connections opened with {@link connect}, closed by {@link stop}. */
  readonly connections: ChannelModel[] = [];
  /** Environment of one node on top of the shared one (e.g. a `WARREN_POSTGRES_URL` through a proxy), by node name. */
  readonly nodeEnv = new Map<string, Record<string, string>>();
  cluster!: PostgresCluster;
  databaseUrl!: string;
  private dataDir = '';

  /** `env`: what every node gets besides the store, the node name and the data directory. */
  constructor(
    private readonly database: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts the cluster and nodes `warren@a` (which creates the schema and the default user), then `b` and `c`. */
  async start(): Promise<void> {
    await this.startCluster();
    await this.startNode('warren@a');
    await Promise.all([this.startNode('warren@b'), this.startNode('warren@c')]);
  }

  /** Starts the cluster and creates the database, once ({@link start} does it first): for a test that needs its port before the nodes. */
  async startCluster(): Promise<void> {
    if (this.dataDir !== '') return;
    // Unused by the postgres store; set so nothing is written to the working directory.
    this.dataDir = mkdtempSync(join(tmpdir(), `warren-${this.database}-e2e-`));
    this.cluster = await startPostgresCluster();
    this.databaseUrl = await this.cluster.createDatabase(this.database);
  }

  /** A node process named `name`, not registered (e.g. one expected to be refused). */
  spawn(name: string): BrokerProcess {
    return spawnBrokerProcess({
      ...this.env,
      WARREN_STORE: 'postgres',
      WARREN_POSTGRES_URL: this.databaseUrl,
      WARREN_MULTI_NODE: 'true',
      WARREN_NODE_NAME: name,
      WARREN_DATA_DIR: this.dataDir,
      ...this.nodeEnv.get(name),
    });
  }

  /** Starts node `name` and resolves with its AMQP port once it listens. */
  async startNode(name: string): Promise<number> {
    const node = this.spawn(name);
    this.nodes.set(name, node);
    const port = await node.port(90_000);
    this.ports.set(name, port);
    return port;
  }

  /** An amqplib connection as guest to node `name` (errors ignored: tests kill nodes under their clients). */
  async connect(name: string): Promise<ChannelModel> {
    const connection = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${this.ports.get(name)}`);
    connection.on('error', () => undefined);
    this.connections.push(connection);
    return connection;
  }

  /** A channel on node `name` (a new connection) once the durable queues declared elsewhere reached that node. */
  async channelWithQueues(name: string, ...queues: string[]): Promise<Channel> {
    const connection = await this.connect(name);
    return waitFor(
      async () => {
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        try {
          for (const queue of queues) await channel.checkQueue(queue);
          return channel;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: TOPOLOGY_SYNC_MS, intervalMs: 200, what: `queues ${queues.join(', ')} on ${name}` },
    );
  }

  /** Stops a node with `signal` (SIGKILL for kill -9) and waits for it to exit; a node already gone is left. */
  async stopNode(node: BrokerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (node.child.exitCode !== null || node.child.signalCode !== null) return;
    node.child.kill(signal);
    await node.exited;
  }

  /** Runs one statement on the database on a connection of its own. */
  async query<Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<pg.QueryResult<Row>> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return await client.query<Row>(sql, values);
    } finally {
      await client.end();
    }
  }

  /** Closes the test's connections. */
  async closeConnections(): Promise<void> {
    for (const connection of this.connections.splice(0)) await connection.close().catch(() => undefined);
  }

  /** Closes every connection, stops every node and the cluster, and removes the data directory. */
  async stop(): Promise<void> {
    await this.closeConnections();
    for (const node of this.nodes.values()) await this.stopNode(node);
    await this.cluster?.stop();
    if (this.dataDir !== '') rmSync(this.dataDir, { recursive: true, force: true });
  }
}
