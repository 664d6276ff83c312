import { decodeFieldTable, encodeFieldTable, type FieldTable } from '@app/codec';
import type {
  EnqueueEntry,
  MessageStore,
  MetadataRecord,
  MetadataStore,
  ReadIndexOptions,
  StoredIndexEntry,
  StoredMessage,
} from '@app/storage';
import type { Queue, QueueOptions, QueueStorage } from '../queue/queue.js';
import type { QueueSpillStore } from '../queue/queue-spill.js';

/** A durable queue as stored in the metadata store. */
export interface QueueRecord {
  vhost: string;
  name: string;
  options: QueueOptions;
}

interface QueueRecordValue {
  vhost: string;
  name: string;
  autoDelete: boolean;
  arguments: string;
}

const ignore = (): undefined => undefined;

/**
 * The broker's view of its storage ports: queue records in the MetadataStore, persistent messages of durable
 * queues in the MessageStore. Message-path calls (remove, markDelivered) are fire-and-forget: the store batches
 * them into its group commit, and a lost removal only causes a redelivery after a crash.
 */
export class BrokerStorage implements QueueStorage, QueueSpillStore {
  /** Hears the bytes of each batch handed to the store, stored or spilled (the broker re-checks free disk space after large writes). */
  onEnqueued?: (bytes: number) => void;

  constructor(
    readonly messages: MessageStore,
    readonly metadata: MetadataStore,
  ) {}

  /** Settled messages leave the store. */
  remove(queueId: string, seqs: readonly number[]): void {
    // Failures surface through the store's fault state (and the next enqueue's nack), not here.
    this.messages.remove(queueId, seqs).catch(ignore);
  }

  /** Delivery counts of delivered messages (lazy). */
  markDelivered(queueId: string, seqs: readonly number[]): void {
    this.messages.markDelivered(queueId, seqs);
  }

  /** Whether a delivery may leave now or must wait for the delivered watermark (redelivered after a crash). */
  coverDelivery(queueId: string, seq: number): Promise<void> | undefined {
    return this.messages.coverDelivery(queueId, seq);
  }

  /** Reads paged-out messages back (one batched read). */
  read(queueId: string, seqs: readonly number[]): Promise<Array<StoredMessage | undefined>> {
    return this.messages.read(queueId, seqs);
  }

  /** The next batch of stored index records of a queue from a seq (its tail segment's next messages). */
  readIndex(queueId: string, fromSeq: number, limit: number, options?: ReadIndexOptions): Promise<StoredIndexEntry[]> {
    return this.messages.readIndex(queueId, fromSeq, limit, options);
  }

  /** Whether queues should page transient bodies here (a disk store; the memory store would gain nothing). */
  get pagesTransient(): boolean {
    return this.messages.capabilities.durableConfirm !== 'none';
  }

  /** Transient paging: bodies that must not survive a restart (MessageStore.spill). */
  spill(entries: EnqueueEntry[]): Promise<void> {
    this.noteWritten(entries);
    return this.messages.spill(entries);
  }

  /** Reads spilled transient bodies back. */
  readSpilled(queueId: string, seqs: readonly number[]): Promise<Array<Buffer | undefined>> {
    return this.messages.readSpilled(queueId, seqs);
  }

  /** Forgets spilled transient bodies (fire-and-forget: leftovers are wiped at the next start). */
  dropSpilled(queueId: string, seqs: readonly number[]): void {
    this.messages.dropSpilled(queueId, seqs).catch(ignore);
  }

  /** Writes persistent messages; resolves when they are durable (the publisher's confirm waits for it). */
  enqueue(entries: EnqueueEntry[]): Promise<void> {
    this.noteWritten(entries);
    return this.messages.enqueue(entries);
  }

  /** Spilled bytes fill the same volume as stored ones: both count towards the disk alarm's early re-check. */
  private noteWritten(entries: EnqueueEntry[]): void {
    if (this.onEnqueued) {
      let bytes = 0;
      for (const entry of entries) bytes += entry.data.length;
      this.onEnqueued(bytes);
    }
  }

  /** Persists a durable queue's declaration. */
  saveQueue(queue: Queue): Promise<void> {
    const value: QueueRecordValue = {
      vhost: queue.vhost,
      name: queue.name,
      autoDelete: queue.options.autoDelete,
      arguments: encodeFieldTable(queue.options.arguments).toString('base64'),
    };
    return this.metadata.apply([{ type: 'put', kind: 'queue', key: queue.storageId, value: Buffer.from(JSON.stringify(value)) }]);
  }

  /** Forgets a deleted durable queue and its messages. */
  deleteQueue(queue: Queue): Promise<void> {
    const record = this.metadata.apply([{ type: 'del', kind: 'queue', key: queue.storageId }]);
    const messages = this.messages.deleteQueue(queue.storageId);
    return Promise.all([record, messages]).then(ignore);
  }

  /** Decodes the queue records among `records`. */
  static queueRecords(records: readonly MetadataRecord[]): QueueRecord[] {
    const out: QueueRecord[] = [];
    for (const record of records) {
      if (record.kind !== 'queue') continue;
      const value = JSON.parse(record.value.toString('utf8')) as QueueRecordValue;
      const args: FieldTable = decodeFieldTable(Buffer.from(value.arguments, 'base64'));
      out.push({
        vhost: value.vhost,
        name: value.name,
        options: { durable: true, exclusive: false, autoDelete: value.autoDelete, arguments: args },
      });
    }
    return out;
  }
}
