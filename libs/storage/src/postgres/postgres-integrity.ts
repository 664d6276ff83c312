import type { IntegrityMismatch, IntegrityReport, QuarantinedMessage } from '../message-store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { decodeText } from './postgres-errors.js';
import type { PostgresQueueState } from './postgres-queue-state.js';

/**
 * MessageStore.verifyIntegrity for PostgreSQL: recounts each queue's rows against its `enqueued − removed`
 * counters, finds messages whose shared body is missing and bodies whose reference count is off (at most 100 lines
 * each), and lists the seqs quarantined in memory. Counters and rows change in the same transactions, so a
 * mismatch means the tables were changed behind Warren's back.
 */
export async function checkPostgresIntegrity(
  db: PostgresDatabase,
  queues: ReadonlyMap<string, PostgresQueueState>,
): Promise<IntegrityReport> {
  const t = db.tables;
  const counted = await db.query<{ queue_id: string; expected: string; found: string }>(
    `SELECT coalesce(q.queue_id, c.queue_id) AS queue_id, coalesce(q.enqueued - q.removed, 0) AS expected, coalesce(c.n, 0) AS found
       FROM ${t.queues} q FULL JOIN (SELECT queue_id, count(*) AS n FROM ${t.messages} GROUP BY queue_id) c ON c.queue_id = q.queue_id
       WHERE coalesce(q.enqueued - q.removed, 0) <> coalesce(c.n, 0)`,
  );
  const mismatches: IntegrityMismatch[] = counted.rows
    .map((row) => ({ queueId: decodeText(row.queue_id), expected: Number(row.expected), found: Number(row.found) }))
    .sort((a, b) => (a.queueId < b.queueId ? -1 : a.queueId > b.queueId ? 1 : 0));
  const errors: string[] = [];
  const missing = await db.query<{ queue_id: string; seq: string }>(
    `SELECT m.queue_id, m.seq FROM ${t.messages} m LEFT JOIN ${t.bodies} b ON b.body_id = m.body_id
       WHERE m.body_id IS NOT NULL AND b.body_id IS NULL ORDER BY m.queue_id, m.seq LIMIT 100`,
  );
  for (const row of missing.rows) errors.push(`message ${row.seq} of queue ${decodeText(row.queue_id)} references a missing shared body`);
  const refs = await db.query<{ body_id: string; refs: number; found: string }>(
    `SELECT b.body_id, b.refs, count(m.seq) AS found FROM ${t.bodies} b LEFT JOIN ${t.messages} m ON m.body_id = b.body_id
       GROUP BY b.body_id, b.refs HAVING b.refs <> count(m.seq) LIMIT 100`,
  );
  for (const row of refs.rows) errors.push(`shared body ${row.body_id} counts ${row.refs} references, ${row.found} found`);
  const quarantined: QuarantinedMessage[] = [];
  for (const queueId of [...queues.keys()].sort()) {
    const damaged = queues.get(queueId)!.quarantined;
    if (damaged === undefined) continue;
    for (const seq of [...damaged.keys()].sort((a, b) => a - b)) quarantined.push({ queueId, seq, reason: damaged.get(seq)! });
  }
  return { ok: mismatches.length === 0 && errors.length === 0 && quarantined.length === 0, queues: mismatches, errors, quarantined };
}
