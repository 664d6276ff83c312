import {
  METADATA_KINDS,
  type MetadataKind,
  type MetadataOp,
  type MetadataRecord,
  type MetadataStore,
  isMetadataKind,
} from '../metadata-store.js';
import { StorageError } from '../storage-error.js';

/** Orders keys like LevelDB does (bytes of UTF-8), which differs from JS string order for astral characters. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** {@link MetadataStore} in process memory; same semantics as the LevelDB one, nothing survives the process. */
export class MemoryMetadataStore implements MetadataStore {
  private readonly records = new Map<MetadataKind, Map<string, Buffer>>(METADATA_KINDS.map((kind) => [kind, new Map()]));
  private isOpen = false;

  async open(): Promise<void> {
    this.isOpen = true;
  }

  async close(): Promise<void> {
    this.isOpen = false;
  }

  async apply(ops: ReadonlyArray<MetadataOp>): Promise<void> {
    this.assertOpen();
    // Validate everything first: apply() is all-or-nothing.
    for (const op of ops) {
      if (!isMetadataKind(op.kind)) throw new TypeError(`storage: unknown metadata kind ${JSON.stringify(op.kind)}`);
      if (typeof op.key !== 'string') throw new TypeError(`storage: metadata key of kind ${op.kind} is not a string`);
      if (op.type === 'put' && !(op.value instanceof Uint8Array)) {
        throw new TypeError(`storage: metadata value of ${op.kind} "${op.key}" is not a Buffer`);
      }
    }
    for (const op of ops) {
      const records = this.records.get(op.kind)!;
      if (op.type === 'put') records.set(op.key, op.value);
      else records.delete(op.key);
    }
  }

  async load(): Promise<MetadataRecord[]> {
    this.assertOpen();
    const out: MetadataRecord[] = [];
    for (const kind of METADATA_KINDS) {
      const records = this.records.get(kind)!;
      for (const key of [...records.keys()].sort(compareUtf8)) out.push({ kind, key, value: records.get(key)! });
    }
    return out;
  }

  private assertOpen(): void {
    if (!this.isOpen) throw new StorageError('CLOSED', 'storage: metadata store is closed');
  }
}
