import amqplib, { type ChannelModel } from 'amqplib';
import { backoffDelayMs, type BackoffOptions } from './backoff.js';

/** What a {@link ReconnectingConnection} needs to connect. */
export interface ReconnectingConnectionOptions {
  urls: readonly string[];
  heartbeatSeconds: number;
  connectionName?: string;
  backoff: BackoffOptions;
}

/** The owner's side of a {@link ReconnectingConnection}. */
export interface ConnectionHooks {
  /**
   * Opens channels, declares topology and starts consumers on a fresh connection. A rejection closes that
   * connection and counts as a failed attempt.
   */
  setup(model: ChannelModel): Promise<void>;
  /** The connection is up and set up. */
  onConnected(): void;
  /** An established connection was lost (never called for `close()`). */
  onDisconnected(error: Error | undefined): void;
  /** Attempt number `attempt` failed; return false to stop trying (the connection is then closed for good). */
  onAttemptFailed(error: unknown, attempt: number): boolean;
}

/** Adds `heartbeat=<s>` to an AMQP URL unless the URL sets one (amqplib takes it from the URL only). */
function withHeartbeat(url: string, seconds: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(seconds));
  return parsed.toString();
}

type State = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed';

/**
 * One AMQP connection kept up: amqplib does not reconnect, so on loss this waits (exponential backoff with
 * jitter), connects to the next URL and runs the owner's `setup` again, which recreates channels, topology and
 * consumers.
 *
 * Invariant: at most one connection exists at a time; `model` is only set while it is the live one, so close
 * events of older connections are ignored.
 */
export class ReconnectingConnection {
  private model?: ChannelModel;
  private state: State = 'idle';
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private nextUrl = 0;

  constructor(
    private readonly options: ReconnectingConnectionOptions,
    private readonly hooks: ConnectionHooks,
  ) {}

  /** Whether a connection is up and set up. */
  get isConnected(): boolean {
    return this.state === 'connected';
  }

  /** Whether `close()` was called (or the owner gave up). */
  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** The live connection, if any. */
  get current(): ChannelModel | undefined {
    return this.state === 'connected' ? this.model : undefined;
  }

  /** Starts connecting (once). */
  start(): void {
    if (this.state === 'idle') void this.connect();
  }

  /** Drops the live connection so that a fresh one is set up, e.g. after the broker closed one of its channels. */
  recycle(): void {
    if (this.state === 'connected') this.model?.close().catch(() => undefined);
  }

  /** Closes the connection and stops reconnecting. */
  async close(): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.timer);
    const model = this.model;
    this.model = undefined;
    if (model) await model.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.state = 'connecting';
    const url = this.options.urls[this.nextUrl++ % this.options.urls.length];
    let model: ChannelModel | undefined;
    try {
      model = await amqplib.connect(withHeartbeat(url, this.options.heartbeatSeconds), {
        clientProperties: this.options.connectionName ? { connection_name: this.options.connectionName } : undefined,
      });
      if (this.isClosed) {
        await model.close().catch(() => undefined);
        return;
      }
      const live = model;
      this.model = live;
      // 'error' always precedes 'close' with the same error; without a listener it would be thrown.
      live.on('error', () => undefined);
      live.once('close', (error?: Error) => this.onClose(live, error));
      await this.hooks.setup(live);
      if (this.isClosed) return;
      if (this.model !== live) throw new Error('transport: connection lost during setup');
      this.state = 'connected';
      this.failures = 0;
      this.hooks.onConnected();
    } catch (error) {
      if (this.isClosed) return;
      if (model && this.model === model) {
        this.model = undefined;
        await model.close().catch(() => undefined);
      }
      this.failures++;
      if (!this.hooks.onAttemptFailed(error, this.failures)) {
        this.state = 'closed';
        return;
      }
      this.schedule();
    }
  }

  private onClose(model: ChannelModel, error: Error | undefined): void {
    if (this.model !== model) return;
    this.model = undefined;
    // While connecting, the failing setup counts the attempt and schedules the retry.
    if (this.state !== 'connected') return;
    this.hooks.onDisconnected(error);
    this.schedule();
  }

  private schedule(): void {
    if (this.isClosed) return;
    this.state = 'waiting';
    const delay = backoffDelayMs(Math.max(1, this.failures), this.options.backoff);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
  }
}
