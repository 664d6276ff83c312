import { createHash } from 'node:crypto';
import { Message, describeError, type BrokerCore, type DirectReplyRelay } from '@app/broker-core';
import type { NodeMailbox } from '@app/storage';
import type { BrokerLogger } from '../logger.js';
import { deliverForwarded } from './remote-queue-link.js';

/** Mails taken per query; a full batch is followed by another at once. */
const MAIL_PER_TAKE = 500;
/**
 * Longest node name used verbatim as a reply tag: a token is `<tag>.<22 random chars>` after the 22-byte prefix,
 * and a routing key is a shortstr (255 bytes). Longer names (WARREN_NODE_NAME allows 255) are hashed.
 */
const MAX_VERBATIM_TAG = 200;
/** A token naming no live node makes the relay re-read the live nodes, at most this often. */
const UNKNOWN_TAG_REFRESH_MS = 1000;

/** The tag of node `name` in the direct reply-to tokens it hands out: the name itself, or a hash of a long one. */
export function replyTagOf(name: string): string {
  // `~` is in neither a node name nor base64url, so a hashed tag never equals a verbatim one.
  return name.length <= MAX_VERBATIM_TAG ? name : `~${createHash('sha256').update(name).digest('base64url')}`;
}

/**
 * Direct reply-to across nodes (docs/SCALE-OUT.md): this node's reply-to tokens carry its tag, and a response
 * published here for another node's requester goes to that node's mailbox in PostgreSQL (group-committed, with a
 * `NOTIFY` that wakes the target), which takes it and hands it to the requester's channel. A token whose node is
 * not live (gone, expired, never was) is unroutable, as a reply to a vanished requester is on one node.
 *
 * The live nodes are re-read on every cluster heartbeat, when a node announces it joined, and (at most once a
 * second) when a token names a node not known live; the safety poll also takes mail a lost notification left.
 */
export class ClusterReplyRelay implements DirectReplyRelay {
  readonly nodeTag: string;
  /** Live nodes by reply tag (this node included). */
  private live = new Map<string, string>();
  private isTaking = false;
  private isTakeWanted = false;
  private isListening = false;
  private isStopped = false;
  private refreshing: Promise<void> | undefined;
  private lastUnknownRefresh = 0;

  constructor(
    private readonly mailbox: NodeMailbox,
    private readonly core: BrokerCore,
    private readonly liveNodeNames: () => Promise<string[]>,
    private readonly logger: BrokerLogger,
  ) {
    this.nodeTag = replyTagOf(mailbox.nodeName);
  }

  forward(nodeTag: string, vhost: string, message: Message): Promise<void> | undefined {
    const node = this.live.get(nodeTag);
    if (node === undefined) {
      // Perhaps a node that joined since the last read (its announcement still on its way): look again soon.
      const now = Date.now();
      if (now - this.lastUnknownRefresh >= UNKNOWN_TAG_REFRESH_MS) {
        this.lastUnknownRefresh = now;
        void this.refresh();
      }
      return undefined;
    }
    // The stored form: the codec's encoding of exchange, routing key, properties and body, checksummed once.
    const sent = this.mailbox.send(node, vhost, message.storageData);
    sent.catch(() => undefined); // the publisher's confirm (if any) sees the failure; nobody else waits
    return sent;
  }

  /** Reads the live nodes, listens for mail and takes what is waiting; before clients connect. */
  async start(): Promise<void> {
    await this.refresh();
    await this.listen();
    this.takeMail();
  }

  /** The safety net, on every cluster heartbeat: live nodes, orphaned mail, a lost `LISTEN`, missed mail. */
  async poll(): Promise<void> {
    if (this.isStopped) return;
    await this.refresh();
    try {
      const dropped = await this.mailbox.dropOrphans();
      if (dropped > 0) this.logger.debug(`cluster: dropped ${dropped} direct reply-to responses for nodes that are gone`);
    } catch (error) {
      this.logger.warn(`cluster: cannot drop the mail of nodes that are gone: ${describeError(error)}`);
    }
    if (!this.isListening) await this.listen();
    this.takeMail();
  }

  /** Stops taking mail (shutdown, lease lost). */
  stop(): void {
    this.isStopped = true;
  }

  /** Re-reads the live nodes; one read at a time (a caller during a read shares it). */
  private refresh(): Promise<void> {
    if (this.isStopped) return Promise.resolve();
    this.refreshing ??= this.liveNodeNames()
      .then(
        (names) => {
          this.live = new Map(names.map((name) => [replyTagOf(name), name]));
        },
        (error: unknown) => this.logger.warn(`cluster: cannot read the live nodes for direct reply-to: ${describeError(error)}`),
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private async listen(): Promise<void> {
    if (this.isStopped) return;
    this.isListening = true;
    try {
      await this.mailbox.listen(
        () => this.takeMail(),
        () => void this.refresh(),
        (error) => {
          this.isListening = false;
          if (!this.isStopped)
            this.logger.warn(`cluster: node mail notifications lost: ${describeError(error)}; polling until re-listened`);
        },
      );
    } catch (error) {
      this.isListening = false;
      this.logger.warn(`cluster: cannot listen for node mail: ${describeError(error)}`);
    }
  }

  /** Takes and delivers this node's mail until none is left; one run at a time, re-run if woken meanwhile. */
  private takeMail(): void {
    if (this.isStopped) return;
    if (this.isTaking) {
      this.isTakeWanted = true;
      return;
    }
    this.isTaking = true;
    void this.drain().finally(() => {
      this.isTaking = false;
      if (this.isTakeWanted) {
        this.isTakeWanted = false;
        this.takeMail();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      let mail;
      do {
        this.isTakeWanted = false;
        mail = await this.mailbox.take(MAIL_PER_TAKE);
        // Taken means deleted: what is taken during a stop is dropped, as RabbitMQ drops replies of a closing node.
        for (const one of mail) {
          // Mail for a queue: a message another node routed to one of this node's non-durable or exclusive queues.
          if (one.queue !== undefined) deliverForwarded(this.core, { ...one, queue: one.queue });
          else this.core.getVhost(one.vhost)?.replies.deliverRelayed(Message.fromStorage(one.data, false));
        }
      } while (mail.length === MAIL_PER_TAKE && !this.isStopped);
    } catch (error) {
      // The next notification or heartbeat takes it.
      this.logger.warn(`cluster: cannot take node mail: ${describeError(error)}`);
    }
  }
}
