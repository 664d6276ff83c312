/** A delayed message a node claimed because it came due (multi-node mode, docs/SCALE-OUT.md "Delayed messages"). */
export interface DueDelayedMessage {
  /** The row's id: what settle and release name. */
  readonly id: number;
  /** The delayed exchange's storage id (`delayed:<vhost, URI-encoded>/<exchange name>`). */
  readonly exchangeId: string;
  /** The message record, as queues store it. */
  readonly data: Buffer;
}

/** What one claim of due delayed messages returns. */
export interface DueDelayedClaim {
  readonly due: DueDelayedMessage[];
  /** ms (on the store's clock) until the next held message of the exchanges asked for comes due; undefined: none. */
  readonly nextDueMs: number | undefined;
}

/**
 * Persistent messages of durable `x-delayed-message` exchanges held in a store every node shares (multi-node mode):
 * each with its due time on the store's clock, claimed by whichever node is alive once due. Writes of one event-loop
 * turn join one transaction.
 */
export interface SharedDelayedStore {
  /** Holds a message record for `delayMs` (counted from the commit); resolves once committed. */
  hold(exchangeId: string, data: Buffer, delayMs: number): Promise<void>;
  /** Claims up to `limit` held messages of `exchangeIds` that are due, for this node (no other node gets them). */
  claimDue(exchangeIds: ReadonlyArray<string>, limit: number): Promise<DueDelayedClaim>;
  /**
   * Deletes claimed messages (only while this node's claim holds): damaged ones. Routed ones are deleted with what
   * routing them enqueued (SharedQueueStore.settleDelayed).
   */
  settle(ids: ReadonlyArray<number>): void;
  /** Not routed (the enqueue failed): gives claimed messages back for any node to claim again. */
  release(ids: ReadonlyArray<number>): void;
  /**
   * Drops every held message of a deleted exchange (those held before this call; later holds stay). Called in the
   * same turn as the exchange's delete is written to the metadata store, after it: a backend sharing one commit
   * pipeline drops them in the delete's transaction, so a hold on an exchange of that name declared again (through
   * any node, after the delete) is never dropped.
   */
  dropExchange(exchangeId: string): Promise<void>;
  /**
   * Drops held messages of exchanges no node routes (not in `exchangeIds`, this node's durable delayed exchanges)
   * that have been due for `graceMs`: every live node claims what is due for the exchanges it knows, so those are
   * of exchanges deleted while they were being held. Returns how many.
   */
  dropStranded(exchangeIds: ReadonlyArray<string>, graceMs: number): Promise<number>;
  /** Gives back the claims of nodes that are no longer live; returns how many. */
  releaseOrphans(): Promise<number>;
  /** Listens for newly held messages: `onHeld(ms)` with the ms until the earliest of them comes due. */
  listen(onHeld: (dueInMs: number) => void, onLost: (error: Error) => void): Promise<void>;
  close(): Promise<void>;
}
