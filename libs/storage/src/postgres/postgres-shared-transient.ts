import type pg from 'pg';
import { EXPIRES_AT_FROM_TTL_LEFT } from './postgres-shared-queue-expiry.js';
import type { PostgresTables } from './postgres-schema.js';

/** One group's published messages, in publish order (parallel arrays; `ttls` and `transient` may be empty: none). */
export interface SharedInsert {
  readonly queueIds: readonly string[];
  readonly data: readonly Buffer[];
  readonly bodySizes: readonly number[];
  readonly priorities: readonly number[];
  /** ms of TTL left per message (null: none); empty when none has one (unnest pads it with NULLs). */
  readonly ttls: ReadonlyArray<number | null>;
  /** Per message, whether it is transient; empty when none is. */
  readonly transient: readonly boolean[];
}

/**
 * Inserts one group's published messages with one statement. Transient ones go to `warren_shared_transient`
 * (UNLOGGED, a child of `warren_shared_messages`: postgres-schema-v6.ts), the others to the parent; when some are
 * transient, seqs are drawn from the parent's sequence for all of them first, in the arrays' order, so one
 * publisher's order holds across both tables (claims read the parent, which includes the child, by seq).
 */
export async function insertShared(client: pg.ClientBase, t: PostgresTables, rows: SharedInsert): Promise<void> {
  const { queueIds, data, bodySizes, priorities, ttls, transient } = rows;
  if (transient.length === 0) {
    await client.query(
      `INSERT INTO ${t.sharedMessages} (queue_id, data, body_size, priority, expires_at)
       SELECT id, data, size, priority, ${EXPIRES_AT_FROM_TTL_LEFT}
       FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::smallint[], $5::float8[])
         WITH ORDINALITY AS x(id, data, size, priority, ttl, n) ORDER BY n`,
      [queueIds, data, bodySizes, priorities, ttls],
    );
    return;
  }
  await client.query(
    `WITH x AS MATERIALIZED (
       SELECT id, data, size, priority, ttl, tr, nextval(pg_get_serial_sequence($7, 'seq')) AS seq
       FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::smallint[], $5::float8[], $6::boolean[])
         WITH ORDINALITY AS x(id, data, size, priority, ttl, tr, n) ORDER BY n),
     durable AS (
       INSERT INTO ${t.sharedMessages} (queue_id, seq, data, body_size, priority, expires_at)
       SELECT id, seq, data, size, priority, ${EXPIRES_AT_FROM_TTL_LEFT} FROM x WHERE tr IS NOT TRUE)
     INSERT INTO ${t.sharedTransient} (queue_id, seq, data, body_size, priority, expires_at)
     SELECT id, seq, data, size, priority, ${EXPIRES_AT_FROM_TTL_LEFT} FROM x WHERE tr`,
    [queueIds, data, bodySizes, priorities, ttls, transient, t.sharedMessages],
  );
}
