import { Message, describeError, type Queue, type QueueUseCounts, type SharedQueueLink } from '@app/broker-core';
import type { ClaimedMessage, ExpiredMessage, SharedQueueCount, SharedQueueLimits, SharedQueueStore } from '@app/storage';
import type { BrokerLogger } from '../logger.js';
import { queueNodeOf } from './remote-topology.js';
import { SharedActiveConsumers } from './shared-active-consumers.js';
import { SharedExpirySweeper } from './shared-expiry-sweeper.js';
import { SharedQueueOverflowError } from './shared-queue-overflow-error.js';
import { SharedQueueUsage } from './shared-queue-usage.js';

/** Most messages one claim takes (a consumer with unlimited prefetch is not handed a whole backlog at once). */
const MAX_CLAIM = 256;

/** A message of a shared queue as stored; transient ones stay transient once claimed. */
function messageOf(data: Buffer): Message {
  const message = Message.fromStorage(data);
  return message.properties.deliveryMode === 2 ? message : Message.fromStorage(data, false);
}

/** The length limit the shared store applies to a queue's publishes, or undefined when it has none. */
function limitsOf(queue: Queue): SharedQueueLimits | undefined {
  const { maxLength, maxLengthBytes, overflow, deadLetterExchange } = queue.policy;
  if (maxLength === undefined && maxLengthBytes === undefined) return undefined;
  return { maxLength, maxLengthBytes, overflow, returnsDropped: overflow === 'drop-head' && deadLetterExchange !== undefined };
}

/** Sets a queue's backlog across nodes from a count of the shared store (none counted: empty). */
function backlogFrom(queue: Queue, counts: ReadonlyMap<string, SharedQueueCount>): void {
  queue.sharedBacklog = counts.get(queue.storageId) ?? { unclaimed: 0, total: 0 };
}

/**
 * A non-durable, non-exclusive queue: with shared queues on, its messages are in the shared table too (as
 * transient messages) so consumers on every node compete for them, while the queue stays its node's
 * (docs/SCALE-OUT.md, "Queues of one node"). Exclusive queues are not: only their connection consumes.
 */
export function isSharedTransientQueue(queue: Queue): boolean {
  return !queue.options.durable && !queue.options.exclusive;
}

/** Claim state of one shared queue on this node. */
interface FeedState {
  /** A claim query is in flight: never two at once per queue. */
  isClaiming: boolean;
  /**
   * The last claim found fewer ready messages than asked: claim again only on a notification (a publish or release
   * on any node), or at the safety poll, never per dispatch (that would be a hot loop on an empty queue).
   */
  isDrained: boolean;
}

/**
 * This node's side of shared queues (docs/SCALE-OUT.md, "Shared queues"): durable queues (and non-durable,
 * non-exclusive ones: {@link isSharedTransientQueue}) whose messages live in the shared table, claimed in batches sized by the free prefetch of this node's consumers, so one node does not
 * hoard. Claimed messages enter the local {@link Queue}, which delivers them as usual; what leaves for good is
 * deleted, what is requeued (nack, lost channel, last local consumer gone) is released for any node.
 *
 * Idle queues wake on `NOTIFY` (the store's publish and release commits); {@link poll}, on the cluster heartbeat,
 * is the safety net for a lost notification, and releases the claims of nodes that are no longer live.
 */
export class SharedQueueFeed implements SharedQueueLink {
  private readonly states = new Map<Queue, FeedState>();
  private readonly byId = new Map<string, Queue>();
  private isListening = false;
  private isStopped = false;
  /** TTLs from the publish: what nobody claimed in time is swept and dead-lettered by one node. */
  private readonly sweeper: SharedExpirySweeper;
  /** `x-single-active-consumer` across nodes. */
  private readonly active: SharedActiveConsumers;
  /** A count of every shared queue is in flight (the heartbeat's sampling). */
  private isSampling = false;
  /** Auto-delete, `x-expires` and `if-unused` across nodes. */
  private readonly usage: SharedQueueUsage;
  /** The store's removal of queues this node deleted (weak: gone with the queue object). */
  private readonly erasing = new WeakMap<Queue, Promise<void>>();
  /** Non-durable queues of a node this node reaped: their delete comes as another node's, but this node erases. */
  private readonly reaped = new WeakSet<Queue>();
  /**
   * Other nodes' non-durable queues deleted here since the last heartbeat (storage id to owner node): the delete a
   * reap causes can be applied (a notification) before the reaping node learns whom it reaped.
   */
  private readonly detachedOfOthers = new Map<string, string>();

  constructor(
    private readonly store: SharedQueueStore,
    private readonly logger: BrokerLogger,
    /** This node decided that a shared queue goes (auto-delete, `x-expires`): delete it everywhere. */
    deleteQueue: (queue: Queue, reason: string) => void,
  ) {
    this.usage = new SharedQueueUsage(store.usage, logger, deleteQueue);
    this.sweeper = new SharedExpirySweeper(
      store,
      logger,
      () => this.byId.keys(),
      (messages) => this.expired(messages),
    );
    this.active = new SharedActiveConsumers(store, logger, (queue) => this.wake(queue));
    // drop-head deleted these in this node's publish transaction: this node dead-letters them (as one node would).
    store.onDropped((queueId, records) => {
      const queue = this.byId.get(queueId);
      if (queue === undefined || queue.isDeleted) return;
      for (const data of records) queue.hooks?.deadLetter(queue, messageOf(data), 'maxlen');
    });
  }

  /**
   * Makes a durable queue shared. A queue still holding this node's own messages (stored before shared queues were
   * enabled) stays per node until they are gone and the node restarts: false then.
   */
  attach(queue: Queue): boolean {
    if (queue.shared !== undefined) return true;
    if (queue.messageCount > 0 || queue.unackedCount > 0) {
      this.logger.warn(
        { queue: queue.name, vhost: queue.vhost },
        `cluster: queue '${queue.name}' holds this node's own messages; it stays per node`,
      );
      return false;
    }
    queue.shared = this;
    this.states.set(queue, { isClaiming: false, isDrained: false });
    this.byId.set(queue.storageId, queue);
    this.active.attach(queue);
    this.usage.attach(queue);
    return true;
  }

  /**
   * A dead node's non-durable queues, which this node reaped (its lease ran out): their deletes arrive as the dead
   * node's changes, and this node removes their messages and use rows, once, as if it had deleted them.
   */
  reapedQueues(nodes: ReadonlySet<string>, queues: Iterable<Queue>): void {
    for (const queue of queues) if (this.states.has(queue)) this.reaped.add(queue);
    for (const [storageId, node] of this.detachedOfOthers)
      if (nodes.has(node))
        void this.store.deleteQueue(storageId).catch((error: unknown) => {
          this.logger.warn(`cluster: cannot delete the shared messages of queue '${storageId}': ${describeError(error)}`);
        });
  }

  /** Ends the window in which a reap may name queues already deleted here (called once per heartbeat). */
  forgetDetached(): void {
    this.detachedOfOthers.clear();
  }

  /**
   * Removes the messages of this node's own non-durable queues from the shared table (a clean leave: the others
   * delete their copies when the leave's changes reach them, and nobody else would remove the rows).
   */
  async eraseOwnTransient(isOwn: (queue: Queue) => boolean): Promise<void> {
    for (const queue of [...this.states.keys()])
      if (isSharedTransientQueue(queue) && isOwn(queue))
        await this.store.deleteQueue(queue.storageId).catch((error: unknown) => {
          this.logger.warn(`cluster: cannot delete the shared messages of queue '${queue.name}': ${describeError(error)}`);
        });
  }

  /** The queue was deleted; `isOrigin`: by this node (the deleting node deletes its messages, once). */
  detach(queue: Queue, isOrigin: boolean): void {
    if (!this.states.delete(queue)) return;
    if (this.reaped.has(queue)) isOrigin = true;
    if (this.byId.get(queue.storageId) === queue) this.byId.delete(queue.storageId);
    this.active.detach(queue);
    const forgotten = this.usage.detach(queue, isOrigin);
    if (!isOrigin) {
      const node = isSharedTransientQueue(queue) ? queueNodeOf(queue) : undefined;
      if (node !== undefined) this.detachedOfOthers.set(queue.storageId, node);
      return;
    }
    const deleted = this.store.deleteQueue(queue.storageId).catch((error: unknown) => {
      this.logger.warn(`cluster: cannot delete the shared messages of queue '${queue.name}': ${describeError(error)}`);
    });
    this.erasing.set(
      queue,
      Promise.all([deleted, forgotten]).then(() => undefined),
    );
  }

  erased(queue: Queue): Promise<void> | undefined {
    return this.erasing.get(queue);
  }

  /** Starts listening for ready messages. */
  async start(): Promise<void> {
    await this.listen();
    await this.poll();
  }

  /** Stops claiming (shutdown, lease lost). */
  stop(): void {
    this.isStopped = true;
    this.sweeper.stop();
    this.active.stop();
    this.usage.stop();
  }

  publish(queue: Queue, message: Message): Promise<void> {
    // The TTL counts from now, the publish, whichever node claims the message (docs/SCALE-OUT.md).
    const expiresAt = queue.expiresAtFor(message);
    if (expiresAt > 0) this.sweeper.expiresAt(expiresAt);
    const { maxPriority } = queue.policy;
    const priority = maxPriority === undefined ? 0 : Math.min(message.properties.priority ?? 0, maxPriority);
    const limits = limitsOf(queue);
    // Transient messages go where the store keeps them cheaper (PostgreSQL: an UNLOGGED table).
    const write = this.store.publish([
      {
        queueId: queue.storageId,
        data: message.storageData,
        expiresAt,
        // A non-durable queue's messages are transient whatever their delivery mode, as on one node.
        isTransient: !message.isPersistent || !queue.options.durable,
        bodySize: message.bodySize,
        priority,
        limits,
      },
    ]);
    // The count of refused entries is always 0 here: no promise more per message on the plain path.
    if (limits === undefined || limits.overflow === 'drop-head') return write as Promise<unknown> as Promise<void>;
    return write.then((rejected) => {
      if (rejected === 0) return;
      // Refused by the limit across nodes, as Queue.push refuses on one node: dead-lettered here with reject-publish-dlx.
      if (limits.overflow === 'reject-publish-dlx' && !queue.isDeleted) queue.hooks?.deadLetter(queue, message, 'maxlen');
      throw new SharedQueueOverflowError(queue);
    });
  }

  settled(queue: Queue, seqs: readonly number[]): void {
    this.store.settle(queue.storageId, seqs);
  }

  released(queue: Queue, seqs: readonly number[], isDelivered: boolean): void {
    // Claimed again (here or elsewhere) after the release commits: its notification wakes every node.
    this.store.release(queue.storageId, seqs, isDelivered);
  }

  purged(queue: Queue): Promise<number> {
    return this.store.purge(queue.storageId).then(
      (purged) => {
        void this.count(queue);
        return purged;
      },
      (error: unknown) => {
        this.logger.warn(`cluster: cannot purge the shared messages of queue '${queue.name}': ${describeError(error)}`);
        return 0;
      },
    );
  }

  count(queue: Queue): Promise<number> {
    return this.store.count([queue.storageId]).then(
      (counts) => {
        backlogFrom(queue, counts);
        return queue.reportedReadyCount;
      },
      (error: unknown) => {
        this.logger.warn(`cluster: cannot count the shared messages of queue '${queue.name}': ${describeError(error)}`);
        return queue.reportedReadyCount;
      },
    );
  }

  claimForGet(queue: Queue): Promise<void> {
    const state = this.states.get(queue);
    if (state === undefined || this.isStopped) return Promise.resolve();
    return this.store.claim(queue.storageId, 1).then(
      (claimed) => {
        this.admit(queue, state, claimed);
        // The get takes it in this turn (its answer waits for this promise); a get whose channel went away
        // meanwhile leaves it: released for others once this turn is over, unless a consumer arrived.
        if (claimed.length > 0)
          setImmediate(() => {
            if (queue.consumerCount === 0 || queue.isConsumingPaused) queue.releaseReady();
          });
      },
      (error: unknown) => {
        this.logger.warn(`cluster: cannot claim a message of queue '${queue.name}' for basic.get: ${describeError(error)}`);
      },
    );
  }

  wanted(queue: Queue): void {
    const state = this.states.get(queue);
    if (state === undefined || state.isDrained || state.isClaiming || this.isStopped) return;
    // Single active consumer on another node (or being taken): claim nothing here.
    if (!this.active.mayClaim(queue)) return;
    const want = this.room(queue);
    if (want > 0) void this.claim(queue, state, want);
  }

  idle(queue: Queue): void {
    this.active.idle(queue);
  }

  used(queue: Queue): void {
    this.usage.used(queue);
  }

  expire(queue: Queue): void {
    this.usage.expire(queue);
  }

  /**
   * Rejects when either count fails: an unknown count is never taken for 0 (or for a stale backlog), which would
   * delete a queue in use or not empty on another node; the caller answers with an error instead.
   */
  async judgeDelete(queue: Queue): Promise<QueueUseCounts> {
    const [others, counts] = await Promise.all([this.usage.otherConsumers(queue), this.store.count([queue.storageId])]);
    backlogFrom(queue, counts);
    return { consumers: queue.consumerCount + others, messages: queue.reportedReadyCount };
  }

  /**
   * The safety net (every cluster heartbeat): releases orphaned claims, re-listens if needed, lets waiting single
   * active consumers try to take over and every queue with consumers claim again, and sweeps expired messages.
   */
  async poll(): Promise<void> {
    if (this.isStopped) return;
    try {
      const released = await this.store.releaseOrphans();
      if (released > 0)
        this.logger.warn({ messages: released }, `cluster: released ${released} shared-queue claims of nodes that are gone`);
    } catch (error) {
      this.logger.warn(`cluster: cannot release orphaned claims: ${describeError(error)}`);
    }
    if (!this.isListening) await this.listen();
    // Consumers of nodes that are gone: auto-delete and x-expires decided for what they leave unused.
    await this.usage.poll();
    // After the orphans' release: a dead node's active consumer is taken over with its messages ready.
    this.active.retryAll();
    for (const queue of this.states.keys()) this.wake(queue);
    // Not awaited: a long backlog of expired messages is swept batch by batch without holding up the heartbeat.
    void this.sweeper.sweep();
    // Not awaited: a slow count over deep queues never delays the housekeeping that follows.
    if (!this.isSampling) void this.sampleCounts();
  }

  /** Counts every shared queue's backlog in one query (the admin API's and metrics' numbers). */
  private async sampleCounts(): Promise<void> {
    const queues = [...this.byId.values()];
    if (queues.length === 0 || this.isStopped) return;
    this.isSampling = true;
    try {
      const counts = await this.store.count(queues.map((queue) => queue.storageId));
      for (const queue of queues) backlogFrom(queue, counts);
    } catch (error) {
      this.logger.warn(`cluster: cannot count the shared queues' messages: ${describeError(error)}`);
    } finally {
      this.isSampling = false;
    }
  }

  /** How many messages this node's consumers of `queue` could take beyond what it holds, at most {@link MAX_CLAIM}. */
  private room(queue: Queue): number {
    let free = 0;
    const active = queue.activeConsumer;
    for (const consumer of active === undefined ? queue.consumers : [active]) {
      free += consumer.freeCapacity ? consumer.freeCapacity() : consumer.canAccept() ? 1 : 0;
      if (free >= MAX_CLAIM) break;
    }
    return Math.min(MAX_CLAIM, free) - queue.messageCount;
  }

  private wake(queue: Queue): void {
    const state = this.states.get(queue);
    if (state === undefined) return;
    state.isDrained = false;
    if (queue.consumerCount > 0) this.wanted(queue);
  }

  private async claim(queue: Queue, state: FeedState, want: number): Promise<void> {
    state.isClaiming = true;
    let claimed;
    try {
      claimed = await this.store.claim(queue.storageId, want);
    } catch (error) {
      // The poll tries again; a claim that failed took nothing.
      state.isDrained = true;
      state.isClaiming = false;
      this.logger.warn(`cluster: cannot claim messages of queue '${queue.name}': ${describeError(error)}`);
      return;
    }
    state.isClaiming = false;
    if (claimed.length < want) state.isDrained = true;
    if (this.admit(queue, state, claimed)) {
      if (queue.consumerCount > 0 && !queue.isConsumingPaused) queue.dispatch();
      else queue.releaseReady();
    }
  }

  /** Messages the expiry sweep took: dead-lettered by their queue (reason `expired`) and deleted. */
  private expired(messages: readonly ExpiredMessage[]): void {
    for (const { queueId, seq, data, redelivered } of messages) {
      const queue = this.byId.get(queueId);
      // Deleted meanwhile (its rows go with it): leave the row as it was.
      if (queue === undefined || queue.isDeleted) this.store.release(queueId, [seq]);
      else queue.expireClaimed(messageOf(data), seq, redelivered);
    }
  }

  /** Adds claimed messages to the local queue; false (and released again) when the queue went away meanwhile. */
  private admit(queue: Queue, state: FeedState, claimed: readonly ClaimedMessage[]): boolean {
    if (claimed.length === 0) return false;
    if (this.states.get(queue) !== state || queue.isDeleted || this.isStopped) {
      // Deleted or stopping meanwhile: what was claimed goes back untouched.
      this.store.release(
        queue.storageId,
        claimed.map((message) => message.seq),
      );
      return false;
    }
    // Transient messages are shared too (so every node's consumers see them); they stay transient once claimed.
    for (const { seq, data, redelivered, deliveryCount, ttlLeft } of claimed) {
      queue.admitClaimed(messageOf(data), seq, redelivered, deliveryCount, ttlLeft);
    }
    return true;
  }

  private async listen(): Promise<void> {
    if (this.isStopped) return;
    this.isListening = true;
    try {
      await this.store.listen(
        (queueId) => {
          const queue = this.byId.get(queueId);
          if (queue !== undefined) this.wake(queue);
        },
        (error) => {
          this.isListening = false;
          if (!this.isStopped)
            this.logger.warn(`cluster: shared-queue notifications lost: ${describeError(error)}; polling until re-listened`);
        },
        (queueId) => {
          const queue = this.byId.get(queueId);
          if (queue !== undefined) this.active.retry(queue);
        },
      );
    } catch (error) {
      this.isListening = false;
      this.logger.warn(`cluster: cannot listen for shared-queue messages: ${describeError(error)}`);
    }
  }
}
