import type { MetadataKind } from './metadata-store.js';

/** A live node of a shared store, as {@link ClusterStore.liveNodes} lists it. */
export interface ClusterNode {
  readonly name: string;
  /** When this incarnation of the node registered. */
  readonly startedAt: Date;
  /** When its lease runs out unless renewed (the database's clock). */
  readonly leaseExpiresAt: Date;
  /** What the node said about itself at registration (listener ports, pid). */
  readonly info: Readonly<Record<string, unknown>>;
}

/**
 * The kinds a topology change log entry carries: the metadata kinds plus `exclusive-queue`: what a node owns and
 * never writes to the metadata (exclusive and non-durable queues, non-durable exchanges and their bindings;
 * remote-topology.ts and node-owned-topology.ts in the server tell them apart by key).
 */
export type ClusterChangeKind = MetadataKind | 'exclusive-queue';

/** One change of a {@link ClusterChange}: a record put or deleted. */
export type ClusterOp =
  | { readonly type: 'put'; readonly kind: ClusterChangeKind; readonly key: string; readonly value: Buffer }
  | { readonly type: 'del'; readonly kind: ClusterChangeKind; readonly key: string };

/** One committed topology change of the shared store, in version order. */
export interface ClusterChange {
  /** The topology version the change's transaction set (consecutive: one per committing transaction). */
  readonly version: number;
  /** The node that made it; a dead node's name for the removals its lease expiry caused. */
  readonly node: string;
  readonly ops: readonly ClusterOp[];
}

/** An exclusive queue as the shared store keeps it: which node's connection holds it. */
export interface ClusterExclusiveQueue {
  readonly node: string;
  readonly key: string;
  readonly value: Buffer;
}

/** A persistent message a dead node left in the shared store (its queue-id prefix), for a survivor to take over. */
export interface OrphanMessage {
  /** The queue id without the node's prefix (the broker's storage id of the queue). */
  readonly queueId: string;
  readonly seq: number;
  /** The sealed message record, as enqueued; undefined when its shared body is missing (nothing to take over). */
  readonly data: Buffer | undefined;
  /** Delivered (or possibly delivered: under the queue's delivered watermark) before the node died. */
  readonly mayHaveBeenDelivered: boolean;
}

/**
 * Membership and topology change feed of a store several broker nodes share (multi-node mode).
 *
 * @remarks
 * What implementors guarantee:
 * - `register()` refuses (StorageError `LOCKED`) while another live node holds the name; an expired holder's
 *   entry is taken over, and its exclusive queues are removed in the same transaction (logged as a change).
 * - `renew()` resolves true while this incarnation still holds its lease, false once another node expired it.
 * - Every metadata write of the store's `MetadataStore` and every exclusive-queue write here bumps the topology
 *   version in the same transaction as the change, and appends the change; versions are assigned in commit order,
 *   so `changesSince(v)` never skips a change that commits later with a lower version.
 * - `onChange` listeners hear (at most once per notification, possibly batched, possibly never: it is a hint)
 *   that the version moved; callers re-read with `changesSince`.
 *
 * Out of scope: message claims across nodes (each node keeps its own messages; see docs/SCALE-OUT.md).
 */
export interface ClusterStore {
  readonly nodeName: string;
  /** Joins the cluster; resolves with the topology version before anything of this node is loaded. */
  register(info: Record<string, unknown>): Promise<number>;
  /** Extends this node's lease; false when the lease was lost (another node expired it). Rejects when unreachable. */
  renew(): Promise<boolean>;
  /** Expires every node whose lease ran out, removing their exclusive queues; returns their names. */
  reapExpired(): Promise<string[]>;
  /** Every node whose lease has not run out. */
  liveNodes(): Promise<ClusterNode[]>;
  /** The current topology version. */
  version(): Promise<number>;
  /** Committed changes after `version`, oldest first, at most `limit`. */
  changesSince(version: number, limit?: number): Promise<ClusterChange[]>;
  /** Deletes logged changes older than `olderThanMs` (every live node has applied them long before). */
  pruneChanges(olderThanMs: number): Promise<void>;
  /** Exclusive queues of live nodes (a starting node loads them with the durable topology). */
  exclusiveQueues(): Promise<ClusterExclusiveQueue[]>;
  /**
   * Records (put) or forgets (del) an object a node owns (an exclusive or non-durable queue, a non-durable exchange,
   * a binding involving one), as a logged change. `owner` (default this node): the node whose lease it goes with;
   * a del matches it, so a stale delete never removes what another node has since declared under the key; a del
   * with `owner` null removes the key whoever owns it (a client deleted a cluster-wide exchange or binding).
   */
  writeExclusiveQueue(
    op: { type: 'put'; key: string; value: Buffer; owner?: string } | { type: 'del'; key: string; owner?: string | null },
  ): Promise<void>;
  /**
   * Messages `node` stored under its prefix, in (queue id, seq) order after `after`, at most `limit`: a survivor
   * reads a dead node's messages with it, re-enqueues them as its own, then {@link dropMessagesOf} them.
   */
  messagesOf(node: string, after: { queueId: string; seq: number } | undefined, limit: number): Promise<OrphanMessage[]>;
  /** Deletes `node`'s messages up to the given seq per queue id (what was taken over; later ones stay). */
  dropMessagesOf(node: string, upTo: ReadonlyMap<string, number>): Promise<void>;
  /** Starts hearing version notifications on a dedicated connection; `onLost` hears that connection fail. */
  listen(onChange: () => void, onLost: (error: Error) => void): Promise<void>;
  /** Leaves the cluster: forgets this node's exclusive queues and its membership (clean shutdown). */
  deregister(): Promise<void>;
  /** Closes the dedicated connection. */
  close(): Promise<void>;
}
