import type { PostgresTables } from './postgres-schema.js';

/**
 * Migration 6 (docs/SCALE-OUT.md, "Shared queues"):
 * - `warren_shared_messages.expires_at`: when a message with a TTL (`x-message-ttl`, `expiration`) expires, on the
 *   database's clock (so nodes' clocks need not agree); NULL for none. Claims pass expired rows over; the sweep
 *   finds them by the partial index, which also answers "when does the next one expire" without a scan.
 * - `warren_shared_active_consumers`: one row per queue with `x-single-active-consumer` that has an active consumer:
 *   the incarnation and name of its node and its consumer tag. Taken with a conditional upsert (free, or held by a
 *   node that is no longer live), deleted when that node's last consumer of the queue goes.
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
  ];
}
