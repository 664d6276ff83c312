import type pg from 'pg';
import { StorageError } from '../storage-error.js';
import type { StorageFaultListener, StorageHealth } from '../storage-health.js';
import { describePostgresUrl, fromPostgresError } from './postgres-errors.js';
import { migratePostgresSchema, postgresTables, type PostgresTables } from './postgres-schema.js';
import { PostgresWriteGroup } from './postgres-write-group.js';

/** A group takes no more messages once it holds this many (one enqueue() call is never split)… */
const GROUP_MAX_MESSAGES = 10_000;
/** …or this many bytes of records. */
const GROUP_MAX_BYTES = 16 * 1024 * 1024;

/** Options of {@link PostgresDatabase}. */
export interface PostgresDatabaseOptions {
  /** `postgres://user:password@host:port/database` (libpq URL syntax, as `WARREN_POSTGRES_URL`). */
  connectionString: string;
  /** Schema holding Warren's `warren_*` tables, created when missing; default `public`. */
  schema?: string;
  /** Most connections this process opens (one writes, the others read); default 4. */
  poolSize?: number;
  /**
   * Refuse (StorageError `LOCKED`) to open a schema another process holds open with this option, by a session
   * advisory lock held for as long as the store is open. A single-node broker sets it (two brokers unaware of each
   * other on one schema would corrupt each other's seq counters); multi-node mode (`nodeName`) does not.
   */
  exclusive?: boolean;
  /**
   * Multi-node mode: this node's name (`WARREN_NODE_NAME`). Every metadata write is then also appended to the
   * topology change log in its transaction (postgres-cluster-store.ts), for the other nodes to apply.
   */
  nodeName?: string;
  /** Test seam: consulted before each transaction; an error fails it as a write error would (the store faults). */
  writeFault?: () => Error | undefined;
}

/** Writes of one transaction that a store adds around the ordered steps (message rows first, marks last). */
export interface PostgresCommitHooks {
  before(client: pg.PoolClient, group: PostgresWriteGroup): Promise<void>;
  after(client: pg.PoolClient, group: PostgresWriteGroup): Promise<void>;
}

/**
 * One PostgreSQL connection pool shared by the message and metadata stores of a process, with their group-commit
 * pipeline: every write accepted in one event-loop turn, or while the previous transaction is in flight, joins one
 * open {@link PostgresWriteGroup} committed as one transaction (never one per message), one transaction at a time
 * so calls are applied in call order. `synchronous_commit` is forced on, so a resolved write is in the server's
 * flushed WAL (and, with synchronous replication configured on the server, on its standbys).
 *
 * After a failed transaction the database is faulted: every write rejects with that error until `reopen()`.
 */
export class PostgresDatabase {
  readonly tables: PostgresTables;
  /** The server and database, without the password: for errors and logs. */
  readonly location: string;
  private pool: pg.Pool | undefined;
  /** The connection holding the exclusive lock (`exclusive` option). */
  private lockClient: pg.Client | undefined;
  private users = 0;
  private openGroup: PostgresWriteGroup | undefined;
  /** Full groups waiting for the one in flight, in call order. */
  private sealed: PostgresWriteGroup[] = [];
  private inFlight: PostgresWriteGroup | undefined;
  private fault: StorageError | undefined;
  private readonly faultListeners = new Set<StorageFaultListener>();
  private readonly reopenHooks = new Set<() => Promise<void>>();
  private readonly commitHooks = new Set<PostgresCommitHooks>();
  private isReopening = false;
  /** Transactions committed by this handle (tests check group commit with it). */
  committedBatches = 0;

  constructor(private readonly options: PostgresDatabaseOptions) {
    this.tables = postgresTables(options.schema ?? 'public');
    this.location = describePostgresUrl(options.connectionString);
  }

  get health(): StorageHealth {
    if (this.pool === undefined) return { status: 'closed' };
    return this.fault === undefined ? { status: 'ok' } : { status: 'faulted', error: this.fault };
  }

  /** Opens the pool and migrates the schema on first use; each user calls `release()` once. */
  async acquire(): Promise<void> {
    if (this.users++ > 0) return;
    // The driver is loaded with the first store opened, not with this module: the broker app imports this entry
    // point statically, and a LevelDB or memory broker must not load pg.
    let driver: typeof pg;
    try {
      driver = (await import('pg')).default;
    } catch (error) {
      this.users = 0;
      throw fromPostgresError(error, 'cannot load the PostgreSQL driver (pg)', this.location);
    }
    const pool = new driver.Pool({
      connectionString: this.options.connectionString,
      max: this.options.poolSize ?? 4,
      connectionTimeoutMillis: 30_000,
      // A dead server or network path is noticed by TCP keepalive instead of a write that never returns.
      keepAlive: true,
      application_name: 'warren',
      // A confirm means durable: never let a server default of synchronous_commit=off weaken it.
      options: '-c synchronous_commit=on',
    });
    // An idle connection dropped by the server must not crash the process; the next use reports the error.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        await migratePostgresSchema(client, this.tables);
      } finally {
        client.release();
      }
      if (this.options.exclusive) this.lockClient = await this.lockExclusively(driver);
    } catch (error) {
      this.users = 0;
      await pool.end().catch(() => undefined);
      throw fromPostgresError(error, 'cannot open the PostgreSQL store', this.location);
    }
    this.pool = pool;
  }

  /** Waits for accepted writes; the last user closes the pool. */
  async release(): Promise<void> {
    if (this.users === 0 || --this.users > 0) return;
    await this.flush();
    const pool = this.pool;
    this.pool = undefined;
    this.fault = undefined;
    await pool?.end().catch(() => undefined);
    const lock = this.lockClient;
    this.lockClient = undefined;
    await lock?.end().catch(() => undefined);
  }

  private async lockExclusively(driver: typeof pg): Promise<pg.Client> {
    const client = new driver.Client({
      connectionString: this.options.connectionString,
      connectionTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'warren',
    });
    client.on('error', () => undefined);
    await client.connect();
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
      `warren-broker:${this.tables.schema}`,
    ]);
    if (rows[0]?.locked) return client;
    await client.end().catch(() => undefined);
    throw new StorageError(
      'LOCKED',
      `storage: another Warren broker uses PostgreSQL schema "${this.tables.schema}" of ${this.location} (one broker per schema until multi-node support)`,
      { path: this.location },
    );
  }

  onFault(listener: StorageFaultListener): () => void {
    this.faultListeners.add(listener);
    return () => this.faultListeners.delete(listener);
  }

  /** Runs after a successful `reopen()` (stores reload their state). */
  onReopen(hook: () => Promise<void>): () => void {
    this.reopenHooks.add(hook);
    return () => this.reopenHooks.delete(hook);
  }

  addCommitHooks(hooks: PostgresCommitHooks): () => void {
    this.commitHooks.add(hooks);
    return () => this.commitHooks.delete(hooks);
  }

  /** The multi-node name (`nodeName` option), undefined for a single node. */
  get nodeName(): string | undefined {
    return this.options.nodeName;
  }

  /**
   * Runs `work` in its own transaction on a pool connection, outside the group commit (membership and exclusive
   * queues: rare, and not ordered with message writes). Rejects with a StorageError; never faults the store.
   */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.pool === undefined) throw new StorageError('CLOSED', 'storage: PostgreSQL store is closed', { path: this.location });
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw fromPostgresError(error, 'cannot connect', this.location);
    }
    // A checked-out client is ours to watch: a connection lost mid-transaction emits 'error' on it, which would crash
    // the process unhandled (the pool listens only while a client is idle); the query in flight rejects anyway.
    const ignoreLoss = (): void => undefined;
    client.on('error', ignoreLoss);
    let failure: unknown;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure = error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw fromPostgresError(error, 'transaction failed', this.location);
    } finally {
      client.off('error', ignoreLoss);
      client.release(failure === undefined ? undefined : true);
    }
  }

  /** A connection of its own (LISTEN, heartbeats), outside the pool, named `applicationName`; the caller ends it. */
  async connectDedicated(applicationName: string): Promise<pg.Client> {
    const driver = (await import('pg')).default;
    const client = new driver.Client({
      connectionString: this.options.connectionString,
      connectionTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: applicationName,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw fromPostgresError(error, 'cannot connect', this.location);
    }
    return client;
  }

  /** Throws CLOSED or the fault. */
  assertUsable(): void {
    if (this.pool === undefined) throw new StorageError('CLOSED', 'storage: PostgreSQL store is closed', { path: this.location });
    if (this.fault !== undefined) throw this.fault;
  }

  /** The open write group (created, and its commit scheduled, on first use); throws when nothing can be written. */
  beginWrite(): PostgresWriteGroup {
    this.assertUsable();
    // The stores are reloading what is committed: nothing may change underneath until they have.
    if (this.isReopening) throw new StorageError('IO_ERROR', 'storage: PostgreSQL store is reopening', { path: this.location });
    const open = this.openGroup;
    if (open !== undefined && (open.messageSeqs.length >= GROUP_MAX_MESSAGES || open.bytes >= GROUP_MAX_BYTES)) {
      // Bounded transactions: a burst while one is in flight queues up as several, still committed in order.
      this.sealed.push(open);
      this.openGroup = undefined;
    }
    if (this.openGroup === undefined) {
      this.openGroup = new PostgresWriteGroup();
      if (this.inFlight === undefined && this.sealed.length === 0) setImmediate(() => this.commitNext());
    }
    return this.openGroup;
  }

  /** Resolves once every write accepted so far is committed or failed. */
  async flush(): Promise<void> {
    const last = this.openGroup ?? this.sealed[this.sealed.length - 1] ?? this.inFlight;
    if (last !== undefined) await last.done.catch(() => undefined);
  }

  /** A query outside the write pipeline (reads); maps failures to StorageError without faulting the store. */
  async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.assertUsable();
    try {
      return await this.pool!.query<R>(text, values);
    } catch (error) {
      throw fromPostgresError(error, 'cannot read', this.location);
    }
  }

  /** Clears a fault: waits for the failed transaction to settle, then lets the stores reload what is committed. */
  async reopen(): Promise<void> {
    if (this.pool === undefined) throw new StorageError('CLOSED', 'storage: PostgreSQL store is closed', { path: this.location });
    if (this.fault === undefined) return;
    await this.flush();
    this.isReopening = true;
    this.fault = undefined;
    try {
      const client = await this.pool.connect();
      client.release();
      for (const hook of this.reopenHooks) await hook();
    } catch (error) {
      this.fault = fromPostgresError(error, 'cannot reopen', this.location);
      throw this.fault;
    } finally {
      this.isReopening = false;
    }
  }

  private commitNext(): void {
    if (this.inFlight !== undefined) return;
    const group = this.sealed.shift() ?? this.openGroup;
    if (group === undefined) return;
    if (group === this.openGroup) this.openGroup = undefined;
    this.inFlight = group;
    this.commit(group).then(
      () => {
        this.inFlight = undefined;
        group.resolve();
        if (this.sealed.length > 0 || this.openGroup !== undefined) setImmediate(() => this.commitNext());
      },
      (error: unknown) => {
        this.inFlight = undefined;
        const fault = this.setFault(error);
        group.reject(fault);
        // Writes accepted after the failed one are not written either.
        const next = [...this.sealed, this.openGroup];
        this.sealed = [];
        this.openGroup = undefined;
        for (const later of next) later?.reject(fault);
      },
    );
  }

  private async commit(group: PostgresWriteGroup): Promise<void> {
    if (group.isEmpty) return;
    const injected = this.options.writeFault?.();
    if (injected !== undefined) throw injected;
    const pool = this.pool;
    if (pool === undefined) throw new StorageError('CLOSED', 'storage: PostgreSQL store is closed', { path: this.location });
    const client = await pool.connect();
    let failure: unknown;
    try {
      await client.query('BEGIN');
      for (const hooks of this.commitHooks) await hooks.before(client, group);
      for (const step of group.steps) await step(client);
      for (const hooks of this.commitHooks) await hooks.after(client, group);
      await client.query('COMMIT');
      this.committedBatches++;
    } catch (error) {
      failure = error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed mid-transaction is not reused.
      client.release(failure === undefined ? undefined : true);
    }
  }

  private setFault(error: unknown): StorageError {
    if (this.fault !== undefined) return this.fault;
    const fault = fromPostgresError(error, 'write failed', this.location);
    this.fault = fault;
    for (const listener of this.faultListeners) {
      try {
        listener(fault);
      } catch {
        // A broken alarm handler must not stop the others.
      }
    }
    return fault;
  }
}
