import type pg from 'pg';
import { EXPIRES_AT_FROM_TTL_LEFT } from './postgres-shared-queue-expiry.js';
import type { PostgresTables } from './postgres-schema.js';

/**
 * Inserts one group's published messages when some are transient: those go to `warren_shared_transient` (UNLOGGED,
 * a child of `warren_shared_messages`: postgres-schema-v6.ts), the others to the parent. Seqs are drawn from the
 * parent's sequence for all of them first, in the arrays' order, so one publisher's order holds across both tables
 * (claims read the parent, which includes the child, by seq). One statement.
 */
export async function insertWithTransient(
  client: pg.ClientBase,
  t: PostgresTables,
  queueIds: readonly string[],
  data: readonly Buffer[],
  ttls: ReadonlyArray<number | null>,
  transient: readonly boolean[],
): Promise<void> {
  await client.query(
    `WITH x AS MATERIALIZED (
       SELECT id, data, ttl, tr, nextval(pg_get_serial_sequence($5, 'seq')) AS seq
       FROM unnest($1::text[], $2::bytea[], $3::float8[], $4::boolean[]) WITH ORDINALITY AS x(id, data, ttl, tr, n) ORDER BY n),
     durable AS (
       INSERT INTO ${t.sharedMessages} (queue_id, seq, data, expires_at)
       SELECT id, seq, data, ${EXPIRES_AT_FROM_TTL_LEFT} FROM x WHERE tr IS NOT TRUE)
     INSERT INTO ${t.sharedTransient} (queue_id, seq, data, expires_at)
     SELECT id, seq, data, ${EXPIRES_AT_FROM_TTL_LEFT} FROM x WHERE tr`,
    [queueIds, data, ttls, transient, t.sharedMessages],
  );
}
