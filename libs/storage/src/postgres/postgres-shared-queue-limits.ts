import type pg from 'pg';
import type { SharedQueueCount, SharedQueueLimits } from '../shared-queue-store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { decodeText } from './postgres-errors.js';
import type { PostgresTables } from './postgres-schema.js';

/** One message of a publish transaction, as the length limits see it (queue ids already encoded for SQL). */
export interface LimitedEntry {
  readonly queueId: string;
  readonly bodySize: number;
  readonly limits: SharedQueueLimits | undefined;
}

/** What the limits decided before the insert: which entries reject-publish refused, which queues drop-head trims. */
export interface LimitDecision {
  /** Indexes (into the transaction's entries) not to insert; undefined when none. */
  readonly rejected: Set<number> | undefined;
  /** drop-head queues to trim after the insert, with their limits. */
  readonly trims: Map<string, SharedQueueLimits>;
}

/** The advisory-lock key of a queue's publishes (namespaced, so it never meets the schema migration lock's key). */
const lockKey = (t: PostgresTables, queueId: string): string => `warren-shared-queue:${t.schema}/${queueId}`;

/**
 * Serialises the publishes of length-limited shared queues across nodes (docs/SCALE-OUT.md, "Shared queues"): each
 * limited queue of the transaction is locked (`pg_advisory_xact_lock`, held until commit) in queue-id order, so two
 * nodes never deadlock; then reject-publish queues are counted and the entries past the limit refused, in order.
 * One transaction per group commit: a few statements per limited queue, none per message. Counts and trims run
 * in later statements, so under READ COMMITTED they see every commit made before the lock was granted.
 */
export async function applyLimitsBeforeInsert(
  client: pg.ClientBase,
  t: PostgresTables,
  entries: ReadonlyArray<LimitedEntry>,
): Promise<LimitDecision> {
  const byQueue = new Map<string, number[]>();
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.limits === undefined || (entry.limits.maxLength === undefined && entry.limits.maxLengthBytes === undefined)) continue;
    let list = byQueue.get(entry.queueId);
    if (list === undefined) byQueue.set(entry.queueId, (list = []));
    list.push(i);
  }
  let rejected: Set<number> | undefined;
  const trims = new Map<string, SharedQueueLimits>();
  for (const queueId of [...byQueue.keys()].sort()) {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey(t, queueId)]);
    const indexes = byQueue.get(queueId)!;
    const limits = entries[indexes[0]!]!.limits!;
    if (limits.overflow === 'drop-head') {
      trims.set(queueId, limits);
      continue;
    }
    const { rows } = await client.query<{ n: string; bytes: string }>(
      `SELECT count(*) AS n, coalesce(sum(body_size), 0) AS bytes FROM ${t.sharedMessages} WHERE queue_id = $1 AND owner IS NULL`,
      [queueId],
    );
    let count = Number(rows[0]!.n);
    let bytes = Number(rows[0]!.bytes);
    for (const index of indexes) {
      // As on one node (Queue.push): refused when one more would pass either limit.
      const size = entries[index]!.bodySize;
      if (
        (limits.maxLength !== undefined && count + 1 > limits.maxLength) ||
        (limits.maxLengthBytes !== undefined && bytes + size > limits.maxLengthBytes)
      ) {
        (rejected ??= new Set()).add(index);
        continue;
      }
      count++;
      bytes += size;
    }
  }
  return { rejected, trims };
}

/**
 * drop-head after the insert: deletes the queue's ready rows from the head (claim order: highest priority, then
 * lowest seq) until the rest fits both limits, as Queue.push drops on one node. Returns the dropped records when
 * the limits ask for them (a dead-letter exchange), else an empty list.
 */
export async function trimHead(client: pg.ClientBase, t: PostgresTables, queueId: string, limits: SharedQueueLimits): Promise<Buffer[]> {
  // What stays is the longest tail that fits, so the dropped rows are the head up to one cut row: the first row,
  // counted from the tail, past a limit. A count limit finds it with an index scan from the tail (OFFSET); a byte
  // limit needs running totals. The delete is then one range of the ready index, never a join over the queue. The
  // `owner IS NULL` of the delete is re-checked on a row another node claimed meanwhile: never dropped, it is no
  // longer ready.
  const cut =
    limits.maxLengthBytes === undefined
      ? `SELECT priority, seq FROM ${t.sharedMessages} WHERE queue_id = $1 AND owner IS NULL
         ORDER BY priority ASC, seq DESC OFFSET $2 LIMIT 1`
      : `SELECT priority, seq FROM (
           SELECT priority, seq, row_number() OVER w AS n, sum(body_size) OVER w AS bytes
           FROM ${t.sharedMessages} WHERE queue_id = $1 AND owner IS NULL
           WINDOW w AS (ORDER BY priority ASC, seq DESC)) tail
         WHERE ($2::bigint IS NOT NULL AND n > $2) OR bytes > $3
         ORDER BY priority ASC, seq DESC LIMIT 1`;
  const values =
    limits.maxLengthBytes === undefined ? [queueId, limits.maxLength] : [queueId, limits.maxLength ?? null, limits.maxLengthBytes];
  const { rows } = await client.query<{ data?: Buffer }>(
    `WITH cut AS (${cut})
     DELETE FROM ${t.sharedMessages} m USING cut
     WHERE m.queue_id = $1 AND m.owner IS NULL AND (m.priority > cut.priority OR (m.priority = cut.priority AND m.seq <= cut.seq))
     RETURNING ${limits.returnsDropped ? 'm.data' : 'm.seq'}`,
    values,
  );
  return limits.returnsDropped ? rows.map((row) => row.data!) : [];
}

/** Counts queues' rows, unclaimed and in all (queue ids encoded for SQL; the map is keyed by decoded ids). */
export async function countSharedQueues(
  database: PostgresDatabase,
  queueIds: ReadonlyArray<string>,
): Promise<Map<string, SharedQueueCount>> {
  const t = database.tables;
  const counts = new Map<string, SharedQueueCount>();
  if (queueIds.length === 0) return counts;
  const { rows } = await database.query<{ queue_id: string; unclaimed: string; total: string }>(
    `SELECT queue_id, count(*) FILTER (WHERE owner IS NULL) AS unclaimed, count(*) AS total
     FROM ${t.sharedMessages} WHERE queue_id = ANY($1::text[]) GROUP BY queue_id`,
    [queueIds],
  );
  for (const row of rows) counts.set(decodeText(row.queue_id), { unclaimed: Number(row.unclaimed), total: Number(row.total) });
  return counts;
}
