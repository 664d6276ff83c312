import type { ExpiredMessage, ExpirySweep } from '../shared-queue-store.js';
import { checkMessageRecord } from '../message-record.js';
import type { PostgresDatabase } from './postgres-database.js';
import { decodeText, encodeText } from './postgres-errors.js';

/**
 * The TTL deadline an insert stores (its third parameter, ms of TTL left per row, NULL for none): counted on the
 * database's clock from the statement, so every node compares deadlines against one clock (docs/SCALE-OUT.md).
 */
export const EXPIRES_AT_FROM_TTL_LEFT = `CASE WHEN ttl IS NULL THEN NULL ELSE statement_timestamp() + ttl * interval '1 millisecond' END`;

/** In a claim's `RETURNING`: ms of TTL left (NULL: none), so the claiming node's own timer expires what it holds. */
export const TTL_LEFT_COLUMN = `CASE WHEN expires_at IS NULL THEN NULL ELSE extract(epoch FROM expires_at - clock_timestamp()) * 1000 END AS ttl_left`;

/**
 * ms of TTL left per message for an insert (null: none), or undefined when none has a TTL: `expiresAt` (epoch ms,
 * 0 for never) is on this node's clock, converted now, just before the insert commits.
 */
export function ttlLeftOf(expiresAt: ReadonlyArray<number>): Array<number | null> | undefined {
  let ttls: Array<number | null> | undefined;
  const now = Date.now();
  for (let i = 0; i < expiresAt.length; i++) {
    const at = expiresAt[i]!;
    if (at === 0) continue;
    ttls ??= new Array<number | null>(expiresAt.length).fill(null);
    // Never negative: an already expired message is stored as due now, and swept.
    ttls[i] = Math.max(0, at - now);
  }
  return ttls;
}

/**
 * The expiry sweep of shared queues: claims for this node the ready messages of `queueIds` whose deadline passed
 * (oldest deadline first, `FOR UPDATE SKIP LOCKED`, so two nodes sweeping at once never take the same row), then
 * reads when the next ready one expires. The caller dead-letters what it got and settles it (deletes the rows), in
 * one group commit with the dead letters it publishes: a node dying in between leaves the claims to be released
 * and swept again (at least once, never lost). Damaged records are handed to `damaged` instead.
 */
export async function sweepExpired(
  database: PostgresDatabase,
  incarnation: string,
  queueIds: ReadonlyArray<string>,
  limit: number,
  damaged: (message: ExpiredMessage) => void,
): Promise<ExpirySweep> {
  if (queueIds.length === 0) return { expired: [], nextExpiryMs: undefined };
  const t = database.tables;
  const ids = queueIds.map(encodeText);
  const { rows } = await database.query<{ queue_id: string; seq: string; redelivered: boolean; data: Buffer }>(
    `UPDATE ${t.sharedMessages} SET owner = $1
     WHERE (queue_id, seq) IN (
       SELECT queue_id, seq FROM ${t.sharedMessages}
       WHERE owner IS NULL AND expires_at <= now() AND queue_id = ANY($2::text[])
       ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING queue_id, seq, redelivered, data`,
    [incarnation, ids, limit],
  );
  const expired: ExpiredMessage[] = [];
  for (const row of rows) {
    const message = { queueId: decodeText(row.queue_id), seq: Number(row.seq), data: row.data, redelivered: row.redelivered };
    // Damaged: never dead-lettered; settled (dropped) by the caller so it does not come back forever.
    if (checkMessageRecord(row.data) !== undefined) damaged(message);
    else expired.push(message);
  }
  let nextExpiryMs: number | undefined;
  try {
    const next = await database.query<{ ms: number | null }>(
      `SELECT extract(epoch FROM min(expires_at) - clock_timestamp()) * 1000 AS ms FROM ${t.sharedMessages}
       WHERE owner IS NULL AND expires_at IS NOT NULL AND queue_id = ANY($1::text[])`,
      [ids],
    );
    const ms = next.rows[0]?.ms;
    nextExpiryMs = ms === null || ms === undefined ? undefined : Number(ms);
  } catch {
    // What the first statement claimed must still reach the caller; the heartbeat's sweep reads the next deadline.
  }
  return { expired: expired.sort((a, b) => a.seq - b.seq), nextExpiryMs };
}
