/** What removing this node's consumers of a shared queue left (see {@link SharedQueueUsageStore.setConsumers}). */
export interface ConsumersRemoved {
  /** This node was recorded as consuming, and no live node is any more: the cluster's last consumer went. */
  readonly wasLast: boolean;
}

/** The outcome of an `x-expires` check of a shared queue. */
export interface ExpiryCheck {
  /** The queue was unused for its whole `x-expires` and this node took the decision (once): delete it. */
  readonly expired: boolean;
  /** A live node has consumers of it. */
  readonly inUse: boolean;
  /** Milliseconds until it could expire, counted from its last use on the database's clock (when not expired). */
  readonly leftMs: number;
}

/** A queue whose last consumers were on nodes that are no longer live, as {@link SharedQueueUsageStore.reap} found it. */
export interface AbandonedQueue {
  readonly queueId: string;
  /** No live node has consumers of it now. */
  readonly isUnused: boolean;
}

/**
 * Use of shared queues across every node (docs/SCALE-OUT.md, "Auto-delete, x-expires and queue.delete"): which
 * nodes have consumers of a queue, and when it was last used (consume, cancel, `basic.get`, declare) on the
 * database's clock, so auto-delete, `x-expires` and `queue.delete` with `if-unused` judge the whole cluster. Each
 * decision is one conditional statement on the queue's row, so it is taken by exactly one node.
 */
export interface SharedQueueUsageStore {
  /**
   * Records that this node has consumers of the queue now (`hasConsumers`) or none any more, and that the queue was
   * used now. Removing resolves with whether that left no live node consuming it.
   */
  setConsumers(queueId: string, hasConsumers: boolean): Promise<ConsumersRemoved>;
  /** The queues were used now (`basic.get`, declare): their `x-expires` countdowns restart on every node. */
  touch(queueIds: ReadonlyArray<string>): Promise<void>;
  /** Starts tracking a queue (its countdown starts now) unless it is tracked already. */
  ensure(queueIds: ReadonlyArray<string>): Promise<void>;
  /**
   * Checks a queue's `x-expires` (`expiresMs`): when no live node consumes it and it was unused for that long, its
   * row is deleted and this node is told to delete the queue; else says when to ask again.
   */
  checkExpiry(queueId: string, expiresMs: number): Promise<ExpiryCheck>;
  /** How many live nodes other than this one have consumers of the queue. */
  otherConsumers(queueId: string): Promise<number>;
  /**
   * Drops the consumers of nodes that are no longer live (their use ends now) and returns the queues that had some,
   * each once across the nodes.
   */
  reap(): Promise<AbandonedQueue[]>;
  /** Forgets a deleted queue. */
  forget(queueId: string): Promise<void>;
}
