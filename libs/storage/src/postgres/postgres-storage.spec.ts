import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { describeMessageStoreConformance, describeMetadataStoreConformance } from '../../test/conformance/storage-conformance.js';
import { type PostgresCluster, startPostgresCluster } from '../../test/support/postgres-cluster.js';
import { messageRecordOf } from '../message-record.js';
import type { MessageStore } from '../message-store.js';
import type { MetadataStore } from '../metadata-store.js';
import { openPostgresStorage } from './open-postgres-storage.js';
import { PostgresDatabase } from './postgres-database.js';
import { PostgresMessageStore } from './postgres-message-store.js';
import { PostgresMetadataStore } from './postgres-metadata-store.js';
import { POSTGRES_MIGRATION_VERSIONS, POSTGRES_SCHEMA_VERSION } from './postgres-schema.js';

// One throwaway cluster for this file; every harness gets a schema of its own, dropped after its test.
let cluster: PostgresCluster;
let url: string;
let admin: pg.Client;
let schemas = 0;

beforeAll(async () => {
  cluster = await startPostgresCluster();
  url = await cluster.createDatabase('warren_storage_spec');
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
}, 180_000);

afterAll(async () => {
  await admin?.end();
  await cluster?.stop();
}, 180_000);

const newSchema = (): string => `conformance_${++schemas}`;
const dropSchema = async (schema: string): Promise<void> => void (await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));

describeMessageStoreConformance('postgres', {
  persistent: true,
  async create() {
    const schema = newSchema();
    const opened: MessageStore[] = [];
    let last: PostgresDatabase | undefined;
    return {
      async open(options = {}) {
        last = new PostgresDatabase({ connectionString: url, schema, writeFault: options.writeFault });
        const store = new PostgresMessageStore(last);
        await store.open();
        opened.push(store);
        return store;
      },
      committedBatches: () => last?.committedBatches ?? 0,
      async damage(queueId, seq) {
        // Bit rot behind the store's back: the last byte of the record, inline or in its shared body.
        const flip = (column: string): string =>
          `${column} = set_byte(${column}, length(${column}) - 1, get_byte(${column}, length(${column}) - 1) # 1)`;
        const where = 'queue_id = $1 AND seq = $2';
        await admin.query(`UPDATE "${schema}".warren_messages SET ${flip('data')} WHERE ${where} AND data IS NOT NULL`, [queueId, seq]);
        await admin.query(
          `UPDATE "${schema}".warren_bodies SET ${flip('data')} WHERE body_id = (SELECT body_id FROM "${schema}".warren_messages WHERE ${where})`,
          [queueId, seq],
        );
      },
      async dispose() {
        for (const store of opened) await store.close();
        await dropSchema(schema);
      },
    };
  },
});

describeMetadataStoreConformance('postgres', {
  persistent: true,
  async create() {
    const schema = newSchema();
    const opened: MetadataStore[] = [];
    return {
      async open() {
        const store = new PostgresMetadataStore(new PostgresDatabase({ connectionString: url, schema }));
        await store.open();
        opened.push(store);
        return store;
      },
      async dispose() {
        for (const store of opened) await store.close();
        await dropSchema(schema);
      },
    };
  },
});

describe('PostgreSQL backend', () => {
  it('migrates once when several nodes open a fresh database at the same moment', async () => {
    const fresh = await cluster.createDatabase('warren_concurrent_open');
    const storages = await Promise.all(Array.from({ length: 6 }, () => openPostgresStorage({ connectionString: fresh, schema: 'warren' })));
    try {
      const check = new pg.Client({ connectionString: fresh });
      await check.connect();
      try {
        const { rows } = await check.query('SELECT version FROM warren.warren_schema_migrations ORDER BY version');
        expect(rows.map((row) => row.version)).toEqual(POSTGRES_MIGRATION_VERSIONS);
        const tables = await check.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'warren' ORDER BY 1");
        expect(tables.rows.map((row) => row.table_name)).toEqual([
          'warren_bodies',
          'warren_delayed_messages',
          'warren_exclusive_queues',
          'warren_messages',
          'warren_metadata',
          'warren_node_mail',
          'warren_nodes',
          'warren_queues',
          'warren_schema_migrations',
          'warren_shared_active_consumers',
          'warren_shared_messages',
          'warren_shared_queue_use',
          'warren_shared_transient',
          'warren_spill',
          'warren_topology_log',
          'warren_topology_version',
        ]);
      } finally {
        await check.end();
      }
      // Every node sees what one wrote.
      await storages[0]!.metadata.apply([{ type: 'put', kind: 'vhost', key: '/', value: Buffer.from('v') }]);
      expect((await storages[5]!.metadata.load()).map((r) => r.key)).toEqual(['/']);
    } finally {
      await Promise.all(storages.map((storage) => storage.close()));
    }
  });

  it('keeps schemas apart and stores ids PostgreSQL text cannot hold', async () => {
    const [a, b] = await Promise.all([
      openPostgresStorage({ connectionString: url, schema: 'isolated_a' }),
      openPostgresStorage({ connectionString: url, schema: 'isolated_b' }),
    ]);
    try {
      await a.messages.enqueue([{ queueId: 'nul\0id%00', seq: 0, data: messageRecordOf(Buffer.from('x')) }]);
      await a.metadata.apply([{ type: 'put', kind: 'queue', key: 'v/\0', value: Buffer.from('q') }]);
      expect(await a.messages.queueIds()).toEqual(['nul\0id%00']);
      expect(await b.messages.queueIds()).toEqual([]);
      expect(await b.metadata.load()).toEqual([]);
      await a.close();
      const again = await openPostgresStorage({ connectionString: url, schema: 'isolated_a' });
      expect(await again.messages.queueIds()).toEqual(['nul\0id%00']);
      expect((await again.metadata.load()).map((r) => r.key)).toEqual(['v/\0']);
      await again.close();
    } finally {
      await a.close();
      await b.close();
      await dropSchema('isolated_a');
      await dropSchema('isolated_b');
    }
  });

  it('upgrades a schema of an earlier version in place, keeping its messages', async () => {
    const record = messageRecordOf(Buffer.from('kept'));
    let storage = await openPostgresStorage({ connectionString: url, schema: 'upgraded' });
    await storage.messages.enqueue([{ queueId: 'q', seq: 0, data: record }]);
    await storage.close();
    // Back to what version 1 created.
    await admin.query('ALTER TABLE upgraded.warren_messages DROP COLUMN index_record');
    await admin.query('DROP TABLE upgraded.warren_spill');
    await admin.query('DELETE FROM upgraded.warren_schema_migrations WHERE version >= 2');
    storage = await openPostgresStorage({ connectionString: url, schema: 'upgraded' });
    try {
      const { rows } = await admin.query('SELECT version FROM upgraded.warren_schema_migrations ORDER BY version');
      expect(rows.map((row) => row.version)).toEqual(POSTGRES_MIGRATION_VERSIONS);
      const recovered = [];
      for await (const entry of storage.messages.recoverIndex('q')) recovered.push(entry);
      expect(recovered).toEqual([{ queueId: 'q', seq: 0, data: record, deliveryCount: 0, mayHaveBeenDelivered: false }]);
    } finally {
      await storage.close();
      await dropSchema('upgraded');
    }
  });

  it('falls back to the full record when an index record is damaged', async () => {
    const storage = await openPostgresStorage({ connectionString: url, schema: 'damaged_index' });
    try {
      const entries = [1, 2, 3].map((seq) => ({
        queueId: 'q',
        seq,
        data: messageRecordOf(Buffer.from(`body ${seq}`)),
        index: messageRecordOf(Buffer.from(`index ${seq}`)),
      }));
      await storage.messages.enqueue(entries);
      await admin.query(
        'UPDATE damaged_index.warren_messages SET index_record = set_byte(index_record, 6, get_byte(index_record, 6) # 1) WHERE seq = 2',
      );
      const shown = [];
      for await (const entry of storage.messages.recoverIndex('q')) shown.push(entry.index ? `i${entry.seq}` : `d${entry.seq}`);
      expect(shown).toEqual(['i1', 'd2', 'i3']);
      expect((await storage.messages.verifyIntegrity()).ok).toBe(true);
    } finally {
      await storage.close();
      await dropSchema('damaged_index');
    }
  });

  it('commits calls made while a transaction is in flight as one next transaction, not one per call', async () => {
    const database = new PostgresDatabase({ connectionString: url, schema: 'grouped' });
    const store = new PostgresMessageStore(database);
    await store.open();
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    try {
      await store.enqueue([{ queueId: 'q', seq: 0, data: messageRecordOf(Buffer.from('0')) }]);
      const before = database.committedBatches;
      // Hold the next transaction in flight: it waits for this lock on the counters table.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE grouped.warren_queues IN ACCESS EXCLUSIVE MODE');
      const calls = [store.enqueue([{ queueId: 'q', seq: 1, data: messageRecordOf(Buffer.from('1')) }])];
      await waitUntilBlocked();
      // 100 more calls, each in an event-loop turn of its own, while that one is in flight.
      for (let seq = 2; seq < 102; seq++) {
        await new Promise((resolve) => setImmediate(resolve));
        calls.push(store.enqueue([{ queueId: seq % 2 === 0 ? 'q' : 'r', seq, data: messageRecordOf(Buffer.from(String(seq))) }]));
      }
      // A burst past the group cap (10,000 messages) while that one is in flight: bounded transactions, in order.
      await new Promise((resolve) => setImmediate(resolve));
      const burst = Array.from({ length: 25_000 }, (_, i) => ({ queueId: 'burst', seq: i, data: messageRecordOf(Buffer.from(String(i))) }));
      for (let i = 0; i < burst.length; i += 1000) calls.push(store.enqueue(burst.slice(i, i + 1000)));
      await blocker.query('COMMIT');
      await Promise.all(calls);
      // The one held; the 100 calls with the first 10,000 of the burst; 10,000; the last 5,000.
      expect(database.committedBatches - before).toBe(4);
      expect((await store.queueInfo('burst'))?.messageCount).toBe(25_000);
      expect((await store.queueInfo('q'))?.messageCount).toBe(52);
      expect((await store.queueInfo('r'))?.messageCount).toBe(50);
    } finally {
      await blocker.end();
      await store.close();
      await dropSchema('grouped');
    }

    async function waitUntilBlocked(): Promise<void> {
      for (let i = 0; i < 600; i++) {
        const { rows } = await admin.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'warren'",
        );
        if (rows[0].n > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the transaction never waited for the lock');
    }
  });

  it('stores nothing of a call spanning several queues when one of its rows is refused', async () => {
    const storage = await openPostgresStorage({ connectionString: url, schema: 'atomic' });
    try {
      await admin.query(`CREATE FUNCTION atomic.refuse_b() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN IF NEW.queue_id = 'b' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`);
      await admin.query('CREATE TRIGGER refuse_b BEFORE INSERT ON atomic.warren_messages FOR EACH ROW EXECUTE FUNCTION atomic.refuse_b()');
      const data = messageRecordOf(Buffer.from('m'));
      await expect(
        storage.messages.enqueue([
          { queueId: 'a', seq: 0, data },
          { queueId: 'b', seq: 0, data },
        ]),
      ).rejects.toMatchObject({ code: 'IO_ERROR' });
      await admin.query('DROP TRIGGER refuse_b ON atomic.warren_messages');
      await storage.messages.reopen();
      expect(await storage.messages.queueIds()).toEqual([]);
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM atomic.warren_messages');
      expect(rows[0].n).toBe(0);
    } finally {
      await storage.close();
      await dropSchema('atomic');
    }
  });

  it('after a crash flags what may have been delivered, not the messages published since', async () => {
    const record = (seq: number): Buffer => messageRecordOf(Buffer.from(`m${seq}`));
    const crashed = await openPostgresStorage({ connectionString: url, schema: 'crashed' });
    let restarted: Awaited<ReturnType<typeof openPostgresStorage>> | undefined;
    try {
      await crashed.messages.enqueue([0, 1, 2, 3].map((seq) => ({ queueId: 'q', seq, data: record(seq) })));
      await crashed.messages.coverDelivery('q', 0); // reserves the watermark far past seq 3
      crashed.messages.markDelivered('q', [0]);
      await crashed.database.flush();
      // What a restart after a crash sees: the reservation, never lowered by a clean close.
      restarted = await openPostgresStorage({ connectionString: url, schema: 'crashed' });
      await restarted.messages.enqueue([4, 5].map((seq) => ({ queueId: 'q', seq, data: record(seq) })));
      const read = await restarted.messages.read('q', [0, 1, 3, 4, 5]);
      expect(read.map((m) => [m!.seq, m!.mayHaveBeenDelivered])).toEqual([
        [0, true],
        [1, true],
        [3, true],
        [4, false],
        [5, false],
      ]);
    } finally {
      await restarted?.close();
      await crashed.close();
      await dropSchema('crashed');
    }
  });

  it('ignores values that cannot be seqs in remove, markDelivered, read and the spill calls', async () => {
    const storage = await openPostgresStorage({ connectionString: url, schema: 'not_seqs' });
    try {
      const data = messageRecordOf(Buffer.from('m'));
      await storage.messages.enqueue([{ queueId: 'q', seq: 0, data }]);
      const odd = [Number.NaN, 1.5, -1, 2 ** 60, Number.POSITIVE_INFINITY];
      await storage.messages.remove('q', odd);
      storage.messages.markDelivered('q', odd);
      expect(await storage.messages.read('q', [...odd, 0])).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        expect.anything(),
      ]);
      expect(await storage.messages.readSpilled('q', odd)).toEqual(odd.map(() => undefined));
      await storage.messages.dropSpilled('q', odd);
      expect(storage.messages.health).toEqual({ status: 'ok' });
      expect(await storage.messages.queueInfo('q')).toEqual({ nextSeq: 1, messageCount: 1 });
    } finally {
      await storage.close();
      await dropSchema('not_seqs');
    }
  });

  it('never yields from a running recover() a message whose removal was accepted meanwhile', async () => {
    const storage = await openPostgresStorage({ connectionString: url, schema: 'removed_meanwhile' });
    try {
      const entries = Array.from({ length: 10 }, (_, seq) => ({ queueId: 'q', seq, data: messageRecordOf(Buffer.from(`m${seq}`)) }));
      await storage.messages.enqueue(entries);
      const seen: number[] = [];
      for await (const message of storage.messages.recover('q')) {
        seen.push(message.seq);
        // The whole queue is one page, already read: these removals must still hide seqs 3 and 7.
        if (message.seq === 1) void storage.messages.remove('q', [3, 7]);
      }
      expect(seen).toEqual([0, 1, 2, 4, 5, 6, 8, 9]);
      const indexed: number[] = [];
      for await (const entry of storage.messages.recoverIndex('q')) {
        indexed.push(entry.seq);
        if (entry.seq === 0) void storage.messages.purge('q');
      }
      expect(indexed).toEqual([0]);
    } finally {
      await storage.close();
      await dropSchema('removed_meanwhile');
    }
  });

  it('lets one exclusive opener hold a schema at a time, and the next one in after it closes', async () => {
    const first = await openPostgresStorage({ connectionString: url, schema: 'exclusive', exclusive: true });
    try {
      await expect(openPostgresStorage({ connectionString: url, schema: 'exclusive', exclusive: true })).rejects.toMatchObject({
        code: 'LOCKED',
        message: expect.stringContaining('another Warren broker uses PostgreSQL schema "exclusive"'),
      });
      // Another schema of the same database is free.
      const other = await openPostgresStorage({ connectionString: url, schema: 'exclusive_other', exclusive: true });
      await other.close();
    } finally {
      await first.close();
    }
    const next = await openPostgresStorage({ connectionString: url, schema: 'exclusive', exclusive: true });
    await next.close();
    await dropSchema('exclusive');
    await dropSchema('exclusive_other');
  });

  it('refuses a schema written by a newer Warren, and an unreachable server, with clear StorageErrors', async () => {
    await admin.query('CREATE SCHEMA newer');
    await admin.query(
      'CREATE TABLE newer.warren_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz)',
    );
    await admin.query('INSERT INTO newer.warren_schema_migrations VALUES ($1, $2, now())', [POSTGRES_SCHEMA_VERSION + 1, 'future']);
    await expect(openPostgresStorage({ connectionString: url, schema: 'newer' })).rejects.toMatchObject({ code: 'NOT_A_WARREN_STORE' });
    await dropSchema('newer');
    const unreachable = `postgres://postgres:secret@127.0.0.1:${cluster.port}/no_such_database`;
    const refused = openPostgresStorage({ connectionString: unreachable });
    await expect(refused).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(refused).rejects.not.toMatchObject({ path: expect.stringContaining('secret') });
    expect(() => new PostgresDatabase({ connectionString: url, schema: 'Bad-Name' })).toThrow(TypeError);
  });

  it('faults on a write the server refuses (disk full), and serves again after reopen', async () => {
    const storage = await openPostgresStorage({ connectionString: url, schema: 'refused' });
    try {
      const record = messageRecordOf(Buffer.from('m'));
      await storage.messages.enqueue([{ queueId: 'q', seq: 0, data: record }]);
      // The server itself fails the insert, as it does when its disk is full (SQLSTATE 53100).
      await admin.query(`CREATE FUNCTION refused.refuse_insert() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$`);
      await admin.query(
        'CREATE TRIGGER refuse_insert BEFORE INSERT ON refused.warren_messages FOR EACH ROW EXECUTE FUNCTION refused.refuse_insert()',
      );
      const faults: string[] = [];
      storage.messages.onFault((error) => faults.push(error.code));
      const failed = storage.messages.enqueue([{ queueId: 'q', seq: 1, data: record }]);
      storage.messages.markDelivered('q', [0]);
      await expect(failed).rejects.toMatchObject({ code: 'DISK_FULL' });
      expect(storage.messages.health.status).toBe('faulted');
      await expect(storage.messages.remove('q', [0])).rejects.toMatchObject({ code: 'DISK_FULL' });
      expect(faults).toEqual(['DISK_FULL']);
      await admin.query('DROP TRIGGER refuse_insert ON refused.warren_messages');
      await storage.messages.reopen();
      expect(await storage.messages.queueInfo('q')).toEqual({ nextSeq: 1, messageCount: 1 });
      await storage.messages.enqueue([{ queueId: 'q', seq: 1, data: record }]);
      expect(await storage.messages.queueInfo('q')).toEqual({ nextSeq: 2, messageCount: 2 });
      expect((await storage.messages.verifyIntegrity()).ok).toBe(true);
    } finally {
      await storage.close();
      await dropSchema('refused');
    }
  });
});
