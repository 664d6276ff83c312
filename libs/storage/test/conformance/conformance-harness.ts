import type { MessageStore, StoredMessage } from '../../src/message-store.js';
import type { MetadataStore } from '../../src/metadata-store.js';

/** Per-open options a harness must support. */
export interface HarnessOpenOptions {
  /** Consulted before every write: an error makes that write fail (simulated ENOSPC / I/O error). */
  writeFault?: () => Error | undefined;
}

/** One test's storage location. */
export interface MessageStoreHarness {
  /** Opens a new, opened store instance over this location (a persistent backend sees what earlier ones wrote). */
  open(options?: HarnessOpenOptions): Promise<MessageStore>;
  /** Batches committed by the most recently opened store, for backends that group-commit. */
  committedBatches?(): number;
  /**
   * Flips one byte inside the stored payload of `queueId`/`seq` behind the store's back (bit rot, a damaged table
   * file), in the most recently opened store. `enqueued` is the record the test enqueued: a backend that keeps it
   * by reference damages that.
   */
  damage(queueId: string, seq: number, enqueued: Buffer): Promise<void>;
  /** Closes every store still open and deletes the location. */
  dispose(): Promise<void>;
}

/** How the suite gets fresh locations for an adapter. */
export interface MessageStoreFactory {
  /** True when a store opened after close() sees the data: enables the restart cases. */
  readonly persistent: boolean;
  create(): Promise<MessageStoreHarness>;
}

/** Metadata counterpart of {@link MessageStoreHarness}. */
export interface MetadataStoreHarness {
  open(): Promise<MetadataStore>;
  dispose(): Promise<void>;
}

/** Metadata counterpart of {@link MessageStoreFactory}. */
export interface MetadataStoreFactory {
  readonly persistent: boolean;
  create(): Promise<MetadataStoreHarness>;
}

/** Drains a recover() stream. */
export async function recoverAll(store: MessageStore, queueId: string): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for await (const message of store.recover(queueId)) out.push(message);
  return out;
}
