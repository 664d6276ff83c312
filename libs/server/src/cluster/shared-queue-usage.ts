import { describeError, type Queue } from '@app/broker-core';
import type { SharedQueueUsageStore } from '@app/storage';
import type { BrokerLogger } from '../logger.js';

/** Shortest wait before an `x-expires` check is asked again (a countdown due now still waits this long). */
const MIN_CHECK_MS = 10;

/** What this node recorded of one shared queue's use. */
interface UseState {
  /** Whether the store lists this node among the queue's consumers (as of the last write that succeeded). */
  recorded: boolean;
  /** A consumers write is in flight: never two at once per queue, so they apply in order. */
  isWriting: boolean;
  /** A `last_used` write is in flight / another was asked for meanwhile (one write covers a burst of gets). */
  isTouching: boolean;
  isTouchWanted: boolean;
  /** An `x-expires` check is in flight. */
  isChecking: boolean;
  /** The next `x-expires` check. */
  timer: NodeJS.Timeout | undefined;
}

/**
 * Auto-delete, `x-expires` and `queue.delete`'s `if-unused` across the nodes sharing a queue (docs/SCALE-OUT.md,
 * "Auto-delete, x-expires and queue.delete"). This node writes only transitions: its first consumer of a queue
 * came, its last one went (each write also records a use), plus the uses of `x-expires` queues (`basic.get`,
 * declare) on the database's clock. Decisions are conditional statements on the queue's row, so one node takes
 * each: the node whose removal left no live node consuming deletes an auto-delete queue; the node whose expiry
 * check finds the queue unused for its `x-expires` on every node deletes it; the node whose heartbeat drops a dead
 * node's consumers does either for that node. Checks run on one timer per idle `x-expires` queue, armed for the
 * earliest moment it could expire (a full period while another node consumes it), never in a loop.
 */
export class SharedQueueUsage {
  private readonly states = new Map<Queue, UseState>();
  private readonly byId = new Map<string, Queue>();
  private isStopped = false;
  /** `x-expires` queues attached in this event-loop turn, tracked by one insert. */
  private toEnsure: string[] | undefined;

  constructor(
    private readonly store: SharedQueueUsageStore,
    private readonly logger: BrokerLogger,
    /** This node decided that the queue goes (auto-delete or `x-expires`): delete it everywhere. */
    private readonly deleteQueue: (queue: Queue, reason: string) => void,
  ) {}

  /** A queue became shared: tracked from now; an `x-expires` countdown starts unless another node's runs already. */
  attach(queue: Queue): void {
    const state: UseState = {
      recorded: false,
      isWriting: false,
      isTouching: false,
      isTouchWanted: false,
      isChecking: false,
      timer: undefined,
    };
    this.states.set(queue, state);
    this.byId.set(queue.storageId, queue);
    const expires = queue.policy.expires;
    if (expires === undefined) return;
    // One insert for every queue attached in this turn (a node starting attaches all of them at once).
    if (this.toEnsure === undefined) {
      const ids: string[] = (this.toEnsure = []);
      setImmediate(() => {
        this.toEnsure = undefined;
        this.store.ensure(ids).catch((error: unknown) => {
          if (!this.isStopped) this.logger.warn(`cluster: cannot record the use of ${ids.length} queues: ${describeError(error)}`);
        });
      });
    }
    this.toEnsure.push(queue.storageId);
    this.arm(queue, state, expires);
  }

  /** The queue was deleted; `isOrigin`: by this node, which forgets its row (the promise: until it has; never rejects). */
  detach(queue: Queue, isOrigin: boolean): Promise<void> | undefined {
    const state = this.states.get(queue);
    if (state === undefined) return undefined;
    clearTimeout(state.timer);
    this.states.delete(queue);
    if (this.byId.get(queue.storageId) === queue) this.byId.delete(queue.storageId);
    if (!isOrigin) return undefined;
    return this.store.forget(queue.storageId).catch((error: unknown) => this.warn(queue, 'forget the use of', error));
  }

  /** Stops deciding (shutdown, lease lost): the other nodes decide without this one once it is gone. */
  stop(): void {
    this.isStopped = true;
    for (const state of this.states.values()) clearTimeout(state.timer);
  }

  /** The queue was used on this node (Queue.touch): records consumer transitions and uses of `x-expires` queues. */
  used(queue: Queue): void {
    const state = this.states.get(queue);
    if (state === undefined || this.isStopped) return;
    const hasConsumers = queue.consumerCount > 0;
    const expires = queue.policy.expires;
    if (expires !== undefined) {
      // The countdown restarts, as on one node; it runs only while this node has no consumers.
      clearTimeout(state.timer);
      state.timer = undefined;
      if (!hasConsumers) this.arm(queue, state, expires);
    }
    // A consumers write records the use too.
    if (hasConsumers !== state.recorded || state.isWriting) this.writeConsumers(queue, state);
    else if (expires !== undefined && !hasConsumers) this.touch(queue, state);
  }

  /** This node's own countdown ran out (the queue's idle timer): check across nodes now. */
  expire(queue: Queue): void {
    const state = this.states.get(queue);
    if (state !== undefined) this.check(queue, state);
  }

  /** Live nodes other than this one that consume the queue; rejects when the store cannot say (logged). */
  otherConsumers(queue: Queue): Promise<number> {
    return this.store.otherConsumers(queue.storageId).catch((error: unknown) => {
      this.warn(queue, 'count the consumers on other nodes of', error);
      throw error;
    });
  }

  /**
   * The heartbeat: drops the consumers of nodes that are no longer live (once, by one node) and decides for what
   * they leave unused; retries consumer transitions whose write failed.
   */
  async poll(): Promise<void> {
    if (this.isStopped) return;
    for (const [queue, state] of this.states) if (queue.consumerCount > 0 !== state.recorded) this.writeConsumers(queue, state);
    let abandoned;
    try {
      abandoned = await this.store.reap();
    } catch (error) {
      this.logger.warn(`cluster: cannot drop the queue consumers of nodes that are gone: ${describeError(error)}`);
      return;
    }
    for (const { queueId, isUnused } of abandoned) {
      const queue = this.byId.get(queueId);
      const state = queue && this.states.get(queue);
      if (queue === undefined || state === undefined || !isUnused || queue.consumerCount > 0) continue;
      if (queue.options.autoDelete) this.deleteQueue(queue, 'its last consumers were on a node that is gone (auto-delete)');
      else if (queue.policy.expires !== undefined) this.arm(queue, state, queue.policy.expires);
    }
  }

  private writeConsumers(queue: Queue, state: UseState): void {
    if (state.isWriting) return;
    const hasConsumers = queue.consumerCount > 0;
    if (hasConsumers === state.recorded) return;
    state.isWriting = true;
    this.store.setConsumers(queue.storageId, hasConsumers).then(
      ({ wasLast }) => {
        state.isWriting = false;
        state.recorded = hasConsumers;
        if (this.states.get(queue) !== state || queue.isDeleted || this.isStopped) return;
        // The last consumer of every node went, and none came back here meanwhile: auto-delete (RabbitMQ semantics).
        if (wasLast && queue.options.autoDelete && queue.consumerCount === 0) {
          this.deleteQueue(queue, 'its last consumer on every node went (auto-delete)');
          return;
        }
        this.writeConsumers(queue, state);
      },
      (error: unknown) => {
        // Written again on the heartbeat.
        state.isWriting = false;
        this.warn(queue, 'record the consumers of', error);
      },
    );
  }

  private touch(queue: Queue, state: UseState): void {
    if (state.isTouching) {
      state.isTouchWanted = true;
      return;
    }
    state.isTouching = true;
    state.isTouchWanted = false;
    const done = (): void => {
      state.isTouching = false;
      if (state.isTouchWanted && this.states.get(queue) === state && !this.isStopped) this.touch(queue, state);
    };
    this.store.touch([queue.storageId]).then(done, (error: unknown) => {
      done();
      this.warn(queue, 'record the use of', error);
    });
  }

  private arm(queue: Queue, state: UseState, ms: number): void {
    clearTimeout(state.timer);
    state.timer = setTimeout(
      () => {
        state.timer = undefined;
        this.check(queue, state);
      },
      Math.max(MIN_CHECK_MS, ms),
    );
    state.timer.unref();
  }

  /** Asks the store whether the queue expired on every node; deletes it (this node decided) or waits again. */
  private check(queue: Queue, state: UseState): void {
    const expires = queue.policy.expires;
    if (expires === undefined || state.isChecking || queue.consumerCount > 0 || this.isStopped) return;
    state.isChecking = true;
    this.store.checkExpiry(queue.storageId, expires).then(
      ({ expired, inUse, leftMs }) => {
        state.isChecking = false;
        if (this.states.get(queue) !== state || queue.isDeleted || this.isStopped) return;
        if (expired) {
          // Unused for its whole x-expires on every node: this node took the decision (its row is gone).
          if (queue.consumerCount === 0) this.deleteQueue(queue, `unused for its x-expires (${expires} ms) on every node`);
          return;
        }
        // A consumer here since: its countdown restarts when it goes.
        if (queue.consumerCount > 0) return;
        // Consumed on another node: its countdown starts there when its last consumer goes; look again a period on.
        this.arm(queue, state, inUse ? expires : leftMs);
      },
      (error: unknown) => {
        state.isChecking = false;
        this.warn(queue, 'check the expiry of', error);
        if (this.states.get(queue) === state && !queue.isDeleted) this.arm(queue, state, expires);
      },
    );
  }

  private warn(queue: Queue, what: string, error: unknown): void {
    if (!this.isStopped) this.logger.warn(`cluster: cannot ${what} queue '${queue.name}': ${describeError(error)}`);
  }
}
