import type pg from 'pg';
import type { ActiveConsumer } from '../shared-queue-store.js';
import type { PostgresDatabase } from './postgres-database.js';
import type { PostgresTables } from './postgres-schema.js';
import { decodeText, encodeText } from './postgres-errors.js';

/** The NOTIFY channel of shared queues whose single active consumer was freed; the payload is `<schema>/<queue id>`. */
export const SHARED_ACTIVE_CHANNEL = 'warren_shared_active';

/**
 * Takes the single active consumer of a shared queue for this node (docs/SCALE-OUT.md, "Single active consumer"):
 * a conditional upsert of the queue's row, which succeeds when there is none, when it names this incarnation (the
 * tag is updated: this node's next consumer took over), or when its node is no longer live (its row in
 * `warren_nodes` is gone: reaped after its lease, or left). Resolves with whoever holds it after the attempt.
 */
export async function acquireActiveConsumer(
  database: PostgresDatabase,
  incarnation: string,
  nodeName: string,
  queueId: string,
  consumerTag: string,
): Promise<ActiveConsumer> {
  const t = database.tables;
  const id = encodeText(queueId);
  const { rows } = await database.query<{ node: string; consumer_tag: string; owner: string }>(
    `INSERT INTO ${t.sharedActiveConsumers} AS a (queue_id, owner, node, consumer_tag) VALUES ($1, $2, $3, $4)
     ON CONFLICT (queue_id) DO UPDATE SET owner = EXCLUDED.owner, node = EXCLUDED.node, consumer_tag = EXCLUDED.consumer_tag,
       since = CASE WHEN a.owner = EXCLUDED.owner THEN a.since ELSE now() END
     WHERE a.owner = EXCLUDED.owner OR NOT EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.incarnation = a.owner)
     RETURNING node, consumer_tag, owner::text`,
    [id, incarnation, nodeName, encodeText(consumerTag)],
  );
  // Not taken: read who holds it (a fresh snapshot, so a holder that committed during the upsert is seen).
  const holder =
    rows[0] ??
    (
      await database.query<{ node: string; consumer_tag: string; owner: string }>(
        `SELECT node, consumer_tag, owner::text FROM ${t.sharedActiveConsumers} WHERE queue_id = $1`,
        [id],
      )
    ).rows[0];
  // Freed between the two statements: nobody holds it now; the notification of that release asks again.
  if (holder === undefined) return { node: '', consumerTag: '', isThisNode: false };
  return { node: holder.node, consumerTag: decodeText(holder.consumer_tag), isThisNode: holder.owner === incarnation };
}

/**
 * Frees this node's hold on these queues' single active consumers and notifies the other nodes, inside the write
 * transaction that also releases the messages the leaving consumers held: the next active consumer finds them ready.
 */
export async function releaseActiveConsumers(
  client: pg.ClientBase,
  t: PostgresTables,
  incarnation: string,
  queueIds: ReadonlyArray<string>,
): Promise<void> {
  await client.query(
    `WITH freed AS (DELETE FROM ${t.sharedActiveConsumers} WHERE queue_id = ANY($1::text[]) AND owner = $2 RETURNING queue_id)
     SELECT pg_notify($3, $4 || queue_id) FROM freed`,
    [queueIds, incarnation, SHARED_ACTIVE_CHANNEL, `${t.schema}/`],
  );
}
