import type { AbandonedQueue, ConsumersRemoved, ExpiryCheck, SharedQueueUsageStore } from '../shared-queue-usage-store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { decodeText, encodeText } from './postgres-errors.js';

/** Every this many reaps, one looks at every consumed queue's row (the others only when a node went). */
const REAP_SWEEP_EVERY = 20;

/**
 * {@link SharedQueueUsageStore} over `warren_shared_queue_use` (migration 9, postgres-schema-v9.ts). Every decision
 * is one statement on the queue's row: concurrent ones wait for its row lock and re-read it, so exactly one node
 * sees the last consumer go, deletes an expired row or drops a dead node's consumers.
 */
export class PostgresSharedQueueUsage implements SharedQueueUsageStore {
  /** The live incarnations at the last reap; undefined until one succeeded (the first looks at every row). */
  private liveAtLastReap: Set<string> | undefined;
  /** Reaps since the last one that looked at every row. */
  private reapsSinceSweep = 0;

  constructor(
    private readonly database: PostgresDatabase,
    /** This run of the node (`warren_nodes.incarnation`). */
    private readonly incarnation: string,
  ) {}

  /** SQL: whether `consumers` (a uuid[]) names a live node. */
  private liveIn(consumers: string): string {
    return `EXISTS (SELECT 1 FROM unnest(${consumers}) AS c(node) JOIN ${this.database.tables.nodes} n ON n.incarnation = c.node)`;
  }

  async setConsumers(queueId: string, hasConsumers: boolean): Promise<ConsumersRemoved> {
    const t = this.database.tables;
    if (hasConsumers) {
      await this.database.query(
        `INSERT INTO ${t.sharedQueueUse} AS u (queue_id, consumer_nodes, last_used) VALUES ($1, ARRAY[$2::uuid], now())
         ON CONFLICT (queue_id) DO UPDATE SET consumer_nodes = array_append(array_remove(u.consumer_nodes, $2::uuid), $2::uuid), last_used = now()`,
        [encodeText(queueId), this.incarnation],
      );
      return { wasLast: false };
    }
    // The CTE locks the row first, so `old` is the version this update changes (a concurrent remover waits).
    const { rows } = await this.database.query<{ was_last: boolean }>(
      `WITH old AS (SELECT queue_id, $2::uuid = ANY(consumer_nodes) AS was_in FROM ${t.sharedQueueUse} WHERE queue_id = $1 FOR UPDATE)
       UPDATE ${t.sharedQueueUse} u SET consumer_nodes = array_remove(u.consumer_nodes, $2::uuid), last_used = now()
       FROM old WHERE u.queue_id = old.queue_id
       RETURNING old.was_in AND NOT ${this.liveIn('array_remove(u.consumer_nodes, $2::uuid)')} AS was_last`,
      [encodeText(queueId), this.incarnation],
    );
    return { wasLast: rows[0]?.was_last === true };
  }

  async touch(queueIds: ReadonlyArray<string>): Promise<void> {
    if (queueIds.length === 0) return;
    const t = this.database.tables;
    await this.database.query(
      `INSERT INTO ${t.sharedQueueUse} (queue_id) SELECT DISTINCT unnest($1::text[])
       ON CONFLICT (queue_id) DO UPDATE SET last_used = now()`,
      [queueIds.map(encodeText)],
    );
  }

  async ensure(queueIds: ReadonlyArray<string>): Promise<void> {
    if (queueIds.length === 0) return;
    const t = this.database.tables;
    await this.database.query(
      `INSERT INTO ${t.sharedQueueUse} (queue_id) SELECT DISTINCT unnest($1::text[]) ON CONFLICT (queue_id) DO NOTHING`,
      [queueIds.map(encodeText)],
    );
  }

  async checkExpiry(queueId: string, expiresMs: number): Promise<ExpiryCheck> {
    const t = this.database.tables;
    const id = encodeText(queueId);
    const period = `($2::double precision * interval '1 millisecond')`;
    const deleted = await this.database.query(
      `DELETE FROM ${t.sharedQueueUse} u WHERE u.queue_id = $1 AND u.last_used <= now() - ${period} AND NOT ${this.liveIn('u.consumer_nodes')}
       RETURNING queue_id`,
      [id, expiresMs],
    );
    if (deleted.rowCount === 1) return { expired: true, inUse: false, leftMs: 0 };
    const { rows } = await this.database.query<{ left_ms: string; in_use: boolean }>(
      `SELECT greatest(0, ceil(extract(epoch FROM u.last_used + ${period} - now()) * 1000))::bigint AS left_ms,
              ${this.liveIn('u.consumer_nodes')} AS in_use
       FROM ${t.sharedQueueUse} u WHERE u.queue_id = $1`,
      [id, expiresMs],
    );
    const row = rows[0];
    if (row === undefined) {
      // Not tracked (declared by a node without migration 9, or its row was lost): its countdown starts now.
      await this.ensure([queueId]);
      return { expired: false, inUse: false, leftMs: expiresMs };
    }
    return { expired: false, inUse: row.in_use, leftMs: Number(row.left_ms) };
  }

  async otherConsumers(queueId: string): Promise<number> {
    const t = this.database.tables;
    const { rows } = await this.database.query<{ count: string }>(
      `SELECT count(*) AS count FROM ${t.sharedQueueUse} u, unnest(u.consumer_nodes) AS c(node)
       WHERE u.queue_id = $1 AND c.node <> $2::uuid AND EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.incarnation = c.node)`,
      [encodeText(queueId), this.incarnation],
    );
    return Number(rows[0]?.count ?? 0);
  }

  /**
   * Reads the live nodes (a few rows) and looks at the queues' rows only when a node went since the last reap, and
   * then only at the rows naming one that went; every {@link REAP_SWEEP_EVERY}th reap (and the first) looks at every
   * row with consumers, for a node that came and went between two reaps. So a heartbeat with no node gone costs
   * one small query, not a pass over every consumed queue's row.
   */
  async reap(): Promise<AbandonedQueue[]> {
    const t = this.database.tables;
    const { rows: nodes } = await this.database.query<{ incarnation: string }>(`SELECT incarnation FROM ${t.nodes}`);
    const live = new Set(nodes.map((row) => row.incarnation));
    const before = this.liveAtLastReap;
    const isSweep = before === undefined || this.reapsSinceSweep + 1 >= REAP_SWEEP_EVERY;
    const gone = before === undefined ? [] : [...before].filter((incarnation) => !live.has(incarnation));
    if (!isSweep && gone.length === 0) {
      this.liveAtLastReap = live;
      this.reapsSinceSweep++;
      return [];
    }
    const isLive = `EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.incarnation = c.node)`;
    const rowsToLook = isSweep ? 'cardinality(u.consumer_nodes) > 0' : 'u.consumer_nodes && $1::uuid[]';
    // A second node's update waits for the first's row lock and re-checks the condition: it finds no dead node left.
    const { rows } = await this.database.query<{ queue_id: string; is_unused: boolean }>(
      `UPDATE ${t.sharedQueueUse} u
       SET consumer_nodes = ARRAY(SELECT c.node FROM unnest(u.consumer_nodes) AS c(node) WHERE ${isLive}), last_used = now()
       WHERE ${rowsToLook} AND EXISTS (SELECT 1 FROM unnest(u.consumer_nodes) AS c(node) WHERE NOT ${isLive})
       RETURNING u.queue_id, cardinality(u.consumer_nodes) = 0 AS is_unused`,
      isSweep ? [] : [gone],
    );
    // Only once the update committed: a failed one is tried again with the same nodes gone.
    this.liveAtLastReap = live;
    this.reapsSinceSweep = isSweep ? 0 : this.reapsSinceSweep + 1;
    return rows.map((row) => ({ queueId: decodeText(row.queue_id), isUnused: row.is_unused }));
  }

  async forget(queueId: string): Promise<void> {
    await this.database.query(`DELETE FROM ${this.database.tables.sharedQueueUse} WHERE queue_id = $1`, [encodeText(queueId)]);
  }
}
