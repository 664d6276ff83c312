import type { PostgresTables } from './postgres-schema.js';

/**
 * Migration 9 (docs/SCALE-OUT.md, "Auto-delete, x-expires and queue.delete"; 8 is taken by delayed messages, written
 * beside it): `warren_shared_queue_use`, one row per shared queue: the incarnations of the nodes that have consumers
 * of it (`consumer_nodes`, only the transitions from none to some and back are written) and when it was last used
 * (`last_used`, the database's clock). Auto-delete, `x-expires` and `queue.delete` with `if-unused` read it; nodes
 * that are no longer live count as having no consumers. The partial index finds the rows with consumers for the
 * heartbeat's reap of dead nodes' consumers without reading idle queues.
 */
export function sharedQueueUse(t: PostgresTables): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t.sharedQueueUse} (
       queue_id text PRIMARY KEY,
       consumer_nodes uuid[] NOT NULL DEFAULT '{}',
       last_used timestamptz NOT NULL DEFAULT now())`,
    `CREATE INDEX IF NOT EXISTS warren_shared_queue_use_consumed ON ${t.sharedQueueUse} (queue_id) WHERE cardinality(consumer_nodes) > 0`,
  ];
}
