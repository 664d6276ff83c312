/** The kinds of topology record the broker persists. */
export type MetadataKind = 'exchange' | 'queue' | 'binding' | 'user' | 'vhost' | 'permission' | 'topic-permission';

/**
 * Every kind, in the order `load()` returns them: the order the broker can replay them in (a permission needs its
 * vhost and user, a binding needs its exchange and queue, those need their vhost).
 */
export const METADATA_KINDS: readonly MetadataKind[] = ['vhost', 'user', 'permission', 'topic-permission', 'exchange', 'queue', 'binding'];

/** One persisted topology record; `value` is encoded and decoded by the broker, opaque here. */
export interface MetadataRecord {
  readonly kind: MetadataKind;
  readonly key: string;
  readonly value: Buffer;
}

/** A change to apply: put (insert or overwrite) or delete (absent keys are ignored). */
export type MetadataOp =
  | { readonly type: 'put'; readonly kind: MetadataKind; readonly key: string; readonly value: Buffer }
  | { readonly type: 'del'; readonly kind: MetadataKind; readonly key: string };

/** Returns true when `kind` is a {@link MetadataKind}; used to validate ops before anything is written. */
export function isMetadataKind(kind: unknown): kind is MetadataKind {
  return typeof kind === 'string' && (METADATA_KINDS as readonly string[]).includes(kind);
}

/**
 * Durable topology and access control (exchanges, queues, bindings, users, vhosts, permissions) as opaque records keyed by (kind, key).
 *
 * @remarks
 * What every backend must guarantee:
 * - `apply()` is atomic (all ops or none) and, for durable backends, synced to stable storage when it resolves;
 *   ops within one call are applied in order (a put then a del of the same key leaves it deleted).
 * - `apply()` validates every op before writing: an unknown kind or a non-string key rejects the whole call with
 *   a `TypeError`; storage failures reject with a `StorageError`.
 * - `load()` returns every record, grouped by kind in {@link METADATA_KINDS} order and, within a kind, in key
 *   order (byte order of the UTF-8 key), after every accepted `apply()` has committed.
 *
 * What backends need not do (yet): versioned applies with `expectVersion` and `watch()` for other nodes; those
 * belong to a multi-node backend and will be added as optional members.
 * Records are small and rare (topology changes, not messages), so there is no batching requirement beyond
 * atomicity; a backend may share its message write pipeline.
 */
export interface MetadataStore {
  /** Opens the store; rejects with a StorageError. */
  open(): Promise<void>;
  /** Waits for accepted writes, then releases resources; calling it twice is harmless. */
  close(): Promise<void>;
  /** Atomically applies puts and deletes; durable (synced) when it resolves. */
  apply(ops: ReadonlyArray<MetadataOp>): Promise<void>;
  /** Every record, grouped by kind, in key order. */
  load(): Promise<MetadataRecord[]>;
}
