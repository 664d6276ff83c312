import type { PostgresTables } from './postgres-schema.js';
import { SHARED_TABLE_AUTOVACUUM } from './postgres-shared-table-settings.js';

/**
 * Migration 8 (docs/SCALE-OUT.md, "Delayed messages"): `warren_delayed_messages`, the persistent messages of
 * durable `x-delayed-message` exchanges in multi-node mode, held for every node rather than by the node that
 * received them: `exchange_id` (the exchange's storage id), `due_at` on the database's clock (so nodes' clocks need
 * not agree), `owner` the incarnation of the node that claimed it to route it (NULL: held), and the message record.
 * Claims walk the held rows by due time; deleting an exchange finds its rows by `exchange_id`; the heartbeat finds
 * dead nodes' claims by `owner`. Every message is an insert, a claim and a delete: vacuumed like the shared queues.
 */
export function delayedMessages(t: PostgresTables): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t.delayedMessages} (
       id bigserial PRIMARY KEY,
       exchange_id text NOT NULL,
       due_at timestamptz NOT NULL,
       owner uuid,
       data bytea NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS warren_delayed_messages_due ON ${t.delayedMessages} (due_at, id) WHERE owner IS NULL`,
    `CREATE INDEX IF NOT EXISTS warren_delayed_messages_exchange ON ${t.delayedMessages} (exchange_id)`,
    `CREATE INDEX IF NOT EXISTS warren_delayed_messages_owner ON ${t.delayedMessages} (owner) WHERE owner IS NOT NULL`,
    `ALTER TABLE ${t.delayedMessages} SET (${SHARED_TABLE_AUTOVACUUM})`,
  ];
}
