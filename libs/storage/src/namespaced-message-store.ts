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
} from './message-store.js';
import type { StorageFaultListener, StorageHealth } from './storage-health.js';

/**
 * A {@link MessageStore} seen through a queue-id prefix: every queue id the caller passes is stored as
 * `prefix + queueId`, and `queueIds()` and integrity reports list only (unprefixed) ids under the prefix.
 *
 * Multi-node mode gives each node its own prefix (its name) in the shared store: until messages are claimed across
 * nodes, each node's queues keep the messages published through that node, with that node's seq counters, so two
 * nodes never write the same (queue, seq) and a node's start-up recovers, or garbage-collects, only its own.
 */
export class NamespacedMessageStore implements MessageStore {
  constructor(
    private readonly inner: MessageStore,
    private readonly prefix: string,
  ) {}

  get capabilities(): StorageCapabilities {
    return this.inner.capabilities;
  }

  get health(): StorageHealth {
    return this.inner.health;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  reopen(): Promise<void> {
    return this.inner.reopen();
  }

  onFault(listener: StorageFaultListener): () => void {
    return this.inner.onFault(listener);
  }

  enqueue(entries: ReadonlyArray<EnqueueEntry>): Promise<void> {
    // Spread copies keep `data` the same Buffer object, so a body routed to several queues is still stored once.
    return this.inner.enqueue(entries.map((entry) => ({ ...entry, queueId: this.prefix + entry.queueId })));
  }

  remove(queueId: string, seqs: ReadonlyArray<number>): Promise<void> {
    return this.inner.remove(this.prefix + queueId, seqs);
  }

  markDelivered(queueId: string, seqs: ReadonlyArray<number>): void {
    this.inner.markDelivered(this.prefix + queueId, seqs);
  }

  coverDelivery(queueId: string, seq: number): Promise<void> | undefined {
    return this.inner.coverDelivery(this.prefix + queueId, seq);
  }

  async *recover(queueId: string): AsyncIterable<StoredMessage> {
    for await (const message of this.inner.recover(this.prefix + queueId)) yield { ...message, queueId };
  }

  async *recoverIndex(queueId: string): AsyncIterable<StoredIndexEntry> {
    for await (const entry of this.inner.recoverIndex(this.prefix + queueId)) yield { ...entry, queueId };
  }

  async readIndex(queueId: string, fromSeq: number, limit: number, options?: ReadIndexOptions): Promise<StoredIndexEntry[]> {
    const entries = await this.inner.readIndex(this.prefix + queueId, fromSeq, limit, options);
    return entries.map((entry) => ({ ...entry, queueId }));
  }

  async read(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<StoredMessage | undefined>> {
    const messages = await this.inner.read(this.prefix + queueId, seqs);
    return messages.map((message) => message && { ...message, queueId });
  }

  spill(entries: ReadonlyArray<EnqueueEntry>): Promise<void> {
    return this.inner.spill(entries.map((entry) => ({ ...entry, queueId: this.prefix + entry.queueId })));
  }

  readSpilled(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<Buffer | undefined>> {
    return this.inner.readSpilled(this.prefix + queueId, seqs);
  }

  dropSpilled(queueId: string, seqs: ReadonlyArray<number>): Promise<void> {
    return this.inner.dropSpilled(this.prefix + queueId, seqs);
  }

  async queueIds(): Promise<string[]> {
    return (await this.inner.queueIds()).filter((id) => id.startsWith(this.prefix)).map((id) => id.slice(this.prefix.length));
  }

  queueInfo(queueId: string): Promise<QueueStorageInfo | undefined> {
    return this.inner.queueInfo(this.prefix + queueId);
  }

  purge(queueId: string): Promise<number> {
    return this.inner.purge(this.prefix + queueId);
  }

  deleteQueue(queueId: string): Promise<void> {
    return this.inner.deleteQueue(this.prefix + queueId);
  }

  async verifyIntegrity(options?: IntegrityCheckOptions): Promise<IntegrityReport> {
    const report = await this.inner.verifyIntegrity(options);
    const own = <T extends { queueId: string }>(items: readonly T[]): T[] =>
      items
        .filter((item) => item.queueId.startsWith(this.prefix))
        .map((item) => ({ ...item, queueId: item.queueId.slice(this.prefix.length) }));
    const queues = own(report.queues);
    const quarantined = own(report.quarantined);
    return {
      ok: queues.length === 0 && quarantined.length === 0 && report.errors.length === 0,
      queues,
      errors: report.errors,
      quarantined,
    };
  }
}
