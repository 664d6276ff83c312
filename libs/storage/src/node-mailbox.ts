/** One message another node sent to this one (see {@link NodeMailbox}). */
export interface NodeMail {
  /** The vhost it was published in. */
  readonly vhost: string;
  /** A sealed message record (message-record.ts), checked: a damaged one is never handed out. */
  readonly data: Buffer;
  /** The target node's queue it was routed to (a non-durable or exclusive queue of that node); else a direct reply-to response. */
  readonly queue?: string;
}

/**
 * Messages one node of a multi-node broker hands to another (direct reply-to responses for a requester connected
 * to the other node: docs/SCALE-OUT.md). At most once, like direct reply-to itself: mail is deleted when its node
 * takes it, and mail of a node that is gone is dropped.
 *
 * @remarks
 * What implementors guarantee:
 * - `send` is group-committed with the node's other writes (never one transaction per message) and resolves once
 *   committed; the target hears about it at commit (its `listen` callback), not by polling.
 * - `take` hands each mail to one call only, deleting it, oldest first per sender.
 * - `dropOrphans` deletes mail whose target is no longer a live node's name.
 *
 * Out of scope: delivery guarantees past the target's process (a node that dies after `take` loses what it took).
 */
export interface NodeMailbox {
  /** This node's name: what other nodes address its mail to. */
  readonly nodeName: string;
  /**
   * Sends a message record to node `target` (for its queue `queue`, else a direct reply-to response); rejects
   * (StorageError) when it was not stored.
   */
  send(target: string, vhost: string, data: Buffer, queue?: string): Promise<void>;
  /** Takes (and deletes) up to `limit` mails addressed to this node, oldest first. */
  take(limit: number): Promise<NodeMail[]>;
  /** Deletes mail addressed to names no registered node has; resolves with how many. */
  dropOrphans(): Promise<number>;
  /**
   * Starts hearing, on a dedicated connection, that mail arrived for this node (`onMail`) and that a node joined
   * (`onJoined`); `onLost` hears that connection fail. Announces this node's joining to the others.
   */
  listen(onMail: () => void, onJoined: () => void, onLost: (error: Error) => void): Promise<void>;
  /** Closes the dedicated connection. */
  close(): Promise<void>;
}
