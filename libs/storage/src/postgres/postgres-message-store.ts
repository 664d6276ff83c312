import { validateEnqueueEntries } from '../enqueue-validation.js';
import type {
  EnqueueEntry,
  IntegrityReport,
  MessageStore,
  QueueStorageInfo,
  StorageCapabilities,
  StoredIndexEntry,
  StoredMessage,
} from '../message-store.js';
import { StorageError } from '../storage-error.js';
import type { StorageFaultListener, StorageHealth } from '../storage-health.js';
import type { PostgresDatabase } from './postgres-database.js';
import { decodeText } from './postgres-errors.js';
import { checkPostgresIntegrity } from './postgres-integrity.js';
import {
  readPostgresIndexPage,
  readPostgresMessages,
  readPostgresQueue,
  readPostgresQueueIndex,
  withoutRemovedMeanwhile,
} from './postgres-message-reader.js';
import { deleteMessages, messageCommitHooks } from './postgres-message-writes.js';
import { PostgresQueueState } from './postgres-queue-state.js';
import { findSharedBodies } from './postgres-shared-bodies.js';
import { PostgresSpill } from './postgres-spill.js';
import type { PostgresWriteGroup } from './postgres-write-group.js';

/** Options of {@link PostgresMessageStore}. */
export interface PostgresMessageStoreOptions {
  /** Bodies at least this large that one enqueue() stores for several queues are stored once; default 4096. */
  sharedBodyMinBytes?: number;
  /**
   * How far the durable delivered watermark is reserved ahead of deliveries (coverDelivery), default 2048: one
   * update per half of it, and about this many never-delivered messages per queue come back flagged after a crash.
   */
  deliveryReserve?: number;
}

const RESOLVED = Promise.resolve();
const ignore = (): undefined => undefined;
/** A value that can be a stored seq (a bigint column): anything else is simply not stored. */
const isSeq = (seq: number): boolean => Number.isSafeInteger(seq) && seq >= 0;

/**
 * {@link MessageStore} over PostgreSQL (schema: postgres-schema.ts). Writes go through the database's group
 * commit (one transaction per batch); reads query the database directly after pending writes have committed.
 *
 * @remarks
 * Per queue, memory holds only the seq counter, the watermark reservation and quarantined seqs
 * (PostgresQueueState), loaded at open and reopen; messages, counters and delivery counts are rows. Removals are
 * idempotent and exactly counted by the database itself (`DELETE … RETURNING` updates the counters in the same
 * statement). Delivery marks are per-message count updates, batched and lazy; the watermark reserved by
 * coverDelivery flags what a crash may have delivered, and a clean close lowers it back.
 */
export class PostgresMessageStore implements MessageStore {
  readonly capabilities: StorageCapabilities = Object.freeze({
    durableConfirm: 'fsync',
    atomicMultiQueueEnqueue: true,
    // Not yet: seq counters and unacked state live in one broker's memory, so a broker locks its schema (a second
    // one is refused with LOCKED). Multi-node claims and leases will make this true.
    sharedAcrossNodes: false,
  });
  private queues = new Map<string, PostgresQueueState>();
  private isOpen = false;
  private unhooks: Array<() => void> = [];
  private readonly sharedBodyMinBytes: number;
  private readonly reserve: number;
  private readonly spilled: PostgresSpill;

  /** Creates the store over `database` (shared with the metadata store); call `open()` before use. */
  constructor(
    private readonly database: PostgresDatabase,
    options: PostgresMessageStoreOptions = {},
  ) {
    this.sharedBodyMinBytes = options.sharedBodyMinBytes ?? 4096;
    this.reserve = Math.max(2, options.deliveryReserve ?? 2048);
    this.spilled = new PostgresSpill(database);
  }

  get health(): StorageHealth {
    return this.isOpen ? this.database.health : { status: 'closed' };
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    await this.database.acquire();
    try {
      await this.load();
      await this.spilled.wipe();
    } catch (error) {
      await this.database.release();
      throw error;
    }
    this.unhooks = [this.database.addCommitHooks(messageCommitHooks(this.database.tables)), this.database.onReopen(() => this.load())];
    this.isOpen = true;
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.lowerWatermarks();
    this.spilled.dropAll();
    this.isOpen = false;
    try {
      await this.database.flush();
    } finally {
      for (const unhook of this.unhooks) unhook();
      this.unhooks = [];
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
        return state?.nextSeq ?? 0;
      });
      const shared = entries.length > 1 ? findSharedBodies(entries, this.sharedBodyMinBytes) : undefined;
      const group = this.database.beginWrite();
      for (const { queueId, seq, data, index } of entries) {
        const state = this.stateFor(queueId);
        if (state.enqueueGroup !== group) {
          state.enqueueGroup = group;
          state.enqueueGroupFirstSeq = seq;
        }
        const body = shared?.get(data);
        if (body === undefined) {
          group.messageData.push(data);
          group.messageBodies.push(null);
          group.bytes += data.length;
        } else {
          if (!body.isWritten) {
            body.isWritten = true;
            group.bodyIds.push(body.id);
            group.bodyRefs.push(body.refs);
            group.bodyData.push(data);
            group.bytes += data.length;
          }
          group.messageData.push(null);
          group.messageBodies.push(body.id);
        }
        group.messageQueues.push(state.key);
        group.messageSeqs.push(seq);
        group.messageIndexes.push(index ?? null);
        const counts = group.enqueued.get(state.key);
        if (counts === undefined) group.enqueued.set(state.key, { count: 1, nextSeq: seq + 1 });
        else {
          counts.count++;
          counts.nextSeq = seq + 1;
        }
        state.nextSeq = seq + 1;
      }
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
      const group = this.database.beginWrite();
      const t = this.database.tables;
      const rows = group.appendTo('remove', () => {
        const rows = { queues: [] as string[], seqs: [] as number[] };
        const where = 'USING unnest($1::text[], $2::bigint[]) AS x(id, seq) WHERE m.queue_id = x.id AND m.seq = x.seq';
        return { rows, step: (client) => deleteMessages(client, t, where, [rows.queues, rows.seqs]).then(() => undefined) };
      });
      for (const seq of seqs) {
        // Not a seq at all: unknown, so ignored (it must not fail the batch it would join).
        if (!isSeq(seq)) continue;
        rows.queues.push(state.key);
        rows.seqs.push(seq);
        state.quarantined?.delete(seq);
        if (state.readers > 0) (state.removedWhileReading ??= new Set()).add(seq);
      }
      return group.done;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  markDelivered(queueId: string, seqs: ReadonlyArray<number>): void {
    const state = this.queues.get(queueId);
    if (!this.isOpen || state === undefined || seqs.length === 0) return;
    let group: PostgresWriteGroup;
    try {
      group = this.database.beginWrite();
    } catch {
      return; // faulted or closed: a lost mark only costs a redelivered=false after a crash
    }
    let marks = group.marks.get(state.key);
    if (marks === undefined) group.marks.set(state.key, (marks = new Map()));
    for (const seq of seqs) if (isSeq(seq)) marks.set(seq, (marks.get(seq) ?? 0) + 1);
  }

  coverDelivery(queueId: string, seq: number): Promise<void> | undefined {
    const state = this.queues.get(queueId);
    if (state === undefined || !this.isOpen) return undefined;
    if (seq <= state.durableHwm) {
      // Reserve again before the durable part runs out, so a consumer keeping pace never waits.
      if (state.reservedHwm - seq < this.reserve / 2) this.reserveWatermark(state, seq);
      return undefined;
    }
    const group = this.reserveWatermark(state, seq);
    if (group === undefined) return undefined; // nothing can be written (MessageStore.coverDelivery remarks)
    // The message's own insert is in the same pending transaction: a crash keeps both or neither.
    if (state.enqueueGroup === group && seq >= state.enqueueGroupFirstSeq) return undefined;
    return state.reservationDone;
  }

  async *recover(queueId: string): AsyncGenerator<StoredMessage> {
    this.assertUsable();
    await this.database.flush();
    const state = this.queues.get(queueId);
    if (state === undefined) return;
    yield* withoutRemovedMeanwhile(
      state,
      readPostgresQueue(this.database, state, (seq, reason) => this.quarantine(state, seq, reason)),
    );
  }

  async *recoverIndex(queueId: string): AsyncGenerator<StoredIndexEntry> {
    this.assertUsable();
    await this.database.flush();
    const state = this.queues.get(queueId);
    if (state === undefined) return;
    yield* withoutRemovedMeanwhile(
      state,
      readPostgresQueueIndex(this.database, state, (seq, reason) => this.quarantine(state, seq, reason)),
    );
  }

  async readIndex(queueId: string, fromSeq: number, limit: number): Promise<StoredIndexEntry[]> {
    this.assertUsable();
    const state = this.queues.get(queueId);
    if (state === undefined || limit <= 0) return [];
    // Accepted removals and enqueues are written first: the read sees exactly what was accepted before the call.
    await this.database.flush();
    const quarantine = (seq: number, reason: string): void => this.quarantine(state, seq, reason);
    const out: StoredIndexEntry[] = [];
    for (let after = fromSeq - 1; out.length < limit;) {
      const page = await readPostgresIndexPage(this.database, state, after, limit - out.length, quarantine);
      out.push(...page.entries);
      if (page.rows < limit - (out.length - page.entries.length)) break;
      after = page.lastSeq;
    }
    return out;
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
    return this.spilled.read(queueId, seqs);
  }

  dropSpilled(queueId: string, seqs: ReadonlyArray<number>): Promise<void> {
    try {
      this.assertUsable();
      return this.spilled.drop(queueId, seqs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async read(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<StoredMessage | undefined>> {
    this.assertUsable();
    const state = this.queues.get(queueId);
    if (state === undefined || seqs.length === 0) return seqs.map(() => undefined);
    await this.database.flush();
    return readPostgresMessages(this.database, state, seqs, (seq, reason) => this.quarantine(state, seq, reason));
  }

  async queueIds(): Promise<string[]> {
    this.assertUsable();
    return [...this.queues.keys()].sort();
  }

  async queueInfo(queueId: string): Promise<QueueStorageInfo | undefined> {
    this.assertUsable();
    const state = this.queues.get(queueId);
    if (state === undefined) return undefined;
    await this.database.flush();
    const { rows } = await this.database.query<{ count: string }>(
      `SELECT enqueued - removed AS count FROM ${this.database.tables.queues} WHERE queue_id = $1`,
      [state.key],
    );
    return { nextSeq: state.nextSeq, messageCount: Number(rows[0]?.count ?? 0) };
  }

  async purge(queueId: string): Promise<number> {
    this.assertUsable();
    const state = this.queues.get(queueId);
    if (state === undefined) return 0;
    // Only what was enqueued before the call: publishes racing the purge survive it.
    const below = state.nextSeq;
    if (state.readers > 0) state.purgedWhileReading = Math.max(state.purgedWhileReading, below);
    for (const seq of state.quarantined?.keys() ?? []) if (seq < below) state.quarantined!.delete(seq);
    let removed = 0;
    const group = this.database.beginWrite();
    const t = this.database.tables;
    group.addStep(async (client) => {
      removed = await deleteMessages(client, t, 'WHERE m.queue_id = $1 AND m.seq < $2', [state.key, below]);
    });
    await group.done;
    return removed;
  }

  async deleteQueue(queueId: string): Promise<void> {
    this.assertUsable();
    const state = this.queues.get(queueId);
    if (state === undefined) return;
    state.isDeleting = true;
    if (state.readers > 0) state.purgedWhileReading = Number.MAX_SAFE_INTEGER;
    const t = this.database.tables;
    try {
      const group = this.database.beginWrite();
      group.addStep(async (client) => {
        await deleteMessages(client, t, 'WHERE m.queue_id = $1', [state.key]);
        await client.query(`DELETE FROM ${t.queues} WHERE queue_id = $1`, [state.key]);
      });
      await group.done;
      if (this.queues.get(queueId) === state) this.queues.delete(queueId);
    } finally {
      state.isDeleting = false;
    }
  }

  async verifyIntegrity(): Promise<IntegrityReport> {
    this.assertUsable();
    await this.database.flush();
    return checkPostgresIntegrity(this.database, this.queues);
  }

  /** Rebuilds the per-queue state from the database (open, reopen); quarantined seqs carry over. */
  private async load(): Promise<void> {
    const { rows } = await this.database.query<{ queue_id: string; next_seq: string; delivered_hwm: string }>(
      `SELECT queue_id, next_seq, delivered_hwm FROM ${this.database.tables.queues}`,
    );
    const queues = new Map<string, PostgresQueueState>();
    for (const row of rows) {
      const state = new PostgresQueueState(decodeText(row.queue_id));
      state.nextSeq = Number(row.next_seq);
      state.durableHwm = state.reservedHwm = Number(row.delivered_hwm);
      // A reservation runs ahead of the enqueues: seqs not yet used at the crash cannot have been delivered.
      state.openHwm = Math.min(state.durableHwm, state.nextSeq - 1);
      state.quarantined = this.queues.get(state.queueId)?.quarantined;
      queues.set(state.queueId, state);
    }
    this.queues = queues;
  }

  /** Raises the reservation to `seq` + the reserve unless it still covers half of that; returns the open group. */
  private reserveWatermark(state: PostgresQueueState, seq: number): PostgresWriteGroup | undefined {
    let group: PostgresWriteGroup;
    try {
      group = this.database.beginWrite();
    } catch {
      return undefined;
    }
    if (state.reservedHwm - seq >= this.reserve / 2) return group;
    const target = seq + this.reserve;
    state.reservedHwm = target;
    group.watermarks.set(state.key, target);
    const done = group.done.then(() => {
      if (state.durableHwm < target) state.durableHwm = target;
    });
    done.catch(ignore);
    state.reservationDone = done;
    return group;
  }

  /** At a clean close: back to what an earlier crash left, so a clean restart flags nothing undelivered. */
  private lowerWatermarks(): void {
    for (const state of this.queues.values()) {
      if (state.reservedHwm <= state.openHwm) continue;
      let group: PostgresWriteGroup;
      try {
        group = this.database.beginWrite();
      } catch {
        return; // faulted: the reservations stay, which over-flags at worst
      }
      group.lowered.set(state.key, state.openHwm);
    }
  }

  /** Holds a damaged message back (recover, read): reported by verifyIntegrity until removed. */
  private quarantine(state: PostgresQueueState, seq: number, reason: string): void {
    if (!state.quarantined?.has(seq)) (state.quarantined ??= new Map()).set(seq, reason);
  }

  private assertUsable(): void {
    if (!this.isOpen) throw this.closedError();
    this.database.assertUsable();
  }

  private closedError(): StorageError {
    return new StorageError('CLOSED', 'storage: message store is closed', { path: this.database.location });
  }

  private stateFor(queueId: string): PostgresQueueState {
    let state = this.queues.get(queueId);
    if (state === undefined) this.queues.set(queueId, (state = new PostgresQueueState(queueId)));
    return state;
  }
}
