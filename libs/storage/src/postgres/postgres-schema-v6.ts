import type { PostgresTables } from './postgres-schema.js';
import { SHARED_TABLE_AUTOVACUUM } from './postgres-shared-table-settings.js';

/**
 * Migration 6 (docs/SCALE-OUT.md, "Shared queues"):
 * - `warren_shared_messages.expires_at`: when a message with a TTL (`x-message-ttl`, `expiration`) expires, on the
 *   database's clock (so nodes' clocks need not agree); NULL for none. Claims pass expired rows over; the sweep
 *   finds them by the partial index, which also answers "when does the next one expire" without a scan.
 * - `warren_shared_active_consumers`: one row per queue with `x-single-active-consumer` that has an active consumer:
 *   the incarnation and name of its node and its consumer tag. Taken with a conditional upsert (free, or held by a
 *   node that is no longer live), deleted when that node's last consumer of the queue goes.
 * - `warren_shared_transient`: transient messages of shared queues, UNLOGGED (no WAL: faster, emptied by crash
 *   recovery and not replicated to standbys) and inheriting `warren_shared_messages`, so every statement on the
 *   parent (claims in seq order, settles, releases, sweeps, purges) covers both tables; only inserts name the child.
 *   Seqs come from the parent's sequence (an inherited default), so they stay unique and in publish order across
 *   both. Indexes are not inherited: the child gets its own copies (a later index on the parent needs one too).
 */
export function sharedExpiryAndActiveConsumers(t: PostgresTables): string[] {
  return [
    `ALTER TABLE ${t.sharedMessages} ADD COLUMN IF NOT EXISTS expires_at timestamptz`,
    `CREATE INDEX IF NOT EXISTS warren_shared_messages_expiry ON ${t.sharedMessages} (expires_at) WHERE owner IS NULL AND expires_at IS NOT NULL`,
    `CREATE TABLE IF NOT EXISTS ${t.sharedActiveConsumers} (
       queue_id text PRIMARY KEY,
       owner uuid NOT NULL,
       node text NOT NULL,
       consumer_tag text NOT NULL,
       since timestamptz NOT NULL DEFAULT now())`,
    `CREATE UNLOGGED TABLE IF NOT EXISTS ${t.sharedTransient} () INHERITS (${t.sharedMessages})`,
    // Storage parameters are not inherited either (migration 5 set the parent's).
    `ALTER TABLE ${t.sharedTransient} SET (${SHARED_TABLE_AUTOVACUUM})`,
    `CREATE UNIQUE INDEX IF NOT EXISTS warren_shared_transient_key ON ${t.sharedTransient} (queue_id, seq)`,
    // As the parent's ready index since migration 5: claims take the highest priority first, then seq order.
    `CREATE INDEX IF NOT EXISTS warren_shared_transient_ready ON ${t.sharedTransient} (queue_id, priority DESC, seq) WHERE owner IS NULL`,
    `CREATE INDEX IF NOT EXISTS warren_shared_transient_owner ON ${t.sharedTransient} (owner) WHERE owner IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS warren_shared_transient_expiry ON ${t.sharedTransient} (expires_at) WHERE owner IS NULL AND expires_at IS NOT NULL`,
  ];
}
