import { runGuarded, type BackgroundErrorReporter } from '@app/broker-core';
import { HEARTBEAT_FRAME } from '@app/codec';
import type { FrameWriter } from '../net/frame-writer.js';

/**
 * Heartbeats of one connection (AMQP 0-9-1 §4.2.7): sends a heartbeat when nothing was written for half an
 * interval, and reports a peer silent for two intervals.
 */
export class HeartbeatMonitor {
  /** When the peer was last heard from (epoch ms); any inbound bytes count as life. */
  lastReadAt = Date.now();
  private isPaused = false;
  private timer?: NodeJS.Timeout;
  private lastFramesWritten = 0;

  constructor(
    private readonly writer: FrameWriter,
    /** Called once the peer has been silent for two intervals. */
    private readonly onTimeout: () => void,
    /** Hears what a tick threw; the timer keeps running. */
    private readonly reportError?: BackgroundErrorReporter,
  ) {}

  /** Starts checking every half interval (once the client has tuned a non-zero heartbeat). */
  start(intervalMs: number): void {
    const tickMs = Math.max(1, Math.floor(intervalMs / 2));
    this.timer = setInterval(() => runGuarded('heartbeat', () => this.tick(intervalMs), this.reportError), tickMs);
    this.timer.unref();
  }

  private tick(intervalMs: number): void {
    // A connection paused by flow control cannot read heartbeats; RabbitMQ pauses the check too.
    if (this.isPaused) this.lastReadAt = Date.now();
    if (Date.now() - this.lastReadAt > intervalMs * 2) {
      this.onTimeout();
      return;
    }
    if (this.writer.framesWritten === this.lastFramesWritten) {
      this.writer.writeRaw(HEARTBEAT_FRAME);
      this.writer.framesWritten++;
    }
    this.lastFramesWritten = this.writer.framesWritten;
  }

  /** Reading stopped (flow control): the peer's silence is ours, not a missed heartbeat. */
  pause(): void {
    this.isPaused = true;
  }

  /** Reading resumed: the silence check starts afresh. */
  resume(): void {
    this.isPaused = false;
    this.lastReadAt = Date.now();
  }

  /** Stops the timer (socket closed). */
  stop(): void {
    clearInterval(this.timer);
  }
}
