import { Message, delayedStoreId, describeError, type BrokerCore, type SharedDelayedHold } from '@app/broker-core';
import type { DueDelayedMessage, SharedDelayedStore } from '@app/storage';
import type { BrokerLogger } from '../logger.js';
import { SharedQueueOverflowError } from './shared-queue-overflow-error.js';
import { EarliestTimer } from './earliest-timer.js';

/** Most due messages one claim takes; a full claim is followed by another once its routing committed. */
const CLAIM_LIMIT = 500;
const PREFIX = 'delayed:';

/** Whether `promise` resolves (its error is handled where it was made). */
const succeeded = (promise: Promise<void>): Promise<boolean> =>
  promise.then(
    () => true,
    () => false,
  );

/**
 * Delayed messages on the shared store (docs/SCALE-OUT.md, "Delayed messages"): persistent messages of durable
 * `x-delayed-message` exchanges are held in the database with their due time, not by the node that received them,
 * and whichever live node claims one once due (`FOR UPDATE SKIP LOCKED`: one node each) routes it through its own
 * copy of the exchange and deletes it in the transaction that enqueues it on shared queues. A node dying between its
 * claim and that commit leaves the claim to be released on the survivors' heartbeat and routed again: never lost. Each node claims on one timer armed for the next due time (what its last claim read, a message it just
 * held, or the `NOTIFY` of a hold on any node) and on the heartbeat, never in a hot loop.
 */
export class SharedDelayedMessages implements SharedDelayedHold {
  private readonly timer = new EarliestTimer(() => void this.claim());
  private isClaiming = false;
  private isClaimWanted = false;
  private isListening = false;
  private isStopped = false;

  /**
   * `strandedGraceMs`: how long a held message of an exchange this node does not know must have been due before
   * the heartbeat drops it (longer than any live node takes to learn of a new exchange).
   */
  constructor(
    private readonly store: SharedDelayedStore,
    private readonly core: BrokerCore,
    private readonly logger: BrokerLogger,
    private readonly strandedGraceMs: number,
    /** Deletes routed messages in the shared queues' next group commit (SharedQueueStore.settleDelayed). */
    private readonly settleWith: (ids: readonly number[]) => Promise<void>,
  ) {}

  hold(exchangeId: string, message: Message, delayMs: number): Promise<void> {
    const write = this.store.hold(exchangeId, message.storageData, delayMs);
    // The notification of the commit arms every node's timer, this one's included; arming here spares a round trip.
    this.timer.arm(delayMs);
    return write;
  }

  /** Listens for holds of other nodes and starts claiming what is due already (start-up; not waited for). */
  async start(): Promise<void> {
    await this.listen();
    void this.claim();
  }

  /**
   * The heartbeat: listens again if the connection was lost, gives back dead nodes' claims, drops stranded messages
   * and starts a claim. Each step on its own: one that fails (logged) neither stops the others nor reaches the
   * heartbeat's other housekeeping. The claim is not waited for: a big due backlog is routed batch by batch
   * without holding up the heartbeat.
   */
  async poll(): Promise<void> {
    if (this.isStopped) return;
    if (!this.isListening) await this.listen();
    try {
      const released = await this.store.releaseOrphans();
      if (released > 0) this.logger.warn({ messages: released }, `cluster: ${released} delayed messages claimed by lost nodes given back`);
    } catch (error) {
      this.logger.warn(`cluster: cannot give back the delayed messages of lost nodes: ${describeError(error)}`);
    }
    try {
      const stranded = await this.store.dropStranded(this.exchangeIds(), this.strandedGraceMs);
      if (stranded > 0) this.logger.info({ messages: stranded }, `cluster: dropped ${stranded} delayed messages of deleted exchanges`);
    } catch (error) {
      this.logger.warn(`cluster: cannot drop the delayed messages of deleted exchanges: ${describeError(error)}`);
    }
    void this.claim();
  }

  /** A durable exchange was deleted through this node: its held messages go everywhere. */
  exchangeDeleted(vhost: string, exchangeName: string): void {
    this.store
      .dropExchange(delayedStoreId(vhost, exchangeName))
      .catch((error: unknown) =>
        this.logger.warn(`cluster: cannot drop the delayed messages of exchange '${exchangeName}': ${describeError(error)}`),
      );
  }

  /**
   * Claims and routes what is due; a claim asked for while one runs runs again after it. A full claim is followed
   * by the next only once its routing committed (backpressure): at most one batch is claimed and not yet settled,
   * so a due backlog of any size is never read into memory at once, nor piled up in the shared queues' commits.
   */
  async claim(): Promise<void> {
    if (this.isStopped) return;
    if (this.isClaiming) {
      this.isClaimWanted = true;
      return;
    }
    this.isClaiming = true;
    try {
      do {
        this.isClaimWanted = false;
        const ids = this.exchangeIds();
        if (ids.length === 0) return;
        const { due, nextDueMs } = await this.store.claimDue(ids, CLAIM_LIMIT);
        if (this.isStopped) {
          this.store.release(due.map((message) => message.id));
          return;
        }
        const settled = this.route(due);
        if (due.length >= CLAIM_LIMIT) this.isClaimWanted = true;
        else if (nextDueMs !== undefined) this.timer.arm(nextDueMs + 1);
        // A failed commit gave the claims back (route): the store is in trouble, the heartbeat claims again.
        if (settled !== undefined && !(await succeeded(settled))) return;
      } while (this.isClaimWanted && !this.isStopped);
    } catch (error) {
      // The heartbeat claims again (a failed claim took nothing).
      this.logger.warn(`cluster: cannot claim due delayed messages: ${describeError(error)}`);
    } finally {
      this.isClaiming = false;
    }
  }

  /** Stops claiming (shutdown, lease lost); held messages stay held for the other nodes. */
  stop(): void {
    this.isStopped = true;
    this.timer.stop();
  }

  /** The storage ids of every durable delayed exchange this node knows: the only ones it can route. */
  private exchangeIds(): string[] {
    const ids: string[] = [];
    for (const vhost of this.core.allVhosts())
      for (const exchange of vhost.topology.exchanges())
        if (exchange.type.isDelayed && exchange.durable) ids.push(vhost.delayed.storeId(exchange.name));
    return ids;
  }

  /**
   * Routes claimed messages in due order, in one turn, and deletes them in the shared queues' next group commit: the
   * one that carries what the routing published to shared queues, so each is enqueued and leaves the held messages
   * in one transaction (exactly once). If that commit fails, nothing of it happened: the claims are given back for
   * a later claim. A write apart from that commit (a queue this node still keeps per node; a burst that spilled into
   * an earlier group) that fails while the delete committed gets its message held again, due now: at least once.
   * Returns that commit (undefined when nothing was claimed).
   */
  private route(due: readonly DueDelayedMessage[]): Promise<void> | undefined {
    if (due.length === 0) return undefined;
    const ids: number[] = [];
    const writes: Array<{ message: DueDelayedMessage; write: Promise<void> }> = [];
    for (const message of due) {
      const { id, exchangeId, data } = message;
      ids.push(id);
      try {
        const slash = exchangeId.indexOf('/', PREFIX.length);
        const vhost = this.core.getVhost(decodeURIComponent(exchangeId.slice(PREFIX.length, slash)));
        const write = vhost?.delayed.routeDue(exchangeId.slice(slash + 1), Message.fromStorage(data));
        if (write !== undefined) writes.push({ message, write });
      } catch (error) {
        // Never routable (a bug, not a state that passes): dropped, or it would come back forever.
        this.logger.error({ id, exchange: exchangeId }, `cluster: cannot route a delayed message: ${describeError(error)}`);
      }
    }
    const settled = this.settleWith(ids);
    settled.catch(() => this.store.release(ids));
    for (const { message, write } of writes) {
      write.catch((error: unknown) => {
        // A full queue (reject-publish) refused it, as a publish: done, as on one node.
        if (error instanceof SharedQueueOverflowError) return;
        settled.then(
          () =>
            this.store
              .hold(message.exchangeId, message.data, 0)
              .catch((holdError: unknown) =>
                this.logger.error(
                  { exchange: message.exchangeId },
                  `cluster: a due delayed message was not enqueued and cannot be held again: ${describeError(holdError)}`,
                ),
              ),
          () => undefined,
        );
      });
    }
    return settled;
  }

  private async listen(): Promise<void> {
    if (this.isStopped) return;
    this.isListening = true;
    try {
      await this.store.listen(
        (dueInMs) => this.timer.arm(dueInMs + 1),
        (error) => {
          this.isListening = false;
          if (!this.isStopped)
            this.logger.warn(`cluster: delayed message notifications lost: ${describeError(error)}; polling until re-listened`);
        },
      );
    } catch (error) {
      this.isListening = false;
      this.logger.warn(`cluster: cannot listen for delayed messages: ${describeError(error)}`);
    }
  }
}
