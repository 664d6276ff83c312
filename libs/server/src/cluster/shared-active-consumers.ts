import { describeError, type Queue } from '@app/broker-core';
import type { SharedQueueStore } from '@app/storage';
import type { BrokerLogger } from '../logger.js';

/** Where a shared queue's single active consumer is, as this node knows it. */
interface ActiveState {
  /**
   * `here`: one of this node's consumers is the active one, so this node claims; `elsewhere`: another node holds it
   * (or the last attempt found it taken): wait for its release notification or the heartbeat; `free`: ask when a
   * consumer here wants messages.
   */
  where: 'here' | 'elsewhere' | 'free';
  /** An acquire query is in flight. */
  isAcquiring: boolean;
  /** The tag this node holds it under (its first consumer's), to notice when the next local consumer takes over. */
  tag: string | undefined;
  /** This node's release of it, until committed: a new consumer here takes it again only after (else the release would undo it). */
  releasing: Promise<void> | undefined;
}

/**
 * Single active consumer (`x-single-active-consumer`) across the nodes sharing a queue (docs/SCALE-OUT.md): the
 * queue's row in `warren_shared_active_consumers` names the one node whose consumer is active; only that node
 * claims the queue's messages, and on it the queue's own single-active ring delivers to its first consumer. The
 * other nodes' consumers wait (`Queue.isConsumingPaused`) and try to take over when the holder frees it (its last
 * consumer went: a notification) or, on the heartbeat, once its node is no longer live (after its lease).
 */
export class SharedActiveConsumers {
  private readonly states = new Map<Queue, ActiveState>();
  private isStopped = false;

  constructor(
    private readonly store: SharedQueueStore,
    private readonly logger: BrokerLogger,
    /** This node took the queue's active consumer: claim and deliver now. */
    private readonly onActive: (queue: Queue) => void,
  ) {}

  /** A queue became shared: with `x-single-active-consumer`, its consumers wait until this node holds it. */
  attach(queue: Queue): void {
    if (!queue.policy.singleActiveConsumer) return;
    queue.isConsumingPaused = true;
    this.states.set(queue, { where: 'free', isAcquiring: false, tag: undefined, releasing: undefined });
  }

  /** The queue was deleted (its row goes with its messages). */
  detach(queue: Queue): void {
    this.states.delete(queue);
  }

  /**
   * Whether this node may claim for the queue now (always, without `x-single-active-consumer`). Called per
   * dispatch: cheap, and asks the database only when the queue is free as far as this node knows, or when the
   * local active consumer changed.
   */
  mayClaim(queue: Queue): boolean {
    const state = this.states.get(queue);
    if (state === undefined) return true;
    const first = queue.consumers[0];
    if (first === undefined || this.isStopped) return state.where === 'here';
    if (state.where === 'free' || (state.where === 'here' && state.tag !== first.tag)) this.acquire(queue, state, first.tag);
    return state.where === 'here';
  }

  /** Another node freed the queue's active consumer, or the heartbeat asks again: try to take it if consumers wait here. */
  retry(queue: Queue): void {
    const state = this.states.get(queue);
    if (state === undefined || state.where !== 'elsewhere') return;
    state.where = 'free';
    this.mayClaim(queue);
  }

  /** Every queue waiting for another node's active consumer (the heartbeat's retry). */
  retryAll(): void {
    for (const queue of this.states.keys()) this.retry(queue);
  }

  /** This node's last consumer of the queue went: free it for the other nodes (with the release of what it held). */
  idle(queue: Queue): void {
    const state = this.states.get(queue);
    if (state === undefined) return;
    queue.isConsumingPaused = true;
    if (state.where === 'here') this.release(state, queue);
    state.where = 'free';
    state.tag = undefined;
  }

  /** Stops taking active consumers (shutdown, lease lost): the others take over once this node is gone. */
  stop(): void {
    this.isStopped = true;
  }

  private release(state: ActiveState, queue: Queue): void {
    const releasing = this.store.releaseActive(queue.storageId).catch(() => undefined);
    state.releasing = releasing;
    void releasing.then(() => {
      if (state.releasing === releasing) state.releasing = undefined;
    });
  }

  private acquire(queue: Queue, state: ActiveState, tag: string): void {
    if (state.isAcquiring) return;
    state.isAcquiring = true;
    const released = state.releasing ?? Promise.resolve();
    released
      .then(() => this.store.acquireActive(queue.storageId, tag))
      .then(
        (holder) => {
          state.isAcquiring = false;
          if (this.states.get(queue) !== state || queue.isDeleted) return;
          const first = queue.consumers[0];
          if (holder.isThisNode) {
            if (first === undefined || this.isStopped) {
              // Its consumers went (or the node stops) while it was being taken: free it again.
              if (first === undefined) this.release(state, queue);
              state.where = 'free';
              return;
            }
            state.where = 'here';
            state.tag = tag;
            queue.isConsumingPaused = false;
            queue.remoteActiveConsumerTag = undefined;
            // Claims now; if the next local consumer took over meanwhile, mayClaim sees the tag differ and records it.
            this.onActive(queue);
            return;
          }
          state.where = 'elsewhere';
          queue.isConsumingPaused = true;
          queue.remoteActiveConsumerTag = holder.consumerTag === '' ? undefined : holder.consumerTag;
        },
        (error: unknown) => {
          state.isAcquiring = false;
          // Asked again on the heartbeat.
          state.where = 'elsewhere';
          this.logger.warn(`cluster: cannot take the single active consumer of queue '${queue.name}': ${describeError(error)}`);
        },
      );
  }
}
