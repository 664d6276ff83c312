import type { StorageFaultListener, StorageHealth } from './storage-health.js';

/**
 * What a {@link MessageStore} backend promises; the broker chooses its confirm strategy from this, not from the
 * backend's class.
 */
export interface StorageCapabilities {
  /**
   * What a resolved `enqueue()` means:
   * - `fsync`: on this node's stable storage (survives power loss);
   * - `replicated-fsync`: on stable storage of a quorum of replicas;
   * - `async`: accepted, written later (a crash or power loss may lose it);
   * - `none`: process memory only (lost on exit).
   */
  readonly durableConfirm: 'fsync' | 'replicated-fsync' | 'async' | 'none';
  /** True when one `enqueue()` call touching several queues commits all-or-nothing. */
  readonly atomicMultiQueueEnqueue: boolean;
  /** True when several broker processes may use the same store at once. */
  readonly sharedAcrossNodes: boolean;
}

/** One message to add to one queue. */
export interface EnqueueEntry {
  /** Opaque queue id chosen by the broker (for example an escaped `vhost/name`); any well-formed string. */
  readonly queueId: string;
  /** Broker-assigned position in the queue: a non-negative safe integer above every seq enqueued before. */
  readonly seq: number;
  /**
   * A message record (message-record.ts): format byte, CRC-32, then the encoded message (exchange, routing key,
   * properties, body), opaque to storage. The caller seals it once per message; stores check only the format byte
   * here and the checksum when they read it back. Ownership passes to the store: the caller must not mutate it
   * afterwards (backends may write it after `enqueue()` returns).
   */
  readonly data: Buffer;
  /**
   * The message's compact index record (what the broker needs to queue it without its body: size, priority,
   * expiry…), sealed like `data` (message-record.ts) and opaque to storage. Optional: stored apart from `data` so
   * {@link MessageStore.recoverIndex} reads only these small values at start-up. Like `data`, one Buffer may be
   * passed for every queue of a message.
   */
  readonly index?: Buffer;
}

/**
 * One stored message as {@link MessageStore.recoverIndex} yields it: its index record when one was stored with it
 * (checksum verified), otherwise (stored without one, or its index record is damaged) the full record in `data`.
 */
export interface StoredIndexEntry {
  readonly queueId: string;
  readonly seq: number;
  /** The index record as enqueued; undefined when `data` is given instead. */
  readonly index?: Buffer;
  /** The message record: when there is no intact index record, or when read with {@link ReadIndexOptions.withBodies}. */
  readonly data?: Buffer;
  /** As {@link StoredMessage.deliveryCount}. */
  readonly deliveryCount: number;
  /** As {@link StoredMessage.mayHaveBeenDelivered}. */
  readonly mayHaveBeenDelivered: boolean;
}

/** Options of {@link MessageStore.readIndex}. */
export interface ReadIndexOptions {
  /**
   * The caller reads the entries' bodies next: a store that reads a message's record as cheaply as its index record
   * (LevelDB: one iterator and the body log, against two iterators and the body log) returns the records in `data`
   * instead, checked and quarantined as `read()` does, and the caller skips that `read()`. Others ignore it.
   */
  readonly withBodies?: boolean;
}

/** A message read back at start-up. */
export interface StoredMessage {
  readonly queueId: string;
  readonly seq: number;
  /** The record as enqueued, its checksum verified (records written before checksums existed come back sealed). */
  readonly data: Buffer;
  /**
   * Deliveries recorded through `markDelivered()`. Never lower than the recorded count; a backend that persists
   * delivery marks lazily may report one more for a message first delivered out of seq order (priorities).
   */
  readonly deliveryCount: number;
  /** True when the message may have reached a consumer before the restart: deliver it with `redelivered=true`. */
  readonly mayHaveBeenDelivered: boolean;
}

/** Per-queue figures a backend keeps anyway; the broker restores its seq counter from `nextSeq`. */
export interface QueueStorageInfo {
  /** One above the highest seq ever enqueued (kept across purges), so new seqs never collide with old marks. */
  readonly nextSeq: number;
  /** Messages currently stored. */
  readonly messageCount: number;
}

/** A queue whose stored messages do not match the counters written alongside them. */
export interface IntegrityMismatch {
  readonly queueId: string;
  /** `enqueued − removed` from the queue's counters. */
  readonly expected: number;
  /** Messages actually present. */
  readonly found: number;
}

/** A stored message whose record failed its checksum when read back: held out of its queue, never served. */
export interface QuarantinedMessage {
  readonly queueId: string;
  readonly seq: number;
  /** What is wrong with it (checksum mismatch, unknown format). */
  readonly reason: string;
}

/** Result of {@link MessageStore.verifyIntegrity}. */
export interface IntegrityReport {
  /** True when `queues`, `errors` and `quarantined` are all empty. */
  readonly ok: boolean;
  /** Only the queues that do not match. */
  readonly queues: IntegrityMismatch[];
  /** Other damage found (missing shared bodies, unreadable records), one line each. */
  readonly errors: string[];
  /**
   * Messages `recover()` found damaged and held back, in queue and seq order. They stay stored (for inspection)
   * and reported until their queue is purged or deleted; the queue itself keeps serving its intact messages.
   */
  readonly quarantined: QuarantinedMessage[];
}

/** Options of {@link MessageStore.verifyIntegrity}. */
export interface IntegrityCheckOptions {
  /** Only what the store checked when it opened (see verifyIntegrity). */
  readonly quick?: boolean;
  /** The check the broker runs once serving: it may yield to the broker's own work. */
  readonly background?: boolean;
}

/**
 * Persistent messages of durable queues: the port the broker core codes against.
 *
 * @remarks
 * What every backend must guarantee:
 * - `enqueue()` resolves only when its entries are as durable as {@link StorageCapabilities.durableConfirm} says,
 *   and rejects with a `StorageError` otherwise; a rejected call stores none of its entries. Confirms are sent
 *   on resolve and nacks on reject, so "resolved but lost" and "rejected but stored" are both bugs (the second is
 *   tolerable only as a redelivery of something the publisher was told failed).
 * - One call is atomic across its queues when `atomicMultiQueueEnqueue` is true.
 * - `remove()` is idempotent: unknown or already removed seqs are ignored and do not disturb the counters.
 * - `recover()` yields in seq order and never yields a message whose `remove()` was already accepted, nor one
 *   whose record fails its checksum: that one is quarantined (see {@link IntegrityReport.quarantined}); `read()`
 *   likewise.
 * - seqs are validated: a seq not above the queue's `nextSeq` (or not increasing within a call) rejects the whole
 *   call with a `RangeError`; that is a broker bug, not a storage fault.
 * - After a write failure the store is `faulted`: every call rejects with that error (one {@link onFault}
 *   notification) until `reopen()` succeeds, after which the store reflects exactly what was durably written.
 * - Operations after `close()` reject with `StorageError` code `CLOSED`.
 *
 * What backends need not do:
 * - Know anything about AMQP: data is opaque, queue ids are opaque, there is no routing, TTL or consumer state.
 * - Track consumers, leases or unacked ownership: a single broker node keeps that in memory and the store only
 *   learns "delivered" (for `redelivered` after a crash) and "settled". A multi-node backend (PostgreSQL) would add
 *   claim/settle/releaseOwner as an extension port without changing these calls.
 * - Persist `markDelivered()` immediately: {@link MessageStore.coverDelivery} is what keeps `redelivered=true`
 *   after a crash; marks only add delivery counts.
 * - Sync removals: a lost removal only causes a redelivery.
 * - Support several processes on one store unless `sharedAcrossNodes` is true.
 *
 * Calling rules: calls for one queue are applied in call order. `purge()` and `deleteQueue()` may run for a while
 * (they yield to the event loop); do not enqueue into a queue while `deleteQueue()` for it is pending.
 */
export interface MessageStore {
  /** What a resolved enqueue means; constant for the store's lifetime. */
  readonly capabilities: StorageCapabilities;
  /** Current health; see {@link StorageHealth}. */
  readonly health: StorageHealth;

  /** Opens the store (creating it when empty) and loads what it needs in memory; rejects with a StorageError. */
  open(): Promise<void>;
  /** Waits for accepted writes, then releases every resource; calling it twice is harmless. */
  close(): Promise<void>;
  /** Recovers from a fault (for example once disk space returns): drops the failed handle and reloads. */
  reopen(): Promise<void>;
  /** Subscribes to faults; returns the unsubscribe function. */
  onFault(listener: StorageFaultListener): () => void;

  /**
   * Adds messages; resolves when they are durable, rejects (StorageError) if they are not stored at all.
   *
   * @remarks
   * Calls made in the same event-loop turn, and while a commit is in flight, are merged into one atomic write
   * (group commit); implementations must not await per message. Entries in one call whose `data` is the same
   * Buffer object (one message routed to several queues) may be stored once and shared; the body lives until the
   * last queue removes its entry. An empty array resolves at once.
   */
  enqueue(entries: ReadonlyArray<EnqueueEntry>): Promise<void>;

  /**
   * Removes settled messages (acked, dropped, dead-lettered away). Group-committed; need not be synced. Unknown
   * seqs are ignored. Resolves when the removal is written.
   */
  remove(queueId: string, seqs: ReadonlyArray<number>): Promise<void>;

  /**
   * Records that messages were delivered (delivery counts, and the exact delivered mark written at a clean close).
   * Fire-and-forget: persisted lazily with the next write; ignored while faulted or closed and for unknown seqs.
   */
  markDelivered(queueId: string, seqs: ReadonlyArray<number>): void;

  /**
   * Asked before a stored message is handed to a consumer: undefined when a crash after the delivery would bring
   * the message back with `mayHaveBeenDelivered` (the covering mark is durable, or commits atomically with the
   * message itself); otherwise a promise that settles once it is, and the caller delivers only then.
   *
   * @remarks
   * Must not write per delivery: backends reserve ahead (a durable "delivered up to seq N + batch" mark, one write
   * per batch), so at most one delivery in a batch waits, for one group commit. Over-marking is allowed (a message
   * never delivered may come back flagged after a crash), under-marking is not. While the store is faulted or
   * closed nothing can be written and it returns undefined: the flag of such deliveries may be lost in a crash.
   * A rejected promise means the store faulted meanwhile; deliver anyway.
   */
  coverDelivery(queueId: string, seq: number): Promise<void> | undefined;

  /**
   * Streams a queue's stored messages in seq order, after every write accepted before the call has committed.
   * Meant for start-up; breaking out of the loop releases the underlying iterator.
   */
  recover(queueId: string): AsyncIterable<StoredMessage>;

  /**
   * Like {@link recover} but without the bodies: streams a queue's stored messages in seq order as their index
   * records (`EnqueueEntry.index`), so start-up reads a few bytes per message, not the backlog; bodies are read
   * later with {@link read}. A message stored without an index record (or whose index record fails its checksum)
   * comes with its full record in `data` instead, checked and quarantined exactly as `recover()` does. Index
   * records are not otherwise verified against their bodies: a damaged body is found (and quarantined) when read.
   */
  recoverIndex(queueId: string): AsyncIterable<StoredIndexEntry>;

  /**
   * The next stored messages of one queue as {@link recoverIndex} yields them, in seq order: up to `limit` entries
   * with seq ≥ `fromSeq` (fewer only when the queue holds no more). A deep queue keeps its paged-out tail as counts
   * and a cursor, not per-message objects, and loads the next batch of index records with this ahead of its
   * consumers (then the bodies with {@link read}); at start-up it reads only its first batch.
   *
   * @remarks
   * One call is one batched read; it sees every enqueue that resolved before the call (one still in flight may be
   * left out: it is always the newest) and none of the removals accepted before it. It need not wait for writes in
   * flight. Damaged records are handled as `recoverIndex()` handles them.
   */
  readIndex(queueId: string, fromSeq: number, limit: number, options?: ReadIndexOptions): Promise<StoredIndexEntry[]>;

  /**
   * Reads stored messages of one queue by seq (a queue's paged-out bodies, read back ahead of its consumers): one
   * result per requested seq, in the same order, `undefined` for a seq that is not stored (never enqueued,
   * removed, purged) or whose record fails its checksum. A damaged record is quarantined exactly as `recover()`
   * does (held back, listed by `verifyIntegrity()` until purged or deleted), never served.
   *
   * @remarks
   * One call is one batched read (no per-seq round trip); it sees every enqueue that resolved before the call.
   * Reads do not change delivery marks or counters. Meant for runtime use alongside writes, unlike `recover()`.
   */
  read(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<StoredMessage | undefined>>;

  /**
   * Transient paging: writes bodies of messages that must NOT survive a restart (transient messages, or any
   * message of a non-durable queue) so a deep queue need not keep them in the heap. Kept apart from the stored
   * messages (no counters, no delivery marks, never recovered, not synced) and wiped when the store opens. Resolves
   * once the records can be read back with {@link readSpilled}; `data` is a sealed message record as for `enqueue`.
   * Group-committed like every write; `queueId` need not be a queue the store knows.
   */
  spill(entries: ReadonlyArray<EnqueueEntry>): Promise<void>;

  /** Reads spilled records back, one result per seq in order; undefined for one not spilled, dropped or damaged. */
  readSpilled(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<Buffer | undefined>>;

  /** Forgets spilled records (read back, delivered, dropped); unknown seqs are ignored. Group-committed, unsynced. */
  dropSpilled(queueId: string, seqs: ReadonlyArray<number>): Promise<void>;

  /** Every queue id with stored messages or counters (a queue that has held messages and was not deleted). */
  queueIds(): Promise<string[]>;

  /** The queue's seq counter and message count, or undefined for a queue the store does not know. */
  queueInfo(queueId: string): Promise<QueueStorageInfo | undefined>;

  /**
   * Removes every message of the queue enqueued before the call; keeps `nextSeq`. Resolves with the number
   * removed. (AMQP `queue.purge` keeps unacked messages: the broker implements that with `remove()`.)
   */
  purge(queueId: string): Promise<number>;

  /** Removes the queue's messages and counters; afterwards the id is unknown and may be reused from seq 0. */
  deleteQueue(queueId: string): Promise<void>;

  /**
   * Recounts each queue's stored messages against the counters written in the same batches
   * (`enqueued − removed`) and checks shared bodies. A mismatch means a truncated or corrupted store.
   *
   * @remarks
   * `quick`: only what the store checked when it opened, without reading every message key (LevelDB: counters
   * against index records, see level-store-load.ts), plus the messages quarantined since; a backend without a
   * cheaper check runs the full one. The broker refuses to start on damage the quick check finds, then runs the full
   * check in the background once serving and reports it on the storage-integrity health check.
   *
   * `background`: that background run; a backend may wait for a quiet moment and pace its reads so it does not
   * compete with consumers (LevelDB: integrity-pacer.ts).
   */
  verifyIntegrity(options?: IntegrityCheckOptions): Promise<IntegrityReport>;
}
