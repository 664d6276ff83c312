import { describeError } from '@app/broker-core';
import type { ExpiredMessage, SharedQueueStore } from '@app/storage';
import type { BrokerLogger } from '../logger.js';
import { EarliestTimer } from './earliest-timer.js';

/** Most expired messages one sweep takes; a full sweep is followed by another at once. */
const SWEEP_LIMIT = 500;
/** The wait when the next deadline is already due but another node's sweep holds those rows. */
const DUE_RETRY_MS = 200;

/**
 * Expiry of shared queues' messages that no node claimed (docs/SCALE-OUT.md, "Shared queues"): TTLs count from the
 * publish on the database's clock, and a message nobody consumes still expires. A sweep claims the ready messages of
 * this node's shared queues whose deadline passed (each goes to exactly one node: `FOR UPDATE SKIP LOCKED`) and
 * hands them to `expired` (dead-lettered with reason `expired`, then deleted). Sweeps run on the cluster heartbeat
 * and on one timer armed for the next deadline (what the sweep read, or a message this node just published), so an
 * idle queue's messages expire about when they should, without polling hot.
 */
export class SharedExpirySweeper {
  private readonly timer = new EarliestTimer(() => void this.sweep());
  private isSweeping = false;
  private isSweepWanted = false;
  private isStopped = false;

  constructor(
    private readonly store: SharedQueueStore,
    private readonly logger: BrokerLogger,
    /** The ids of the queues this node shares (only their messages are swept here). */
    private readonly queueIds: () => Iterable<string>,
    /** Messages this node took because their TTL ran out: dead-letter and settle them. */
    private readonly expired: (messages: readonly ExpiredMessage[]) => void,
  ) {}

  /** A message published through this node expires at `expiresAt` (epoch ms): a sweep runs by then. */
  expiresAt(expiresAt: number): void {
    if (expiresAt > 0) this.timer.arm(expiresAt - Date.now());
  }

  /** Sweeps now (the heartbeat, the timer); a sweep asked for while one runs runs again after it. */
  async sweep(): Promise<void> {
    if (this.isStopped) return;
    if (this.isSweeping) {
      this.isSweepWanted = true;
      return;
    }
    this.isSweeping = true;
    try {
      do {
        this.isSweepWanted = false;
        const ids = [...this.queueIds()];
        if (ids.length === 0) return;
        const { expired, nextExpiryMs } = await this.store.expire(ids, SWEEP_LIMIT);
        if (this.isStopped) {
          this.releaseAll(expired);
          return;
        }
        if (expired.length > 0) this.expired(expired);
        if (expired.length >= SWEEP_LIMIT) this.isSweepWanted = true;
        else if (nextExpiryMs !== undefined) this.timer.arm(nextExpiryMs <= 0 ? DUE_RETRY_MS : nextExpiryMs + 1);
      } while (this.isSweepWanted && !this.isStopped);
    } catch (error) {
      // The heartbeat sweeps again (a failed claim took nothing).
      this.logger.warn(`cluster: cannot sweep expired shared-queue messages: ${describeError(error)}`);
    } finally {
      this.isSweeping = false;
    }
  }

  /** Stops sweeping (shutdown, lease lost). */
  stop(): void {
    this.isStopped = true;
    this.timer.stop();
  }

  private releaseAll(messages: readonly ExpiredMessage[]): void {
    for (const { queueId, seq } of messages) this.store.release(queueId, [seq]);
  }
}
