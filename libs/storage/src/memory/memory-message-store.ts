import type {
  EnqueueEntry,
  IntegrityMismatch,
  IntegrityReport,
  MessageStore,
  QuarantinedMessage,
  QueueStorageInfo,
  StorageCapabilities,
  ReadIndexOptions,
  StoredIndexEntry,
  StoredMessage,
} from '../message-store.js';
import { validateEnqueueEntries } from '../enqueue-validation.js';
import { checkMessageRecord } from '../message-record.js';
import { StorageError, storageErrorFrom } from '../storage-error.js';
import type { StorageFaultListener, StorageHealth } from '../storage-health.js';

/** Options of {@link MemoryMessageStore}. */
export interface MemoryMessageStoreOptions {
  /** Test seam: called before each write; returning an error makes that write fail and faults the store. */
  writeFault?: () => Error | undefined;
}

interface MemoryMessage {
  readonly data: Buffer;
  readonly index: Buffer | undefined;
  deliveryCount: number;
  /** Why recover() held it back, once its record failed its checksum. */
  damage?: string;
}

interface MemoryQueue {
  nextSeq: number;
  enqueued: number;
  removed: number;
  /** Insertion order is seq order because seqs only grow; recover() relies on it. */
  readonly messages: Map<number, MemoryMessage>;
}

const RESOLVED = Promise.resolve();

/**
 * {@link MessageStore} in process memory (`durableConfirm: 'none'`): for transient deployments and fast tests.
 * Same semantics as the LevelDB store except durability and batching: writes apply at once and resolve on a
 * microtask. Bodies routed to several queues are shared by reference (the same Buffer), which is free here.
 * State survives close()/open() of the same instance, not a new instance.
 */
export class MemoryMessageStore implements MessageStore {
  readonly capabilities: StorageCapabilities = Object.freeze({
    durableConfirm: 'none',
    atomicMultiQueueEnqueue: true,
    sharedAcrossNodes: false,
  });
  private readonly queues = new Map<string, MemoryQueue>();
  /** Spilled transient records (the broker does not page to this store: it would gain nothing). */
  private readonly spilled = new Map<string, Map<number, Buffer>>();
  private readonly faultListeners = new Set<StorageFaultListener>();
  private isOpen = false;
  private fault: StorageError | undefined;

  /** Creates an empty store; call `open()` before use. */
  constructor(private readonly options: MemoryMessageStoreOptions = {}) {}

  get health(): StorageHealth {
    if (!this.isOpen) return { status: 'closed' };
    return this.fault === undefined ? { status: 'ok' } : { status: 'faulted', error: this.fault };
  }

  async open(): Promise<void> {
    this.isOpen = true;
  }

  async close(): Promise<void> {
    this.isOpen = false;
    // Spilled records never outlive the broker that wrote them.
    this.spilled.clear();
    this.fault = undefined;
  }

  async reopen(): Promise<void> {
    this.assertOpen();
    this.fault = undefined;
  }

  onFault(listener: StorageFaultListener): () => void {
    this.faultListeners.add(listener);
    return () => this.faultListeners.delete(listener);
  }

  enqueue(entries: ReadonlyArray<EnqueueEntry>): Promise<void> {
    try {
      this.assertUsable();
      if (entries.length === 0) return RESOLVED;
      validateEnqueueEntries(entries, (queueId) => this.queues.get(queueId)?.nextSeq ?? 0);
      this.checkWriteFault();
      for (const { queueId, seq, data, index } of entries) {
        let queue = this.queues.get(queueId);
        if (queue === undefined) {
          queue = { nextSeq: 0, enqueued: 0, removed: 0, messages: new Map() };
          this.queues.set(queueId, queue);
        }
        queue.messages.set(seq, { data, index, deliveryCount: 0 });
        queue.enqueued++;
        queue.nextSeq = seq + 1;
      }
      return RESOLVED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  remove(queueId: string, seqs: ReadonlyArray<number>): Promise<void> {
    try {
      this.assertUsable();
      const queue = this.queues.get(queueId);
      if (queue === undefined || seqs.length === 0) return RESOLVED;
      this.checkWriteFault();
      for (const seq of seqs) if (queue.messages.delete(seq)) queue.removed++;
      return RESOLVED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  markDelivered(queueId: string, seqs: ReadonlyArray<number>): void {
    if (!this.isOpen || this.fault !== undefined) return;
    const messages = this.queues.get(queueId)?.messages;
    if (messages === undefined) return;
    for (const seq of seqs) {
      const message = messages.get(seq);
      if (message !== undefined) message.deliveryCount++;
    }
  }

  async *recover(queueId: string): AsyncGenerator<StoredMessage> {
    this.assertUsable();
    const messages = this.queues.get(queueId)?.messages;
    if (messages === undefined) return;
    // Map iteration skips entries deleted meanwhile, like the LevelDB store skips removed seqs.
    for (const [seq, message] of messages) {
      // Bytes in memory rot too (and parity with the disk stores): the same check, the same quarantine.
      message.damage ??= checkMessageRecord(message.data);
      if (message.damage !== undefined) continue;
      const { data, deliveryCount } = message;
      yield { queueId, seq, data, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 };
    }
  }

  async *recoverIndex(queueId: string): AsyncGenerator<StoredIndexEntry> {
    this.assertUsable();
    const messages = this.queues.get(queueId)?.messages;
    if (messages === undefined) return;
    for (const [seq, message] of messages) {
      const { index, deliveryCount } = message;
      if (index !== undefined && checkMessageRecord(index) === undefined) {
        yield { queueId, seq, index, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 };
        continue;
      }
      // No intact index record: the full record, checked like recover() checks it.
      message.damage ??= checkMessageRecord(message.data);
      if (message.damage !== undefined) continue;
      yield { queueId, seq, data: message.data, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 };
    }
  }

  async readIndex(queueId: string, fromSeq: number, limit: number, options?: ReadIndexOptions): Promise<StoredIndexEntry[]> {
    this.assertUsable();
    const queue = this.queues.get(queueId);
    const out: StoredIndexEntry[] = [];
    if (queue === undefined || limit <= 0) return out;
    const { messages, nextSeq } = queue;
    // Step through seqs while the range is dense, else one pass over the map (kept in seq order).
    const seqs =
      nextSeq - fromSeq <= 4 * messages.size
        ? (function* () {
            for (let seq = fromSeq; seq < nextSeq; seq++) if (messages.has(seq)) yield seq;
          })()
        : messages.keys();
    for (const seq of seqs) {
      if (seq < fromSeq) continue;
      const message = messages.get(seq)!;
      const { index, deliveryCount } = message;
      // With bodies asked for, the record itself: it is at hand.
      if (!options?.withBodies && index !== undefined && checkMessageRecord(index) === undefined) {
        out.push({ queueId, seq, index, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 });
      } else {
        message.damage ??= checkMessageRecord(message.data);
        if (message.damage !== undefined) continue;
        out.push({ queueId, seq, data: message.data, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 });
      }
      if (out.length >= limit) break;
    }
    return out;
  }

  async read(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<StoredMessage | undefined>> {
    this.assertUsable();
    const messages = this.queues.get(queueId)?.messages;
    return seqs.map((seq) => {
      const message = messages?.get(seq);
      if (message === undefined) return undefined;
      message.damage ??= checkMessageRecord(message.data);
      if (message.damage !== undefined) return undefined;
      const { data, deliveryCount } = message;
      return { queueId, seq, data, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 };
    });
  }

  spill(entries: ReadonlyArray<EnqueueEntry>): Promise<void> {
    try {
      this.assertUsable();
      for (const { queueId, seq, data } of entries) {
        let spilled = this.spilled.get(queueId);
        if (spilled === undefined) this.spilled.set(queueId, (spilled = new Map()));
        spilled.set(seq, data);
      }
      return RESOLVED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async readSpilled(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<Buffer | undefined>> {
    this.assertUsable();
    const spilled = this.spilled.get(queueId);
    return seqs.map((seq) => {
      const data = spilled?.get(seq);
      return data !== undefined && checkMessageRecord(data) === undefined ? data : undefined;
    });
  }

  async dropSpilled(queueId: string, seqs: ReadonlyArray<number>): Promise<void> {
    this.assertUsable();
    const spilled = this.spilled.get(queueId);
    if (spilled === undefined) return;
    for (const seq of seqs) spilled.delete(seq);
    if (spilled.size === 0) this.spilled.delete(queueId);
  }

  coverDelivery(): Promise<void> | undefined {
    // Marks apply at once and nothing survives the process: every delivery is covered.
    return undefined;
  }

  async queueIds(): Promise<string[]> {
    this.assertUsable();
    return [...this.queues.keys()].sort();
  }

  async queueInfo(queueId: string): Promise<QueueStorageInfo | undefined> {
    this.assertUsable();
    const queue = this.queues.get(queueId);
    return queue && { nextSeq: queue.nextSeq, messageCount: queue.messages.size };
  }

  async purge(queueId: string): Promise<number> {
    this.assertUsable();
    const queue = this.queues.get(queueId);
    if (queue === undefined) return 0;
    this.checkWriteFault();
    const count = queue.messages.size;
    queue.messages.clear();
    queue.removed += count;
    return count;
  }

  async deleteQueue(queueId: string): Promise<void> {
    this.assertUsable();
    if (!this.queues.has(queueId)) return;
    this.checkWriteFault();
    this.queues.delete(queueId);
  }

  async verifyIntegrity(): Promise<IntegrityReport> {
    this.assertUsable();
    const queues: IntegrityMismatch[] = [];
    for (const [queueId, queue] of this.queues) {
      const expected = queue.enqueued - queue.removed;
      if (expected !== queue.messages.size) queues.push({ queueId, expected, found: queue.messages.size });
    }
    const quarantined: QuarantinedMessage[] = [];
    for (const queueId of [...this.queues.keys()].sort()) {
      for (const [seq, { damage }] of this.queues.get(queueId)!.messages)
        if (damage !== undefined) quarantined.push({ queueId, seq, reason: damage });
    }
    return { ok: queues.length === 0 && quarantined.length === 0, queues, errors: [], quarantined };
  }

  private assertOpen(): void {
    if (!this.isOpen) throw new StorageError('CLOSED', 'storage: message store is closed');
  }

  private assertUsable(): void {
    this.assertOpen();
    if (this.fault !== undefined) throw this.fault;
  }

  private checkWriteFault(): void {
    const error = this.options.writeFault?.();
    if (error === undefined) return;
    this.fault = storageErrorFrom(error, 'write failed');
    for (const listener of this.faultListeners) {
      try {
        listener(this.fault);
      } catch {
        // A broken alarm handler must not stop the others.
      }
    }
    throw this.fault;
  }
}
