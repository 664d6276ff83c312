import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ClusterChange, ClusterExclusiveQueue, ClusterNode, ClusterOp, ClusterStore, OrphanMessage } from '../cluster-store.js';
import { StorageError } from '../storage-error.js';
import type { PostgresDatabase } from './postgres-database.js';
import { decodeText, encodeText, fromPostgresError } from './postgres-errors.js';
import { deleteMessages } from './postgres-message-writes.js';
import type { PostgresTables } from './postgres-schema.js';
import { PostgresListener } from './postgres-listener.js';

/** The NOTIFY channel of topology versions; the payload names the schema, so schemas of one database do not mix. */
export const TOPOLOGY_CHANNEL = 'warren_topology';

/** Options of {@link PostgresClusterStore}. */
export interface PostgresClusterStoreOptions {
  nodeName: string;
  /** How long a node stays live without renewing (`WARREN_NODE_LEASE_MS`). */
  leaseMs: number;
}

interface StoredOp {
  t: 'put' | 'del';
  k: ClusterOp['kind'];
  key: string;
  v?: string;
}

function encodeOps(ops: readonly ClusterOp[]): Buffer {
  const stored: StoredOp[] = ops.map((op) =>
    op.type === 'put' ? { t: 'put', k: op.kind, key: op.key, v: op.value.toString('base64') } : { t: 'del', k: op.kind, key: op.key },
  );
  return Buffer.from(JSON.stringify(stored));
}

function decodeOps(data: Buffer): ClusterOp[] {
  return (JSON.parse(data.toString('utf8')) as StoredOp[]).map((op) =>
    op.t === 'put'
      ? { type: 'put', kind: op.k, key: op.key, value: Buffer.from(op.v ?? '', 'base64') }
      : { type: 'del', kind: op.k, key: op.key },
  );
}

/**
 * Appends one change to the topology log inside the caller's transaction: bumps the version first (its row lock
 * is held to commit, so versions are handed out in commit order and a reader never skips a late committer), then
 * notifies, which PostgreSQL delivers at commit.
 */
export async function appendClusterChange(
  client: pg.ClientBase,
  t: PostgresTables,
  node: string,
  ops: readonly ClusterOp[],
): Promise<void> {
  if (ops.length === 0) return;
  const { rows } = await client.query<{ version: string }>(`UPDATE ${t.topologyVersion} SET version = version + 1 RETURNING version`);
  const version = rows[0]!.version;
  await client.query(`INSERT INTO ${t.topologyLog} (version, node, ops) VALUES ($1, $2, $3)`, [version, node, encodeOps(ops)]);
  await client.query('SELECT pg_notify($1, $2)', [TOPOLOGY_CHANNEL, t.schema]);
}

/**
 * {@link ClusterStore} over the PostgreSQL schema the node's stores use (`warren_nodes`, `warren_topology_*`,
 * `warren_exclusive_queues`). Leases use the database's clock, so nodes' clocks need not agree. Heartbeats and
 * `LISTEN` run on one dedicated connection, so a busy write pool never delays a renewal.
 */
/**
 * Rows `q` of `warren_exclusive_queues` (keys of node-owned-topology.ts in the server) that outlive their node:
 * non-durable exchanges (`["exchange", vhost, name]`), and bindings (`["binding", vhost, source, destinationType,
 * destination, …]`) other than those to a queue of the same node, which go with that queue.
 */
function handedOver(table: string): string {
  // CASE: the casts run only on keys that are JSON (CASE fixes the order of evaluation, AND does not).
  return `(CASE WHEN q.key LIKE '["exchange",%' THEN true
     WHEN q.key LIKE '["binding",%' THEN NOT (q.key::jsonb ->> 3 = 'queue' AND EXISTS (
       SELECT 1 FROM ${table} d WHERE d.node = q.node
          AND CASE WHEN d.key LIKE '[%' THEN d.key::jsonb = jsonb_build_array(q.key::jsonb ->> 1, q.key::jsonb ->> 4) ELSE false END))
     ELSE false END)`;
}

export class PostgresClusterStore implements ClusterStore {
  readonly nodeName: string;
  /** This run of the node: a restart under the same name is another incarnation (owner of shared-queue claims). */
  readonly incarnation = randomUUID();
  // Named apart from the pool's `warren` connections, so operators (and tests) can tell it in pg_stat_activity.
  private readonly listener: PostgresListener;

  constructor(
    private readonly database: PostgresDatabase,
    private readonly options: PostgresClusterStoreOptions,
  ) {
    this.nodeName = options.nodeName;
    this.listener = new PostgresListener(database, 'warren-listen', '');
  }

  private get tables(): PostgresTables {
    return this.database.tables;
  }

  async register(info: Record<string, unknown>): Promise<number> {
    const t = this.tables;
    return this.database.transaction(async (client) => {
      // An expired holder of this name (a crashed earlier run) is reaped first: its exclusive queues go.
      await this.reapIn(client, [this.nodeName]);
      const { rows } = await client.query(
        `INSERT INTO ${t.nodes} (name, incarnation, lease_expires_at, info) VALUES ($1, $2, now() + $3 * interval '1 millisecond', $4)
         ON CONFLICT (name) DO NOTHING RETURNING name`,
        [this.nodeName, this.incarnation, this.options.leaseMs, JSON.stringify(info)],
      );
      if (rows.length === 0) {
        throw new StorageError(
          'LOCKED',
          `storage: a live Warren node named "${this.nodeName}" already uses PostgreSQL schema "${t.schema}" of ${this.database.location} (WARREN_NODE_NAME must be unique; a crashed node's name is free once its lease of ${this.options.leaseMs} ms runs out)`,
          { path: this.database.location },
        );
      }
      const version = await client.query<{ version: string }>(`SELECT version FROM ${t.topologyVersion}`);
      return Number(version.rows[0]!.version);
    });
  }

  async renew(): Promise<boolean> {
    const client = this.listener.connection;
    const sql = `UPDATE ${this.tables.nodes} SET lease_expires_at = now() + $3 * interval '1 millisecond'
                 WHERE name = $1 AND incarnation = $2 AND lease_expires_at >= now() RETURNING name`;
    const values = [this.nodeName, this.incarnation, this.options.leaseMs];
    try {
      const { rows } = client ? await client.query(sql, values) : await this.database.query(sql, values);
      return rows.length === 1;
    } catch (error) {
      throw fromPostgresError(error, 'cannot renew the node lease', this.database.location);
    }
  }

  async reapExpired(): Promise<string[]> {
    return this.database.transaction((client) => this.reapIn(client, undefined));
  }

  /** Deletes expired nodes (all, or those named) and every exclusive queue of a node that is gone, as logged changes. */
  private async reapIn(client: pg.ClientBase, names: string[] | undefined): Promise<string[]> {
    const t = this.tables;
    const { rows: dead } = await client.query<{ name: string }>(
      names === undefined
        ? `DELETE FROM ${t.nodes} WHERE lease_expires_at < now() RETURNING name`
        : `DELETE FROM ${t.nodes} WHERE lease_expires_at < now() AND name = ANY($1::text[]) RETURNING name`,
      names === undefined ? [] : [names],
    );
    // Non-durable exchanges of nodes that are gone, and bindings not with one of their queues, stay: they belong to
    // the cluster, as RabbitMQ's do (node-owned-topology.ts); this node holds them now.
    await client.query(
      `UPDATE ${t.exclusiveQueues} q SET node = $1
        WHERE NOT EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.name = q.node) AND ${handedOver(t.exclusiveQueues)}`,
      [this.nodeName],
    );
    // Also orphans: queues of a node that left without cleaning up (its row is gone, its queue rows are not).
    const { rows: queues } = await client.query<{ key: string; node: string }>(
      `DELETE FROM ${t.exclusiveQueues} q WHERE NOT EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.name = q.node) RETURNING key, node`,
    );
    const byNode = new Map<string, ClusterOp[]>();
    for (const { key, node } of queues) {
      let ops = byNode.get(node);
      if (ops === undefined) byNode.set(node, (ops = []));
      ops.push({ type: 'del', kind: 'exclusive-queue', key });
    }
    // Logged under the dead node's name: every live node applies it (none skips it as its own).
    for (const [node, ops] of byNode) await appendClusterChange(client, t, node, ops);
    return dead.map((row) => row.name);
  }

  async liveNodes(): Promise<ClusterNode[]> {
    const { rows } = await this.database.query<{ name: string; started_at: Date; lease_expires_at: Date; info: Record<string, unknown> }>(
      `SELECT name, started_at, lease_expires_at, info FROM ${this.tables.nodes} WHERE lease_expires_at >= now() ORDER BY name`,
    );
    return rows.map((row) => ({ name: row.name, startedAt: row.started_at, leaseExpiresAt: row.lease_expires_at, info: row.info }));
  }

  async version(): Promise<number> {
    const { rows } = await this.database.query<{ version: string }>(`SELECT version FROM ${this.tables.topologyVersion}`);
    return Number(rows[0]!.version);
  }

  async changesSince(version: number, limit = 1000): Promise<ClusterChange[]> {
    const { rows } = await this.database.query<{ version: string; node: string; ops: Buffer }>(
      `SELECT version, node, ops FROM ${this.tables.topologyLog} WHERE version > $1 ORDER BY version LIMIT $2`,
      [version, limit],
    );
    return rows.map((row) => ({ version: Number(row.version), node: row.node, ops: decodeOps(row.ops) }));
  }

  async pruneChanges(olderThanMs: number): Promise<void> {
    await this.database.query(`DELETE FROM ${this.tables.topologyLog} WHERE created_at < now() - $1 * interval '1 millisecond'`, [
      olderThanMs,
    ]);
  }

  async exclusiveQueues(): Promise<ClusterExclusiveQueue[]> {
    const t = this.tables;
    const { rows } = await this.database.query<{ key: string; node: string; value: Buffer }>(
      `SELECT q.key, q.node, q.value FROM ${t.exclusiveQueues} q JOIN ${t.nodes} n ON n.name = q.node WHERE n.lease_expires_at >= now()`,
    );
    return rows;
  }

  async writeExclusiveQueue(
    op: { type: 'put'; key: string; value: Buffer; owner?: string } | { type: 'del'; key: string; owner?: string | null },
  ): Promise<void> {
    const t = this.tables;
    const owner = op.owner ?? this.nodeName;
    await this.database.transaction(async (client) => {
      if (op.type === 'put') {
        await client.query(
          `INSERT INTO ${t.exclusiveQueues} (key, node, value) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET node = excluded.node, value = excluded.value`,
          [op.key, owner, op.value],
        );
        await appendClusterChange(client, t, this.nodeName, [{ type: 'put', kind: 'exclusive-queue', key: op.key, value: op.value }]);
      } else {
        const { rowCount } = await client.query(`DELETE FROM ${t.exclusiveQueues} WHERE key = $1 AND ($2::text IS NULL OR node = $2)`, [
          op.key,
          op.owner === null ? null : owner,
        ]);
        if (rowCount) await appendClusterChange(client, t, this.nodeName, [{ type: 'del', kind: 'exclusive-queue', key: op.key }]);
      }
    });
  }

  async messagesOf(node: string, after: { queueId: string; seq: number } | undefined, limit: number): Promise<OrphanMessage[]> {
    const t = this.tables;
    const prefix = encodeText(`${node}#`);
    const afterKey = after === undefined ? '' : encodeText(`${node}#${after.queueId}`);
    // Keyset pagination on the primary key; the prefix by left(), not LIKE (node names may hold `_`).
    const { rows } = await this.database.query<{ queue_id: string; seq: string; data: Buffer | null; flagged: boolean }>(
      `SELECT m.queue_id, m.seq, coalesce(m.data, b.data) AS data, (m.delivery_count > 0 OR m.seq <= q.delivered_hwm) AS flagged
       FROM ${t.messages} m LEFT JOIN ${t.bodies} b ON b.body_id = m.body_id LEFT JOIN ${t.queues} q ON q.queue_id = m.queue_id
       WHERE left(m.queue_id, $1) = $2 AND (m.queue_id, m.seq) > ($3, $4)
       ORDER BY m.queue_id, m.seq LIMIT $5`,
      [prefix.length, prefix, afterKey, after?.seq ?? -1, limit],
    );
    return rows.map((row) => ({
      queueId: decodeText(row.queue_id).slice(node.length + 1),
      seq: Number(row.seq),
      data: row.data ?? undefined,
      mayHaveBeenDelivered: row.flagged,
    }));
  }

  async dropMessagesOf(node: string, upTo: ReadonlyMap<string, number>): Promise<void> {
    if (upTo.size === 0) return;
    const ids = [...upTo.keys()].map((queueId) => encodeText(`${node}#${queueId}`));
    const seqs = [...upTo.values()];
    await this.database.transaction((client) =>
      deleteMessages(
        client,
        this.tables,
        'USING unnest($1::text[], $2::bigint[]) AS x(id, seq) WHERE m.queue_id = x.id AND m.seq <= x.seq',
        [ids, seqs],
      ),
    );
  }

  async listen(onChange: () => void, onLost: (error: Error) => void): Promise<void> {
    const schema = this.tables.schema;
    await this.listener.start(
      [TOPOLOGY_CHANNEL],
      (channel, payload) => {
        if (channel === TOPOLOGY_CHANNEL && payload === schema) onChange();
      },
      onLost,
    );
  }

  async deregister(): Promise<void> {
    const t = this.tables;
    await this.database.transaction(async (client) => {
      // What belongs to the cluster (see reapIn) goes to another live node, if there is one.
      await client.query(
        `UPDATE ${t.exclusiveQueues} q SET node = other.name
           FROM (SELECT name FROM ${t.nodes} WHERE name <> $1 AND lease_expires_at >= now() ORDER BY name LIMIT 1) other
          WHERE q.node = $1 AND ${handedOver(t.exclusiveQueues)}`,
        [this.nodeName],
      );
      const { rows } = await client.query<{ key: string }>(`DELETE FROM ${t.exclusiveQueues} WHERE node = $1 RETURNING key`, [
        this.nodeName,
      ]);
      await appendClusterChange(
        client,
        t,
        this.nodeName,
        rows.map((row) => ({ type: 'del', kind: 'exclusive-queue', key: row.key })),
      );
      await client.query(`DELETE FROM ${t.nodes} WHERE name = $1 AND incarnation = $2`, [this.nodeName, this.incarnation]);
    });
  }

  async close(): Promise<void> {
    await this.listener.close();
  }
}
