import type pg from 'pg';
import type { PostgresCommitHooks } from './postgres-database.js';
import type { PostgresTables } from './postgres-schema.js';
import type { PostgresWriteGroup } from './postgres-write-group.js';

/**
 * The message store's part of each group's transaction: shared bodies, counters and message rows first (one
 * `unnest` statement each, whatever the number of messages), then the ordered steps, then delivery marks and
 * watermarks.
 */
export function messageCommitHooks(t: PostgresTables): PostgresCommitHooks {
  return {
    async before(client, group) {
      if (group.bodyIds.length > 0) {
        await client.query(`INSERT INTO ${t.bodies} (body_id, refs, data) SELECT * FROM unnest($1::uuid[], $2::int[], $3::bytea[])`, [
          group.bodyIds,
          group.bodyRefs,
          group.bodyData,
        ]);
      }
      if (group.enqueued.size > 0) {
        const ids: string[] = [];
        const nextSeqs: number[] = [];
        const counts: number[] = [];
        for (const [id, { count, nextSeq }] of group.enqueued) {
          ids.push(id);
          nextSeqs.push(nextSeq);
          counts.push(count);
        }
        await client.query(
          `INSERT INTO ${t.queues} AS q (queue_id, next_seq, enqueued) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
           ON CONFLICT (queue_id) DO UPDATE SET next_seq = GREATEST(q.next_seq, excluded.next_seq), enqueued = q.enqueued + excluded.enqueued`,
          [ids, nextSeqs, counts],
        );
      }
      if (group.messageSeqs.length > 0) {
        await client.query(
          `INSERT INTO ${t.messages} (queue_id, seq, data, body_id, index_record)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::uuid[], $5::bytea[])`,
          [group.messageQueues, group.messageSeqs, group.messageData, group.messageBodies, group.messageIndexes],
        );
      }
    },
    async after(client, group) {
      if (group.marks.size > 0) await writeMarks(client, t, group);
      for (const [map, sql] of [
        [group.watermarks, 'GREATEST(q.delivered_hwm, x.hwm)'],
        [group.lowered, 'x.hwm'],
      ] as const) {
        if (map.size === 0) continue;
        await client.query(
          `UPDATE ${t.queues} q SET delivered_hwm = ${sql} FROM unnest($1::text[], $2::bigint[]) AS x(id, hwm) WHERE q.queue_id = x.id`,
          [[...map.keys()], [...map.values()]],
        );
      }
    },
  };
}

async function writeMarks(client: pg.PoolClient, t: PostgresTables, group: PostgresWriteGroup): Promise<void> {
  const ids: string[] = [];
  const seqs: number[] = [];
  const counts: number[] = [];
  for (const [id, marks] of group.marks) {
    for (const [seq, count] of marks) {
      ids.push(id);
      seqs.push(seq);
      counts.push(count);
    }
  }
  await client.query(
    `UPDATE ${t.messages} m SET delivery_count = m.delivery_count + x.n FROM unnest($1::text[], $2::bigint[], $3::int[]) AS x(id, seq, n)
     WHERE m.queue_id = x.id AND m.seq = x.seq`,
    [ids, seqs, counts],
  );
}

/**
 * Deletes the message rows `where` selects (`where` may start with `USING …`; the table is aliased `m`), counts
 * them into their queues' `removed` counters in the same statement, and releases their shared bodies. Returns the
 * number deleted; rows that are already gone are simply not counted, which makes removals idempotent.
 */
export async function deleteMessages(client: pg.PoolClient, t: PostgresTables, where: string, values: unknown[]): Promise<number> {
  const { rows } = await client.query<{ body_id: string | null; n: number }>(
    `WITH d AS (DELETE FROM ${t.messages} m ${where} RETURNING m.queue_id, m.body_id),
          c AS (UPDATE ${t.queues} q SET removed = q.removed + x.n
                FROM (SELECT queue_id, count(*) AS n FROM d GROUP BY queue_id) AS x WHERE q.queue_id = x.queue_id)
     SELECT body_id, count(*)::int AS n FROM d GROUP BY body_id`,
    values,
  );
  let removed = 0;
  const bodyIds: string[] = [];
  const releases: number[] = [];
  // In body id order: transactions releasing the same bodies then lock their rows in one order (no deadlock).
  for (const row of rows.sort((a, b) => (a.body_id ?? '').localeCompare(b.body_id ?? ''))) {
    removed += row.n;
    if (row.body_id === null) continue;
    bodyIds.push(row.body_id);
    releases.push(row.n);
  }
  if (bodyIds.length > 0) {
    await client.query(
      `UPDATE ${t.bodies} b SET refs = b.refs - x.n FROM unnest($1::uuid[], $2::int[]) AS x(id, n) WHERE b.body_id = x.id`,
      [bodyIds, releases],
    );
    await client.query(`DELETE FROM ${t.bodies} WHERE body_id = ANY($1::uuid[]) AND refs <= 0`, [bodyIds]);
  }
  return removed;
}
