import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { StorageError } from '../storage-error.js';
import type { StorageFaultListener, StorageHealth } from '../storage-health.js';
import { EPOCH_FILE, EpochFile, decodeEpoch, encodeEpoch, readEpochFile } from './commit-epoch.js';
import { fromLevelError } from './level-errors.js';
import { type CommitGroup, type CommitStats, GroupCommitter, type LevelBatchOp } from './group-committer.js';
import { BODY_SEGMENT_FILE } from './body-segment.js';
import { EPOCH_KEY, FORMAT_KEY, FORMAT_VALUE, FORMAT_VALUE_V1, FORMAT_VALUE_V2 } from './level-keys.js';
import { writeBatch } from './direct-batch.js';

/** The classic-level handle type Warren uses: UTF-8 string keys, raw Buffer values (no JSON on the data path). */
export type WarrenLevel = ClassicLevel<string, Buffer>;

/** Writes one batch; the default is direct-batch.ts's `writeBatch` (`db.batch(ops, { sync })` without its per-op preparation). Tests pass a hand-written fake to inject faults. */
export type LevelBatchFn = (db: WarrenLevel, ops: LevelBatchOp[], options: { sync: boolean }) => Promise<void>;

/** Options of {@link LevelDatabase}. */
export interface LevelDatabaseOptions {
  /** Test seam: replaces `db.batch`. */
  batchFn?: LevelBatchFn;
  /** Group-commit size cap in ops (default 10,000: a stored message is two ops, its record and its index record). */
  maxBatchOps?: number;
  /** LevelDB block cache in bytes (classic-level default 8 MiB). */
  cacheSize?: number;
  /** LevelDB write buffer in bytes (default {@link DEFAULT_WRITE_BUFFER_BYTES}). */
  writeBufferSize?: number;
  /** LevelDB table file size in bytes after compaction (classic-level default 2 MiB). */
  maxFileSize?: number;
  /** Table files LevelDB keeps open (default {@link DEFAULT_MAX_OPEN_FILES}). */
  maxOpenFiles?: number;
}

/**
 * The memtable size when none is configured: LevelDB's 4 MiB made a publish flood write many small level-0 tables,
 * whose compaction stalled the group commits (and with them delivery-watermark reserves: consumers starved). Two
 * memtables at most are in memory, so this bounds LevelDB's write buffers to 64 MiB.
 */
export const DEFAULT_WRITE_BUFFER_BYTES = 32 * 1024 * 1024;

/**
 * Open table files when none is configured: 74, the least LevelDB accepts (64 tables plus its own files). LevelDB
 * memory-maps every table file it opens, and the pages it reads stay in the broker's resident set until the file
 * is closed: with classic-level's default of 1,000 a drained 1 GiB backlog left ~1.3 GiB of file-backed RSS
 * (docs/BENCHMARKS.md). 64 tables bound that part to 64 table files (2 MiB each after compaction) plus the
 * level-0 tables a memtable flush writes; the cost is reopening a table (its footer and index block) now and then.
 */
export const DEFAULT_MAX_OPEN_FILES = 74;

const DEFAULT_MAX_BATCH_OPS = 10_000;
// Files LevelDB itself creates, plus Warren's epoch sidecar; anything else means the directory is someone else's.
// `spill`: the transient spill's directory (file-spill.ts).
const LEVELDB_FILE = /^(CURRENT|LOCK|LOG|LOG\.old|MANIFEST-\d+|\d+\.(log|ldb|sst|dbtmp)|WARREN-EPOCH|spill|bodies)$/;
const LEVELDB_DATA_FILE = /^(MANIFEST-\d+|\d+\.(log|ldb|sst))$/;

/**
 * One classic-level database per data directory, shared by the message and metadata stores: opening with a format
 * check, reference counting, the group-commit pipeline both stores write through, and fault/reopen handling.
 *
 * Invariants: at most one open handle per directory per process (LevelDB locks it); `db` is looked up on every
 * use, never cached by callers, because `reopen()` replaces it.
 *
 * Every synced batch carries the next commit epoch, mirrored (lagging, never ahead) into the `WARREN-EPOCH`
 * sidecar; open and reopen refuse a database whose epoch is below the sidecar's, i.e. one whose write-ahead log
 * lost committed batches (see commit-epoch.ts for the design and its cost).
 */
export class LevelDatabase {
  /** The data directory. */
  readonly path: string;
  /** The shared write pipeline. */
  readonly committer: GroupCommitter;
  private handle: WarrenLevel | undefined;
  private refs = 0;
  private opening: Promise<void> | undefined;
  private fault: StorageError | undefined;
  private isReopening = false;
  private readonly faultListeners = new Set<StorageFaultListener>();
  private readonly reopenHooks = new Set<() => Promise<void>>();
  private readonly batchFn: LevelBatchFn;
  // Epoch of the last synced batch known durable; the next synced batch carries epoch + 1.
  private epoch = 0;
  private epochFile: EpochFile | undefined;
  /**
   * LevelDB dropped part of its write-ahead log while opening (its info `LOG` says "dropping … bytes"): records may
   * be missing that nothing else reports, so the runs a clean close saved are not trusted (level-live-runs.ts).
   */
  droppedLogAtOpen = false;

  /** Creates the wrapper; nothing touches the disk before the first `acquire()`. */
  constructor(
    path: string,
    private readonly options: LevelDatabaseOptions = {},
  ) {
    this.path = path;
    this.batchFn = options.batchFn ?? writeBatch;
    this.committer = new GroupCommitter(
      (ops, sync) => this.writeBatch(ops, sync),
      (error) => this.recordFault(error),
      options.maxBatchOps ?? DEFAULT_MAX_BATCH_OPS,
    );
  }

  /** The open handle; throws StorageError `CLOSED` when there is none. */
  get db(): WarrenLevel {
    if (this.handle === undefined) {
      throw new StorageError('CLOSED', `storage: database ${this.path} is not open`, { path: this.path });
    }
    return this.handle;
  }

  /** Commit epoch of the last synced batch written (0 for a store never synced); for tests and diagnostics. */
  get commitEpoch(): number {
    return this.epoch;
  }

  /** Batches committed since construction. */
  get stats(): Readonly<CommitStats> {
    return this.committer.stats;
  }

  /** Database health (stores report `closed` themselves when they are closed). */
  get health(): StorageHealth {
    if (this.fault !== undefined) return { status: 'faulted', error: this.fault };
    return this.handle === undefined ? { status: 'closed' } : { status: 'ok' };
  }

  /** Opens the database on the first reference; later callers share it. */
  async acquire(): Promise<void> {
    this.refs++;
    try {
      if (this.handle === undefined) {
        this.opening ??= this.openHandle().finally(() => (this.opening = undefined));
        await this.opening;
      }
    } catch (error) {
      this.refs--;
      throw error;
    }
  }

  /** Drops a reference; the last one waits for accepted writes and closes the handle. */
  async release(): Promise<void> {
    if (this.refs === 0) return;
    if (--this.refs > 0) return;
    // Callers of the pending groups see a failure themselves; closing must still happen.
    await this.committer.flush().catch(() => undefined);
    const handle = this.handle;
    const epochFile = this.epochFile;
    this.handle = undefined;
    this.epochFile = undefined;
    this.fault = undefined;
    // After the last batch and before the handle: a clean shutdown leaves the sidecar exact.
    await epochFile?.close();
    await handle?.close();
  }

  /** Throws the current fault, or `CLOSED`; called before accepting any operation. */
  assertUsable(): void {
    if (this.fault !== undefined) throw this.fault;
    if (this.handle === undefined || this.isReopening) {
      throw new StorageError('CLOSED', `storage: database ${this.path} is not open`, { path: this.path });
    }
  }

  /** The group to push `opCount` ops into (see GroupCommitter.group); throws when not usable. */
  beginWrite(opCount: number): CommitGroup {
    this.assertUsable();
    return this.committer.group(opCount);
  }

  /** Whether LevelDB's info log of this open reports dropped write-ahead log records (see `droppedLogAtOpen`). */
  private async logReportsDrops(): Promise<boolean> {
    try {
      return /dropping \d+ bytes|corruption/i.test(await readFile(`${this.path}/LOG`, 'utf8'));
    } catch {
      // No info log (another Env): nothing known to be dropped.
      return false;
    }
  }

  /** Resolves when everything accepted so far is written. */
  flush(): Promise<void> {
    return this.committer.flush();
  }

  /** Subscribes to faults; returns the unsubscribe function. */
  onFault(listener: StorageFaultListener): () => void {
    this.faultListeners.add(listener);
    return () => this.faultListeners.delete(listener);
  }

  /** Registers state that must be reloaded from disk after a reopen; returns the unregister function. */
  onReopen(hook: () => Promise<void>): () => void {
    this.reopenHooks.add(hook);
    return () => this.reopenHooks.delete(hook);
  }

  /**
   * Closes and reopens the handle, then reloads every registered store. classic-level keeps failing on a handle
   * that hit ENOSPC even after space is freed; a fresh handle works and has lost nothing that was acknowledged
   * (see commit-epoch.ts).
   */
  async reopen(): Promise<void> {
    if (this.refs === 0) {
      throw new StorageError('CLOSED', `storage: database ${this.path} is not open`, { path: this.path });
    }
    this.isReopening = true;
    try {
      if (this.fault === undefined) await this.committer.flush().catch(() => undefined);
      const old = this.handle;
      const oldEpochFile = this.epochFile;
      this.handle = undefined;
      this.epochFile = undefined;
      await oldEpochFile?.close();
      await old?.close().catch(() => undefined);
      await this.openHandle();
      for (const hook of this.reopenHooks) await hook();
      this.fault = undefined;
    } catch (error) {
      this.fault = fromLevelError(error, 'cannot reopen', this.path);
      throw this.fault;
    } finally {
      this.isReopening = false;
    }
  }

  /**
   * The committer's writer. A synced batch also puts the next commit epoch; once it is durable the epoch goes to
   * the sidecar (not awaited). One batch is in flight at a time, so `epoch + 1` is in WAL order.
   */
  private writeBatch(ops: LevelBatchOp[], sync: boolean): Promise<void> {
    if (!sync) return this.batchFn(this.db, ops, { sync });
    const epoch = this.epoch + 1;
    ops.push({ type: 'put', key: EPOCH_KEY, value: encodeEpoch(epoch) });
    return this.batchFn(this.db, ops, { sync }).then(() => {
      this.epoch = epoch;
      this.epochFile?.advance(epoch);
    });
  }

  private recordFault(error: unknown): StorageError {
    const fault = fromLevelError(error, 'write failed on', this.path);
    if (this.fault !== undefined) return this.fault;
    this.fault = fault;
    for (const listener of this.faultListeners) {
      try {
        listener(fault);
      } catch {
        // A broken alarm handler must not stop the others or the rejection of pending confirms.
      }
    }
    return fault;
  }

  private async openHandle(): Promise<void> {
    await this.checkDirectory();
    // Only sizes that are set: classic-level takes an explicit `undefined` writeBufferSize for a size, not for its
    // 4 MiB default, and then never flushes its memtable (every write stayed in native memory until a restart
    // replayed the whole log: the deep-queue RSS and slow first restart of docs/BENCHMARKS.md).
    const { cacheSize, maxFileSize, writeBufferSize = DEFAULT_WRITE_BUFFER_BYTES, maxOpenFiles = DEFAULT_MAX_OPEN_FILES } = this.options;
    const db: WarrenLevel = new ClassicLevel<string, Buffer>(this.path, {
      keyEncoding: 'utf8',
      valueEncoding: 'buffer',
      createIfMissing: true,
      ...(cacheSize === undefined ? {} : { cacheSize }),
      ...(maxFileSize === undefined ? {} : { maxFileSize }),
      writeBufferSize,
      maxOpenFiles,
    });
    try {
      await db.open();
    } catch (error) {
      throw fromLevelError(error, 'cannot open', this.path);
    }
    this.droppedLogAtOpen = await this.logReportsDrops();
    let epochFile: EpochFile;
    let epoch: number;
    try {
      // Before checkFormat: a WAL cut before the format marker leaves an empty database it would adopt.
      epoch = decodeEpoch(await db.get(EPOCH_KEY), this.path);
      const recorded = await readEpochFile(this.path);
      if (recorded !== undefined && recorded > epoch) throw this.lostCommits(recorded, epoch);
      await this.checkFormat(db, recorded !== undefined || epoch > 0);
      epochFile = await EpochFile.open(this.path, epoch, recorded);
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error instanceof StorageError ? error : fromLevelError(error, 'cannot read', this.path);
    }
    this.handle = db;
    this.epoch = epoch;
    this.epochFile = epochFile;
  }

  private lostCommits(recorded: number, found: number): StorageError {
    return new StorageError(
      'CORRUPTED',
      `storage: the data directory ${this.path} is damaged: committed writes are missing (${EPOCH_FILE} records ` +
        `commit ${recorded}, the database ends at commit ${found}; its write-ahead log was truncated or damaged). ` +
        `Restore it from a backup; to accept the loss and start with what is left, delete ${EPOCH_FILE} in it.`,
      { path: this.path },
    );
  }

  /**
   * Refuses directories that hold anything but LevelDB files: classic-level would otherwise happily create a
   * database next to someone else's files.
   */
  private async checkDirectory(): Promise<void> {
    let names: string[];
    try {
      const info = await stat(this.path);
      if (!info.isDirectory()) throw this.notAStore('is not a directory');
      names = await readdir(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      if (error instanceof StorageError) throw error;
      throw fromLevelError(error, 'cannot read', this.path);
    }
    const foreign = names.find((name) => !LEVELDB_FILE.test(name));
    if (foreign !== undefined) throw this.notAStore(`contains "${foreign}", which is not a LevelDB file`);
    let evidence = names.find((name) => LEVELDB_DATA_FILE.test(name) || name === EPOCH_FILE);
    if (evidence === undefined && !names.includes('CURRENT') && names.includes('bodies')) {
      // Message bodies without the database that points at them: opening would drop them as orphans.
      const segment = (await readdir(join(this.path, 'bodies')).catch(() => [])).find((name) => BODY_SEGMENT_FILE.test(name));
      if (segment !== undefined) evidence = `bodies/${segment}`;
    }
    if (!names.includes('CURRENT') && evidence !== undefined) {
      // Data files (or the epoch sidecar) without CURRENT: a damaged database; creating a new one would hide the loss.
      throw new StorageError('CORRUPTED', `storage: the data directory ${this.path} is damaged: it has ${evidence} but no CURRENT file`, {
        path: this.path,
      });
    }
  }

  /** @param isOurs the directory has an epoch sidecar or the database an epoch record: Warren wrote it. */
  private async checkFormat(db: WarrenLevel, isOurs: boolean): Promise<void> {
    const marker = await db.get(FORMAT_KEY);
    if (marker !== undefined) {
      if (marker.toString('latin1') === FORMAT_VALUE_V1 || marker.toString('latin1') === FORMAT_VALUE_V2) {
        // Readable as it is (counters of version 1 say which records predate checksums); the new marker keeps an
        // older Warren, which would misread the new records, from opening it.
        await db.put(FORMAT_KEY, Buffer.from(FORMAT_VALUE, 'latin1'), { sync: true });
        return;
      }
      if (marker.toString('latin1') !== FORMAT_VALUE) {
        throw this.notAStore(`has store format "${marker.toString('latin1')}", expected "${FORMAT_VALUE}"`);
      }
      return;
    }
    // No marker: either a database created by us that crashed before writing it (then it is empty), or
    // someone else's LevelDB.
    const keys = await db.keys({ limit: 1 }).all();
    if (keys.length > 0) {
      if (isOurs) {
        // The marker is in the first batch ever written: a damaged first WAL block drops it while later blocks replay.
        const message = `storage: the data directory ${this.path} is damaged: its format marker is missing`;
        throw new StorageError('CORRUPTED', message, { path: this.path });
      }
      throw this.notAStore('is a LevelDB database without a Warren format marker');
    }
    await db.put(FORMAT_KEY, Buffer.from(FORMAT_VALUE, 'latin1'), { sync: true });
  }

  private notAStore(reason: string): StorageError {
    return new StorageError('NOT_A_WARREN_STORE', `storage: ${this.path} ${reason}`, { path: this.path });
  }
}
