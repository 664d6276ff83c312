import { join } from 'node:path';
import type {
  EnqueueEntry,
  IntegrityCheckOptions,
  IntegrityReport,
  MessageStore,
  QueueStorageInfo,
  StorageCapabilities,
  ReadIndexOptions,
  StoredIndexEntry,
  StoredMessage,
} from '../message-store.js';
import { validateEnqueueEntries } from '../enqueue-validation.js';
import { StorageError } from '../storage-error.js';
import type { StorageFaultListener, StorageHealth } from '../storage-health.js';
import type { CommitGroup, CommitStats, LevelBatchOp } from './group-committer.js';
import type { LevelDatabase } from './level-database.js';
import { fromLevelError } from './level-errors.js';
import { IntegrityPacer, type IntegrityPacerOptions } from './integrity-pacer.js';
import { bodyKey, hex16 } from './level-keys.js';
import { DeliveryWatermark } from './delivery-watermark.js';
import { type CompactionStats, DrainedRangeCompactor, type DrainedRangeCompactorOptions } from './drained-range-compactor.js';
import { carryQuarantine, withQuarantine } from './level-quarantine.js';
import { readMessages } from './level-message-reader.js';
import { readIndexBatch, readQueueIndex } from './level-index-reader.js';
import { readQueue } from './level-queue-reader.js';
import { LevelQueueState } from './level-queue-state.js';
import { wipeLevelSpill } from './level-spill.js';
import { FileSpill } from './file-spill.js';
import { scanLevelStore } from './level-store-scan.js';
import { loadLevelStore } from './level-store-load.js';
import { LIVE_RUNS_KEY, encodeLiveRuns } from './level-live-runs.js';
import { SharedBodyRegistry } from './shared-body-registry.js';
import { encodeCounters, encodeDeliveryCount } from './queue-counters.js';
import { BodyLog, type BodyLogOptions } from './body-log.js';

/** Options of {@link LevelMessageStore}. */
export interface LevelMessageStoreOptions extends DrainedRangeCompactorOptions, IntegrityPacerOptions, BodyLogOptions {
  /**
   * Records at least this large go to the body log (body-log.ts) with a pointer in LevelDB; smaller ones are stored
   * in LevelDB itself, where a pointer and a file read would cost more than the bytes. Default 256.
   */
  bodyLogMinBytes?: number;
  /** How soon after removals the body log looks for segments to drop, in ms (default 1000). */
  bodyCollectDelayMs?: number;
  /**
   * Bodies at least this large that one enqueue() call stores for several queues (the same Buffer object) are
   * written once as a shared record. Default 4096, RabbitMQ's `queue_index_embed_msgs_below`: below that, the
   * extra record and bookkeeping cost more than the duplicated bytes.
   */
  sharedBodyMinBytes?: number;
  /**
   * How far the durable delivered watermark is reserved ahead of the deliveries (coverDelivery), default 2048: one
   * counters write per half of it, and at most about this many never-delivered messages per queue come back
   * flagged `redelivered` after a crash.
   */
  deliveryReserve?: number;
}

const EMPTY = Buffer.alloc(0);
const RESOLVED = Promise.resolve();
// Seqs handled per synchronous step of remove/purge/deleteQueue: bounds both batch size and event-loop stalls.
const REMOVE_CHUNK = 1_000;

/**
 * {@link MessageStore} over the shared LevelDB database (see level-keys.ts for the layout), fsync per group
 * commit.
 *
 * @remarks
 * In memory it keeps per queue the counters, a bitmap of stored seqs, and the seqs that reference shared bodies
 * or have delivery counts ≥ 2 (see LevelQueueState); they are rebuilt at open from the index records and counters,
 * without reading the message key range (level-store-load.ts). That is what makes removals idempotent and exactly
 * counted without reading the disk.
 *
 * Invariants: all state changes happen synchronously together with pushing the matching ops into the open commit
 * group (obtained by `beginWrite()` before any change), so each batch carries counters that match its own
 * messages. After a failed write the in-memory state is ahead of the disk; it is discarded and rebuilt by the
 * reopen hook.
 */
export class LevelMessageStore implements MessageStore {
  readonly capabilities: StorageCapabilities = Object.freeze({
    durableConfirm: 'fsync',
    atomicMultiQueueEnqueue: true,
    sharedAcrossNodes: false,
  });
  private queues = new Map<string, LevelQueueState>();
  private bodies = new SharedBodyRegistry();
  private dirty: LevelQueueState[] = [];
  private isOpen = false;
  // The recount from the last full scan, valid while nothing has been written since.
  private lastReport: IntegrityReport | undefined;
  // What the last open/reopen found without reading message keys (level-store-load.ts): verifyIntegrity({ quick }).
  private loadReport: IntegrityReport = { ok: true, queues: [], errors: [], quarantined: [] };
  private unhooks: Array<() => void> = [];
  private readonly sharedBodyMinBytes: number;
  private readonly watermark: DeliveryWatermark;
  private readonly compactor: DrainedRangeCompactor;
  private readonly spilled: FileSpill;
  private readonly pacer: IntegrityPacer;
  private readonly bodyLog: BodyLog;
  private readonly bodyLogMinBytes: number;
  private readonly bodyCollectDelayMs: number;
  private collectTimer: NodeJS.Timeout | undefined;
  // Unrecognised body-log records the last load found, reported by every integrity check until the next load.
  private bodyErrors: string[] = [];
  /**
   * Message records (bodies) read so far by recover(), recoverIndex() (messages without an index record) and
   * read(): what proves that a restart reads index records, not the backlog.
   */
  recordsRead = 0;
  /** Body-log segments the opens so far removed because no committed record referred to them (a crash's leftovers). */
  bodyOrphansRemoved = 0;

  /** Creates the store over `database` (shared with the metadata store); call `open()` before use. */
  constructor(
    private readonly database: LevelDatabase,
    options: LevelMessageStoreOptions = {},
  ) {
    this.sharedBodyMinBytes = options.sharedBodyMinBytes ?? 4096;
    this.compactor = new DrainedRangeCompactor(database, options);
    this.spilled = new FileSpill(join(database.path, 'spill'));
    this.bodyLog = new BodyLog(database.path, options);
    this.bodyLogMinBytes = options.bodyLogMinBytes ?? 256;
    this.bodyCollectDelayMs = options.bodyCollectDelayMs ?? 1000;
    this.pacer = new IntegrityPacer(
      database.stats,
      () => database.committer.isIdle,
      () => this.assertUsable(),
      options,
    );
    this.watermark = new DeliveryWatermark(
      Math.max(2, options.deliveryReserve ?? 2048),
      () => this.openGroup(),
      (state) => this.markDirty(state),
    );
  }

  get health(): StorageHealth {
    return this.isOpen ? this.database.health : { status: 'closed' };
  }

  /** What the compaction of drained key ranges has done (drained-range-compactor.ts). */
  get compaction(): Readonly<CompactionStats> {
    return this.compactor.stats;
  }

  /** Batch counters of the underlying database (shared with the metadata store). */
  get stats(): Readonly<CommitStats> {
    return this.database.stats;
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    await this.database.acquire();
    try {
      // Transient bodies a previous run paged out are garbage now (not on reopen: the running broker needs them).
      await wipeLevelSpill(this.database);
      await this.spilled.wipe();
      await this.load();
    } catch (error) {
      await this.database.release();
      throw error;
    }
    this.compactor.open();
    this.unhooks = [
      this.database.committer.addSealHook((ops) => this.writeDirtyCounters(ops)),
      this.database.committer.addWriteBarrier(() => this.bodyLog.beforeWrite()),
      this.database.onReopen(() => this.load()),
    ];
    this.isOpen = true;
    // Segments a crash left dead (their removals committed, their drop not yet).
    this.scheduleCollect();
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.watermark.lowerAll(this.queues.values());
    this.isOpen = false;
    clearTimeout(this.collectTimer);
    this.collectTimer = undefined;
    await this.compactor.close();
    try {
      // Seal hooks must stay registered until the last group (which may hold our counters) is written.
      await this.database.flush();
      await this.saveLiveRuns();
    } catch {
      // The callers of those writes were rejected already; closing continues.
    } finally {
      for (const unhook of this.unhooks) unhook();
      this.unhooks = [];
      await this.spilled.close();
      await this.bodyLog.close();
      await this.database.release();
    }
  }

  async reopen(): Promise<void> {
    if (!this.isOpen) throw this.closedError();
    await this.database.reopen();
  }

  onFault(listener: StorageFaultListener): () => void {
    return this.database.onFault(listener);
  }

  enqueue(entries: ReadonlyArray<EnqueueEntry>): Promise<void> {
    try {
      this.assertUsable();
      if (entries.length === 0) return RESOLVED;
      validateEnqueueEntries(entries, (queueId) => {
        const state = this.queues.get(queueId);
        if (state?.isDeleting) throw new Error(`storage: queue "${queueId}" is being deleted`);
        return state?.counters.nextSeq ?? 0;
      });
      const shared = entries.length > 1 ? this.findSharedBodies(entries) : undefined;
      const group = this.database.beginWrite(2 * entries.length + (shared?.size ?? 0));
      const ops = group.ops;
      for (const { queueId, seq, data, index } of entries) {
        const state = this.stateFor(queueId);
        if (state.enqueueGroup !== group) {
          state.enqueueGroup = group;
          state.enqueueGroupFirstSeq = seq;
        }
        const key = state.messagePrefix + hex16(seq);
        const bodyId = shared?.get(data);
        if (bodyId === undefined) {
          const value = data.length >= this.bodyLogMinBytes ? this.bodyLog.append(data, queueId, seq) : data;
          ops.push({ type: 'put', key, value });
        } else {
          if (this.bodies.addRef(bodyId)) ops.push({ type: 'put', key: bodyKey(bodyId), value: data });
          ops.push({ type: 'put', key: key + '!' + hex16(bodyId), value: EMPTY });
          (state.shared ??= new Map()).set(seq, bodyId);
        }
        if (index !== undefined) {
          ops.push({ type: 'put', key: state.indexPrefix + hex16(seq), value: index });
          state.indexed.add(seq);
        }
        state.live.add(seq);
        state.counters.enqueued++;
        state.counters.nextSeq = seq + 1;
        this.markDirty(state);
      }
      group.needsSync = true;
      this.lastReport = undefined;
      return group.done;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  remove(queueId: string, seqs: ReadonlyArray<number>): Promise<void> {
    try {
      this.assertUsable();
      const state = this.queues.get(queueId);
      if (state === undefined || seqs.length === 0) return RESOLVED;
      return this.removeSeqs(state, seqs).done;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  markDelivered(queueId: string, seqs: ReadonlyArray<number>): void {
    const state = this.queues.get(queueId);
    if (!this.isOpen || state === undefined || seqs.length === 0) return;
    let group;
    try {
      // Opening the group also schedules its flush, so the new high-water mark is written soon even when
      // nothing else is.
      group = this.database.beginWrite(seqs.length);
    } catch {
      return; // faulted or closed: a lost delivery mark only costs a redelivered=false after a crash
    }
    const hwmBefore = state.deliveredHwm;
    let hwm = hwmBefore;
    for (const seq of seqs) {
      if (!state.live.has(seq)) continue;
      if (seq > hwmBefore) {
        // First delivery in FIFO order: covered by the high-water mark, no per-message record.
        if (seq > hwm) hwm = seq;
        continue;
      }
      // At or below the mark: a redelivery (or, with priorities, an out-of-order first delivery counted as one).
      const count = (state.redelivered?.get(seq) ?? 1) + 1;
      (state.redelivered ??= new Map()).set(seq, count);
      group.ops.push({ type: 'put', key: state.deliveryPrefix + hex16(seq), value: encodeDeliveryCount(count) });
    }
    state.deliveredHwm = hwm;
    this.watermark.delivered(state, hwm, group);
    this.lastReport = undefined;
  }

  coverDelivery(queueId: string, seq: number): Promise<void> | undefined {
    const state = this.queues.get(queueId);
    return state === undefined ? undefined : this.watermark.cover(state, seq);
  }

  async *recover(queueId: string): AsyncGenerator<StoredMessage> {
    this.assertUsable();
    await this.database.flush();
    const state = this.queues.get(queueId);
    if (state === undefined) return;
    for await (const message of readQueue(this.database.db, state, this.bodies, this.bodyLog, this.database.path, (seq, reason) =>
      this.quarantine(state, seq, reason),
    )) {
      this.recordsRead++;
      yield message;
    }
  }

  async *recoverIndex(queueId: string): AsyncGenerator<StoredIndexEntry> {
    this.assertUsable();
    await this.database.flush();
    const state = this.queues.get(queueId);
    if (state === undefined) return;
    const quarantine = (seq: number, reason: string): void => this.quarantine(state, seq, reason);
    for await (const entry of readQueueIndex(this.database.db, state, this.bodies, this.bodyLog, this.database.path, quarantine)) {
      if (entry.data !== undefined) this.recordsRead++;
      yield entry;
    }
  }

  async readIndex(queueId: string, fromSeq: number, limit: number, options?: ReadIndexOptions): Promise<StoredIndexEntry[]> {
    this.assertUsable();
    const state = this.queues.get(queueId);
    if (state === undefined || limit <= 0) return [];
    // No flush: a resolved enqueue is on disk, and waiting here for the group in flight would tie a deep queue's
    // consumers to its publishers' commits. Live seqs of a group not committed yet (always the newest) are left out.
    const quarantine = (seq: number, reason: string): void => this.quarantine(state, seq, reason);
    try {
      const entries = await readIndexBatch(
        this.database.db,
        state,
        this.bodies,
        this.bodyLog,
        fromSeq,
        limit,
        quarantine,
        options?.withBodies,
      );
      for (const entry of entries) if (entry.data !== undefined) this.recordsRead++;
      return entries;
    } catch (error) {
      throw fromLevelError(error, 'cannot read', this.database.path);
    }
  }

  /** Holds a damaged message back (recover, read): reported by verifyIntegrity until removed. */
  private quarantine(state: LevelQueueState, seq: number, reason: string): void {
    if (state.quarantined?.has(seq)) return;
    (state.quarantined ??= new Map()).set(seq, reason);
    this.lastReport = undefined;
  }

  async read(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<StoredMessage | undefined>> {
    this.assertUsable();
    const state = this.queues.get(queueId);
    if (state === undefined || seqs.length === 0) return seqs.map(() => undefined);
    const quarantine = (seq: number, reason: string): void => this.quarantine(state, seq, reason);
    try {
      const first = await readMessages(this.database.db, state, this.bodies, this.bodyLog, seqs, quarantine);
      if (first.notYetWritten.length === 0) return this.counted(first.messages);
      // Live but not on disk: accepted into a group not yet committed. Wait for it once, then read those again.
      await this.database.flush();
      const again = first.notYetWritten.map((i) => seqs[i]!);
      const second = await readMessages(this.database.db, state, this.bodies, this.bodyLog, again, quarantine);
      first.notYetWritten.forEach((i, k) => (first.messages[i] = second.messages[k]));
      // Still live and still not on disk after every accepted write committed: its record is gone (open trusts
      // the index records and does not visit message keys, see level-store-load.ts). Damage, never served.
      for (const k of second.notYetWritten) quarantine(again[k]!, 'message record missing (its index record is stored)');
      return this.counted(first.messages);
    } catch (error) {
      throw fromLevelError(error, 'cannot read', this.database.path);
    }
  }

  private counted(messages: Array<StoredMessage | undefined>): Array<StoredMessage | undefined> {
    for (const message of messages) if (message !== undefined) this.recordsRead++;
    return messages;
  }

  spill(entries: ReadonlyArray<EnqueueEntry>): Promise<void> {
    try {
      this.assertUsable();
      return this.spilled.write(entries);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async readSpilled(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<Buffer | undefined>> {
    this.assertUsable();
    const values = await this.spilled.read(queueId, seqs);
    for (const value of values) if (value !== undefined) this.recordsRead++;
    return values;
  }

  dropSpilled(queueId: string, seqs: ReadonlyArray<number>): Promise<void> {
    try {
      this.assertUsable();
      return this.spilled.drop(queueId, seqs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Spilled transient records present (after the pending writes); none right after open. */
  spilledCount(): Promise<number> {
    this.assertUsable();
    return this.spilled.count();
  }

  async queueIds(): Promise<string[]> {
    this.assertUsable();
    return [...this.queues.keys()].sort();
  }

  async queueInfo(queueId: string): Promise<QueueStorageInfo | undefined> {
    this.assertUsable();
    const state = this.queues.get(queueId);
    return state && { nextSeq: state.counters.nextSeq, messageCount: state.live.size };
  }

  async purge(queueId: string): Promise<number> {
    this.assertUsable();
    const state = this.queues.get(queueId);
    if (state === undefined) return 0;
    // Only what was enqueued before the call: publishes racing the purge survive it.
    return this.removeAllBelow(state, state.counters.nextSeq);
  }

  async deleteQueue(queueId: string): Promise<void> {
    this.assertUsable();
    const state = this.queues.get(queueId);
    if (state === undefined) return;
    state.isDeleting = true;
    try {
      await this.removeAllBelow(state, Number.MAX_SAFE_INTEGER);
      const group = this.database.beginWrite(1);
      group.ops.push({ type: 'del', key: state.countersKey });
      this.bodyLog.forgetQueue(queueId, group.ops);
      // Out of the map before the group is sealed: the seal hook skips unknown states, so a pending counters
      // put cannot resurrect the queue after this delete.
      if (this.queues.get(queueId) === state) this.queues.delete(queueId);
      this.lastReport = undefined;
      await group.done;
    } finally {
      state.isDeleting = false;
    }
  }

  async verifyIntegrity(options?: IntegrityCheckOptions): Promise<IntegrityReport> {
    this.assertUsable();
    if (options?.quick === true) return withQuarantine(withErrors(this.loadReport, this.bodyProblems()), this.queues);
    // The broker's run once serving yields to a drain (integrity-pacer.ts); a check asked for directly does not.
    const background = options?.background === true;
    if (background) await this.pacer.whenQuiet();
    await this.database.flush();
    if (this.lastReport !== undefined) return this.lastReport;
    let report: IntegrityReport;
    try {
      report = (await scanLevelStore(this.database.db, undefined, background ? this.pacer.between : undefined)).report;
    } catch (error) {
      throw fromLevelError(error, 'cannot read', this.database.path);
    }
    return withQuarantine(withErrors(report, this.bodyProblems()), this.queues);
  }

  /**
   * A clean close: every queue's stored seqs as runs (level-live-runs.ts), so the next open reads no key per
   * message. Not with shared bodies (their references live in the message keys: that open scans anyway), nor when
   * faulted (what is on disk is not what is in memory).
   */
  private async saveLiveRuns(): Promise<void> {
    this.database.assertUsable();
    if (this.bodies.size > 0) return;
    const record = encodeLiveRuns(this.queues.values());
    if (record !== undefined) await this.database.db.put(LIVE_RUNS_KEY, record, { sync: true });
  }

  /** Rebuilds all in-memory state from disk (open, reopen). */
  private async load(): Promise<void> {
    let scan;
    try {
      scan = await loadLevelStore(this.database.db, !this.database.droppedLogAtOpen);
    } catch (error) {
      throw fromLevelError(error, 'cannot read', this.database.path);
    }
    let bodies;
    try {
      bodies = await this.bodyLog.load(this.database.db);
    } catch (error) {
      throw fromLevelError(error, 'cannot read', this.database.path);
    }
    this.bodyErrors = bodies.errors;
    this.bodyOrphansRemoved += bodies.orphansRemoved;
    carryQuarantine(this.queues, scan.queues);
    this.queues = scan.queues;
    this.bodies = new SharedBodyRegistry(scan.bodyRefs, scan.nextBodyId);
    this.dirty = [];
    // Not the full check (message records are not visited): verifyIntegrity() scans again.
    this.lastReport = undefined;
    this.loadReport = scan.report;
  }

  /** The open commit group, or undefined when nothing can be written (closed, faulted, reopening). */
  private openGroup(): CommitGroup | undefined {
    if (!this.isOpen) return undefined;
    try {
      return this.database.beginWrite(0);
    } catch {
      return undefined;
    }
  }

  private assertUsable(): void {
    if (!this.isOpen) throw this.closedError();
    this.database.assertUsable();
  }

  private closedError(): StorageError {
    return new StorageError('CLOSED', 'storage: message store is closed', { path: this.database.path });
  }

  /** Buffers that this call stores for ≥ 2 entries and that are large enough to share → their new body ids. */
  private findSharedBodies(entries: ReadonlyArray<EnqueueEntry>): Map<Buffer, number> | undefined {
    let counts: Map<Buffer, number> | undefined;
    for (const { data } of entries) {
      if (data.length >= this.sharedBodyMinBytes) (counts ??= new Map()).set(data, (counts.get(data) ?? 0) + 1);
    }
    if (counts === undefined) return undefined;
    let ids: Map<Buffer, number> | undefined;
    for (const [data, count] of counts) if (count >= 2) (ids ??= new Map()).set(data, this.bodies.allocate());
    return ids;
  }

  private stateFor(queueId: string): LevelQueueState {
    let state = this.queues.get(queueId);
    if (state === undefined) this.queues.set(queueId, (state = new LevelQueueState(queueId)));
    return state;
  }

  private markDirty(state: LevelQueueState): void {
    if (state.isDirty) return;
    state.isDirty = true;
    this.dirty.push(state);
  }

  /** Seal hook: one counters record per queue changed in the group being sealed, and the body log's seq ranges. */
  private writeDirtyCounters(ops: LevelBatchOp[]): void {
    this.bodyLog.writeRanges(ops);
    for (const state of this.dirty) {
      state.isDirty = false;
      if (this.queues.get(state.queueId) !== state) continue;
      ops.push({ type: 'put', key: state.countersKey, value: encodeCounters(state.counters) });
    }
    this.dirty = [];
  }

  /** Removes the given seqs in bounded steps; the result resolves when all of them are written. */
  private removeSeqs(state: LevelQueueState, seqs: ReadonlyArray<number>): { removed: number; done: Promise<void> } {
    let removed = 0;
    const dones = new Set<Promise<void>>();
    for (let start = 0; start < seqs.length; start += REMOVE_CHUNK) {
      const end = Math.min(seqs.length, start + REMOVE_CHUNK);
      // Reserve before changing anything, so a size-cap seal cannot put these counters in the previous batch.
      const group = this.database.beginWrite(this.removeOpsBound(state, seqs, start, end));
      let chunkRemoved = 0;
      for (let i = start; i < end; i++) chunkRemoved += this.removeOne(state, seqs[i]!, group.ops);
      if (chunkRemoved > 0) {
        removed += chunkRemoved;
        this.scheduleCollect();
        this.compactor.removed(state, chunkRemoved);
        this.markDirty(state);
        this.lastReport = undefined;
      }
      dones.add(group.done);
    }
    const done = dones.size === 1 ? dones.values().next().value! : Promise.all(dones).then(() => undefined);
    return { removed, done };
  }

  /** Upper bound of the ops removing seqs[start, end) produces. */
  private removeOpsBound(state: LevelQueueState, seqs: ReadonlyArray<number>, start: number, end: number): number {
    let ops = 0;
    for (let i = start; i < end; i++) {
      const seq = seqs[i]!;
      if (!state.live.has(seq)) continue;
      ops += 1 + (state.shared?.has(seq) ? 1 : 0) + (state.redelivered?.has(seq) ? 1 : 0) + (state.indexed.has(seq) ? 1 : 0);
    }
    return ops;
  }

  /** Removes one seq if stored; returns 1 if it was. */
  private removeOne(state: LevelQueueState, seq: number, ops: LevelBatchOp[]): number {
    if (!state.live.delete(seq)) return 0;
    // Formatted once for the message, index and delivery keys: this runs for every acked message.
    const hex = hex16(seq);
    const key = state.messagePrefix + hex;
    const bodyId = state.shared?.get(seq);
    if (bodyId === undefined) {
      ops.push({ type: 'del', key });
    } else {
      ops.push({ type: 'del', key: key + '!' + hex16(bodyId) });
      state.shared!.delete(seq);
      if (this.bodies.release(bodyId)) ops.push({ type: 'del', key: bodyKey(bodyId) });
    }
    if (state.redelivered?.delete(seq)) ops.push({ type: 'del', key: state.deliveryPrefix + hex });
    if (state.indexed.delete(seq)) ops.push({ type: 'del', key: state.indexPrefix + hex });
    if (state.quarantined?.delete(seq)) this.lastReport = undefined;
    state.counters.removed++;
    return 1;
  }

  /** Looks for body-log segments to drop a little later: once per burst of removals, not per removal. */
  private scheduleCollect(): void {
    if (this.collectTimer !== undefined || !this.isOpen) return;
    this.collectTimer = setTimeout(() => this.collectBodies(), this.bodyCollectDelayMs);
    this.collectTimer.unref();
  }

  /** Drops the body-log segments no queue stores a seq in any more (body-log.ts). */
  private collectBodies(): void {
    this.collectTimer = undefined;
    const group = this.openGroup();
    if (group === undefined) return;
    const dropped = this.bodyLog.collect(
      (queueId, lo, hi) => this.queues.get(queueId)?.live.hasAnyIn(lo, hi) ?? false,
      group.ops,
      group.done,
    );
    if (dropped === 0) return;
    this.lastReport = undefined;
    // The files are unlinked once this batch is written: it must be durable by then, and so must the removals
    // before it, or a power loss could bring back messages whose bodies are gone.
    group.needsSync = true;
  }

  /** What the integrity checks report of the body log: what its load found, and segments named but missing. */
  private bodyProblems(): string[] {
    const missing = this.bodyLog.problems();
    return this.bodyErrors.length === 0 ? missing : [...this.bodyErrors, ...missing];
  }

  /** Body-log segments held (tests: a drained backlog gives its files back). */
  get bodySegmentCount(): number {
    return this.bodyLog.segmentCount;
  }

  /** Removes every stored seq below `limit`, yielding to the event loop between chunks. */
  private async removeAllBelow(state: LevelQueueState, limit: number): Promise<number> {
    let removed = 0;
    const dones: Promise<void>[] = [];
    for (;;) {
      this.assertUsable();
      const seqs = state.live.first(REMOVE_CHUNK, limit);
      if (seqs.length === 0) break;
      const result = this.removeSeqs(state, seqs);
      removed += result.removed;
      dones.push(result.done);
      // A 1M-message purge must not freeze every connection: yield between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(dones);
    return removed;
  }
}

/** `report` with `errors` added (none: the same report). */
function withErrors(report: IntegrityReport, errors: ReadonlyArray<string>): IntegrityReport {
  return errors.length === 0 ? report : { ...report, ok: false, errors: [...report.errors, ...errors] };
}
