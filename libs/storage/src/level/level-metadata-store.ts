import { METADATA_KINDS, type MetadataOp, type MetadataRecord, type MetadataStore, isMetadataKind } from '../metadata-store.js';
import { StorageError } from '../storage-error.js';
import type { LevelDatabase } from './level-database.js';
import { fromLevelError } from './level-errors.js';
import { metadataKey, rangeEnd } from './level-keys.js';

/**
 * {@link MetadataStore} over the shared LevelDB database: records under `meta!<kind>!<key>`, written through the
 * same group-commit pipeline as messages (always synced), so a topology change and the messages of the same turn
 * share one fsync.
 */
export class LevelMetadataStore implements MetadataStore {
  private isOpen = false;

  /** Creates the store over `database` (shared with the message store); call `open()` before use. */
  constructor(private readonly database: LevelDatabase) {}

  async open(): Promise<void> {
    if (this.isOpen) return;
    await this.database.acquire();
    this.isOpen = true;
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.isOpen = false;
    await this.database.release();
  }

  apply(ops: ReadonlyArray<MetadataOp>): Promise<void> {
    try {
      this.assertUsable();
      for (const op of ops) {
        if (!isMetadataKind(op.kind)) throw new TypeError(`storage: unknown metadata kind ${JSON.stringify(op.kind)}`);
        if (typeof op.key !== 'string') throw new TypeError(`storage: metadata key of kind ${op.kind} is not a string`);
        if (op.type === 'put' && !(op.value instanceof Uint8Array)) {
          throw new TypeError(`storage: metadata value of ${op.kind} "${op.key}" is not a Buffer`);
        }
      }
      if (ops.length === 0) return Promise.resolve();
      const group = this.database.beginWrite(ops.length);
      for (const op of ops) {
        const key = metadataKey(op.kind, op.key);
        group.ops.push(op.type === 'put' ? { type: 'put', key, value: op.value } : { type: 'del', key });
      }
      group.needsSync = true;
      return group.done;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async load(): Promise<MetadataRecord[]> {
    this.assertUsable();
    await this.database.flush();
    const records: MetadataRecord[] = [];
    try {
      for (const kind of METADATA_KINDS) {
        const prefix = metadataKey(kind, '');
        for await (const [key, value] of this.database.db.iterator({ gte: prefix, lt: rangeEnd(prefix) })) {
          records.push({ kind, key: key.slice(prefix.length), value });
        }
      }
    } catch (error) {
      throw fromLevelError(error, 'cannot read', this.database.path);
    }
    return records;
  }

  private assertUsable(): void {
    if (!this.isOpen) {
      throw new StorageError('CLOSED', 'storage: metadata store is closed', { path: this.database.path });
    }
    this.database.assertUsable();
  }
}
