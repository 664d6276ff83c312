import type pg from 'pg';
import { StorageError } from '../storage-error.js';
import { sharedExpiryAndActiveConsumers } from './postgres-schema-v6.js';
import { delayedMessages } from './postgres-schema-v8.js';
import { sharedQueueUse } from './postgres-schema-v9.js';
import { SHARED_TABLE_AUTOVACUUM } from './postgres-shared-table-settings.js';

/** A schema name Warren accepts: a plain lower-case SQL identifier, so it never needs quoting rules beyond `"…"`. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The qualified names of Warren's tables in one schema, ready to paste into SQL. */
export interface PostgresTables {
  readonly schema: string;
  readonly migrations: string;
  readonly queues: string;
  readonly messages: string;
  readonly bodies: string;
  readonly metadata: string;
  readonly spill: string;
  readonly nodes: string;
  readonly topologyVersion: string;
  readonly topologyLog: string;
  readonly exclusiveQueues: string;
  readonly sharedMessages: string;
  readonly nodeMail: string;
  readonly sharedActiveConsumers: string;
  readonly sharedTransient: string;
  readonly sharedQueueUse: string;
  readonly delayedMessages: string;
}

/** Qualified table names in `schema`; throws a TypeError for a name that is not a plain identifier. */
export function postgresTables(schema: string): PostgresTables {
  if (!SCHEMA_NAME.test(schema)) {
    throw new TypeError(`storage: PostgreSQL schema name ${JSON.stringify(schema)} must match ${SCHEMA_NAME.source}`);
  }
  const q = (table: string): string => `"${schema}".${table}`;
  return {
    schema,
    migrations: q('warren_schema_migrations'),
    queues: q('warren_queues'),
    messages: q('warren_messages'),
    bodies: q('warren_bodies'),
    metadata: q('warren_metadata'),
    spill: q('warren_spill'),
    nodes: q('warren_nodes'),
    topologyVersion: q('warren_topology_version'),
    topologyLog: q('warren_topology_log'),
    exclusiveQueues: q('warren_exclusive_queues'),
    sharedMessages: q('warren_shared_messages'),
    nodeMail: q('warren_node_mail'),
    sharedActiveConsumers: q('warren_shared_active_consumers'),
    sharedTransient: q('warren_shared_transient'),
    sharedQueueUse: q('warren_shared_queue_use'),
    delayedMessages: q('warren_delayed_messages'),
  };
}

/**
 * One schema change; `version`s ascend and are never edited once released (add a new one instead). Each is applied
 * once when missing, so a version numbered past a gap (7 was written beside the 5 and 6 of parallel work) still
 * applies, and the gap's versions apply later when they arrive.
 */
interface Migration {
  readonly version: number;
  readonly name: string;
  sql(t: PostgresTables): string[];
}

/**
 * The schema, as versioned migrations. Layout (version 1):
 * - `warren_queues`: one row per queue the store knows: `next_seq`, the `enqueued`/`removed` counters
 *   (verifyIntegrity recounts against them) and `delivered_hwm`, the durable delivered-up-to reservation
 *   (MessageStore.coverDelivery).
 * - `warren_messages`: one row per stored message, keyed (queue_id, seq): its record inline (`data`) or a
 *   reference to a shared body (`body_id`), and its delivery count.
 * - `warren_bodies`: bodies one enqueue routed to several queues, stored once with a reference count.
 * - `warren_metadata`: topology and access records keyed (kind, key).
 *
 * Version 2: `warren_messages.index_record` (the compact index record read at start-up) and `warren_spill`
 * (UNLOGGED: transient paging records of one store instance, `owner`, wiped when a store opens).
 *
 * Version 3 (multi-node): `warren_nodes` (one row per live node: its lease, renewed by heartbeats),
 * `warren_topology_version` (one row: the topology version, bumped by every transaction that changes metadata, so
 * versions follow commit order), `warren_topology_log` (each such transaction's changes, by version: what other
 * nodes apply) and `warren_exclusive_queues` (exclusive queues and the node whose connection holds each).
 *
 * Version 4 (shared queues): `warren_shared_messages`, the messages of queues every node serves, keyed
 * (queue_id, seq) with `seq` from one sequence (unique across nodes), `owner` the incarnation of the node that
 * claimed it (NULL: ready) and `redelivered` (a claim on it was released before).
 *
 * Version 5 (shared queue features): `warren_shared_messages.priority` (claims take the highest first, so the
 * ready index becomes (queue_id, priority DESC, seq)), `body_size` (what `x-max-length-bytes` counts) and
 * `delivery_count` (incremented when a delivered message is released, so `x-delivery-limit` holds across nodes).
 *
 * Version 6 (shared queues' TTL and single active consumer, postgres-schema-v6.ts): `warren_shared_messages.expires_at`
 * (the deadline on the database's clock), `warren_shared_active_consumers` (per queue, the node and consumer that
 * are its single active consumer) and `warren_shared_transient` (UNLOGGED, inheriting `warren_shared_messages`:
 * transient messages of shared queues).
 *
 * Version 7 (direct reply-to across nodes): `warren_node_mail`, messages one node hands to another (`target`, a
 * node name), deleted by the target when it takes them. UNLOGGED: direct reply-to is at most once, so a
 * transaction that only hands over replies need not wait for a WAL flush, and a crash may empty it.
 *
 * Version 8 (delayed messages on the shared store, postgres-schema-v8.ts): `warren_delayed_messages`, the
 * persistent messages of durable delayed exchanges with their due time, claimed and routed by any live node.
 *
 * Version 9 (shared queue use across nodes, postgres-schema-v9.ts): `warren_shared_queue_use`, per shared queue the
 * nodes that consume it and its last use on the database's clock (auto-delete, `x-expires`, `if-unused`).
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'messages, queues, shared bodies, metadata',
    sql: (t) => [
      `CREATE TABLE ${t.queues} (
         queue_id text PRIMARY KEY,
         next_seq bigint NOT NULL DEFAULT 0,
         enqueued bigint NOT NULL DEFAULT 0,
         removed bigint NOT NULL DEFAULT 0,
         delivered_hwm bigint NOT NULL DEFAULT -1)`,
      `CREATE TABLE ${t.bodies} (body_id uuid PRIMARY KEY, refs integer NOT NULL, data bytea NOT NULL)`,
      `CREATE TABLE ${t.messages} (
         queue_id text NOT NULL,
         seq bigint NOT NULL,
         delivery_count integer NOT NULL DEFAULT 0,
         body_id uuid,
         data bytea,
         PRIMARY KEY (queue_id, seq),
         CHECK ((data IS NULL) <> (body_id IS NULL)))`,
      `CREATE INDEX warren_messages_body_id ON ${t.messages} (body_id) WHERE body_id IS NOT NULL`,
      `CREATE TABLE ${t.metadata} (kind text NOT NULL, key text NOT NULL, value bytea NOT NULL, PRIMARY KEY (kind, key))`,
    ],
  },
  {
    version: 2,
    name: 'index records, transient spill',
    sql: (t) => [
      // The compact per-message index record (EnqueueEntry.index), read at start-up instead of the bodies.
      `ALTER TABLE ${t.messages} ADD COLUMN index_record bytea`,
      // Transient paging: never needed after a crash, so not WAL-logged (PostgreSQL empties it in crash recovery).
      `CREATE UNLOGGED TABLE ${t.spill} (owner uuid NOT NULL, queue_id text NOT NULL, seq bigint NOT NULL, data bytea NOT NULL,
         PRIMARY KEY (owner, queue_id, seq))`,
    ],
  },
  {
    version: 3,
    name: 'nodes, topology version and change log, exclusive queues',
    // IF NOT EXISTS: a schema rolled back to version 2 by hand keeps these tables and must still upgrade.
    sql: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.nodes} (
         name text PRIMARY KEY,
         incarnation uuid NOT NULL,
         started_at timestamptz NOT NULL DEFAULT now(),
         lease_expires_at timestamptz NOT NULL,
         info jsonb NOT NULL DEFAULT '{}')`,
      `CREATE TABLE IF NOT EXISTS ${t.topologyVersion} (one boolean PRIMARY KEY DEFAULT true CHECK (one), version bigint NOT NULL)`,
      `INSERT INTO ${t.topologyVersion} (one, version) VALUES (true, 0) ON CONFLICT DO NOTHING`,
      `CREATE TABLE IF NOT EXISTS ${t.topologyLog} (
         version bigint PRIMARY KEY,
         node text NOT NULL,
         ops bytea NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE IF NOT EXISTS ${t.exclusiveQueues} (key text PRIMARY KEY, node text NOT NULL, value bytea NOT NULL)`,
      `CREATE INDEX IF NOT EXISTS warren_exclusive_queues_node ON ${t.exclusiveQueues} (node)`,
    ],
  },
  {
    version: 4,
    name: 'shared queue messages with claims',
    sql: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t.sharedMessages} (
         queue_id text NOT NULL,
         seq bigserial NOT NULL,
         owner uuid,
         redelivered boolean NOT NULL DEFAULT false,
         data bytea NOT NULL,
         PRIMARY KEY (queue_id, seq))`,
      // Claims read ready rows in seq order; releases find a node's (few) claimed rows.
      `CREATE INDEX IF NOT EXISTS warren_shared_messages_ready ON ${t.sharedMessages} (queue_id, seq) WHERE owner IS NULL`,
      `CREATE INDEX IF NOT EXISTS warren_shared_messages_owner ON ${t.sharedMessages} (owner) WHERE owner IS NOT NULL`,
    ],
  },
  {
    version: 5,
    name: 'shared queue priorities, body sizes and delivery counts',
    sql: (t) => [
      `ALTER TABLE ${t.sharedMessages} ADD COLUMN IF NOT EXISTS priority smallint NOT NULL DEFAULT 0,
         ADD COLUMN IF NOT EXISTS body_size bigint NOT NULL DEFAULT 0,
         ADD COLUMN IF NOT EXISTS delivery_count integer NOT NULL DEFAULT 0`,
      // Claims and drop-head read ready rows highest priority first, then in seq order.
      `DROP INDEX IF EXISTS "${t.schema}".warren_shared_messages_ready`,
      `CREATE INDEX IF NOT EXISTS warren_shared_messages_ready_by_priority ON ${t.sharedMessages} (queue_id, priority DESC, seq) WHERE owner IS NULL`,
      `ALTER TABLE ${t.sharedMessages} SET (${SHARED_TABLE_AUTOVACUUM})`,
    ],
  },
  {
    version: 6,
    name: 'shared queue message expiry, single active consumers, unlogged transient messages',
    sql: sharedExpiryAndActiveConsumers,
  },
  {
    version: 7,
    name: 'mail between nodes (direct reply-to)',
    sql: (t) => [
      `CREATE UNLOGGED TABLE IF NOT EXISTS ${t.nodeMail} (
         id bigserial PRIMARY KEY,
         target text NOT NULL,
         vhost text NOT NULL,
         data bytea NOT NULL)`,
      // A node takes its own mail, oldest first.
      `CREATE INDEX IF NOT EXISTS warren_node_mail_target ON ${t.nodeMail} (target, id)`,
    ],
  },
  {
    version: 8,
    name: 'delayed messages held for every node',
    sql: delayedMessages,
  },
  {
    version: 9,
    name: 'shared queue use across nodes (auto-delete, x-expires, queue.delete if-unused)',
    sql: sharedQueueUse,
  },
  {
    version: 10,
    name: 'mail between nodes for queues of another node (non-durable and exclusive queues)',
    // NULL: a direct reply-to response; else the name of the target node's own queue the message was routed to.
    sql: (t) => [`ALTER TABLE ${t.nodeMail} ADD COLUMN IF NOT EXISTS queue text`],
  },
];

/** The schema version this build writes. */
export const POSTGRES_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((migration) => migration.version));

/** Every migration's version, ascending (what `warren_schema_migrations` holds once migrated). */
export const POSTGRES_MIGRATION_VERSIONS: readonly number[] = MIGRATIONS.map((migration) => migration.version).sort((a, b) => a - b);

/**
 * Creates or upgrades Warren's tables in `t.schema`. Runs under a session advisory lock keyed by the schema, so
 * several nodes starting at once apply each migration exactly once (the others wait, then find it applied); each
 * migration commits with its `warren_schema_migrations` row. Refuses (NOT_A_WARREN_STORE) a schema written by a
 * newer Warren.
 */
export async function migratePostgresSchema(client: pg.ClientBase, t: PostgresTables): Promise<void> {
  const lockKey = `warren-schema:${t.schema}`;
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${t.schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${t.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${t.migrations}`);
    const applied = new Set(rows.map((row) => row.version));
    const newest = Math.max(0, ...applied);
    if (newest > POSTGRES_SCHEMA_VERSION) {
      throw new StorageError(
        'NOT_A_WARREN_STORE',
        `storage: PostgreSQL schema "${t.schema}" is at version ${newest}, newer than this Warren supports (${POSTGRES_SCHEMA_VERSION})`,
      );
    }
    // In version order, whatever order merged branches listed them in.
    for (const migration of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        for (const statement of migration.sql(t)) await client.query(statement);
        await client.query(`INSERT INTO ${t.migrations} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
  }
}
