import { METADATA_KINDS, type MetadataOp, type MetadataRecord, type MetadataStore, isMetadataKind } from '../metadata-store.js';
import { StorageError } from '../storage-error.js';
import { appendClusterChange } from './postgres-cluster-store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { decodeText, encodeText } from './postgres-errors.js';

/** Orders keys by the bytes of their UTF-8 form, as the LevelDB store does (not JS string order). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * {@link MetadataStore} over PostgreSQL (`warren_metadata`, keyed (kind, key)). Each `apply()` joins the
 * database's group commit as one ordered step: the call's net effect per key as one upsert and one delete, so it
 * is atomic with everything else in that transaction.
 */
export class PostgresMetadataStore implements MetadataStore {
  private isOpen = false;

  constructor(private readonly database: PostgresDatabase) {}

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
    if (ops.length === 0) return;
    // Ops of one call apply in order: only the last op per key matters.
    const last = new Map<string, MetadataOp>();
    for (const op of ops) {
      const id = `${op.kind}\0${op.key}`;
      last.delete(id);
      last.set(id, op);
    }
    const put = { kinds: [] as string[], keys: [] as string[], values: [] as Buffer[] };
    const del = { kinds: [] as string[], keys: [] as string[] };
    for (const op of last.values()) {
      const target = op.type === 'put' ? put : del;
      target.kinds.push(op.kind);
      target.keys.push(encodeText(op.key));
      if (op.type === 'put') put.values.push(Buffer.from(op.value.buffer, op.value.byteOffset, op.value.byteLength));
    }
    const table = this.database.tables.metadata;
    const nodeName = this.database.nodeName;
    const logged: MetadataOp[] | undefined = nodeName === undefined ? undefined : [...last.values()];
    const group = this.database.beginWrite();
    group.addStep(async (client) => {
      // Multi-node: the version bump comes first in the transaction (its row lock orders committers), with the change.
      if (logged !== undefined) await appendClusterChange(client, this.database.tables, nodeName!, logged);
      if (del.keys.length > 0) {
        await client.query(
          `DELETE FROM ${table} m USING unnest($1::text[], $2::text[]) AS x(kind, key) WHERE m.kind = x.kind AND m.key = x.key`,
          [del.kinds, del.keys],
        );
      }
      if (put.keys.length > 0) {
        await client.query(
          `INSERT INTO ${table} (kind, key, value) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
           ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value`,
          [put.kinds, put.keys, put.values],
        );
      }
    });
    await group.done;
  }

  async load(): Promise<MetadataRecord[]> {
    this.assertOpen();
    await this.database.flush();
    const { rows } = await this.database.query<{ kind: string; key: string; value: Buffer }>(
      `SELECT kind, key, value FROM ${this.database.tables.metadata}`,
    );
    const records = rows
      .filter((row) => isMetadataKind(row.kind))
      .map((row) => ({ kind: row.kind as MetadataRecord['kind'], key: decodeText(row.key), value: row.value }));
    const order = new Map(METADATA_KINDS.map((kind, i) => [kind, i]));
    return records.sort((a, b) => order.get(a.kind)! - order.get(b.kind)! || compareUtf8(a.key, b.key));
  }

  private assertOpen(): void {
    if (!this.isOpen) throw new StorageError('CLOSED', 'storage: metadata store is closed', { path: this.database.location });
  }
}
