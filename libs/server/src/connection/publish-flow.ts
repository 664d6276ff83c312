import type { Socket } from 'node:net';
import type { FrameWriter } from '../net/frame-writer.js';
import type { HeartbeatMonitor } from './heartbeat-monitor.js';

/**
 * Flow control of one connection under a resource alarm: `connection.blocked`/`unblocked` for clients that support
 * them, and a paused socket for connections that publish (RabbitMQ semantics), so consumers keep draining queues.
 */
export class PublishFlow {
  /** The client announced the `connection.blocked` capability. */
  isNotificationSupported = false;
  /** Set once the connection publishes: flow control pauses only publishing connections. */
  private hasPublished = false;
  private isPausedNow = false;
  private isBlockedNotified = false;

  constructor(
    private readonly socket: Socket,
    private readonly writer: FrameWriter,
    private readonly heartbeats: HeartbeatMonitor,
    private readonly services: { blockReason(): string | undefined },
    /**
     * A management connection (accepted on the management listener, which lets it publish management requests
     * only): never blocked, so an operator can see and fix an alarm, as with RabbitMQ's built-in management API.
     * Decided by the listener that accepted the socket, never by anything the client sends.
     */
    private readonly isExempt: boolean,
    /** Reading is also held for another reason (frames held behind a channel's pending step): not resumed here. */
    private readonly isReadingHeld: () => boolean,
    /** Reading resumed: publishes held while blocked are routed now. */
    private readonly resumed: () => void,
  ) {}

  /** Whether reading is paused. */
  get isPaused(): boolean {
    return this.isPausedNow;
  }

  /** A publish started: when an alarm is in force, stop reading this connection (after the current read). */
  publishing(): void {
    if (this.isExempt) return;
    this.hasPublished = true;
    const reason = this.services.blockReason();
    if (reason !== undefined) this.block(reason);
  }

  /** A resource alarm started (reason) or ended (undefined), on an open connection. */
  setFlow(reason: string | undefined): void {
    if (this.isExempt) return;
    if (reason === undefined) return this.unblock();
    this.notifyBlocked(reason);
    if (this.hasPublished) this.block(reason);
  }

  private notifyBlocked(reason: string): void {
    if (this.isNotificationSupported && !this.isBlockedNotified) {
      this.isBlockedNotified = true;
      this.writer.writeMethod(0, { name: 'connection.blocked', classId: 10, methodId: 60, reason });
    }
  }

  private block(reason: string): void {
    this.notifyBlocked(reason);
    if (!this.isPausedNow) {
      this.isPausedNow = true;
      this.heartbeats.pause();
      this.socket.pause();
    }
  }

  private unblock(): void {
    if (this.isPausedNow) {
      this.isPausedNow = false;
      this.heartbeats.resume();
      if (!this.isReadingHeld()) this.socket.resume();
      this.resumed();
    }
    if (this.isBlockedNotified) {
      this.isBlockedNotified = false;
      this.writer.writeMethod(0, { name: 'connection.unblocked', classId: 10, methodId: 61 });
    }
  }
}
