import { EventEmitter } from 'node:events';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { ChannelModel, ConfirmChannel, ConsumeMessage, Message, Options } from 'amqplib';
import { decodeReply, encodeBody } from './message-format.js';
import { Outbox } from './outbox.js';
import { ReconnectingConnection } from './reconnecting-connection.js';
import { DEFAULT_EVENTS_EXCHANGE, DEFAULT_REQUESTS_EXCHANGE, DIRECT_REPLY_QUEUE, NO_MESSAGE_HANDLER } from './warren-constants.js';
import { WarrenPublishError, WarrenTimeoutError, describeError } from './warren-errors.js';
import { urlsOf, type WarrenClientOptions } from './warren-options.js';
import type { WarrenEvents, WarrenStatus } from './warren-server.js';

/** A message on its way to the broker. */
interface Outgoing {
  readonly seq: number;
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
  /** The broker confirmed it (on `channel`). */
  confirmed(channel: ConfirmChannel): void;
  failed(error: Error): void;
}

const JSON_TYPE = 'application/json';

/**
 * Nest client for Warren (and RabbitMQ): `client.emit(pattern, data)` publishes an event to the events exchange
 * and completes once the broker confirmed it; `client.send(pattern, data)` publishes a request to the requests
 * exchange and streams the replies that come back over direct reply-to.
 *
 * While disconnected (after the first connection), messages wait in a bounded outbox and go out on reconnect;
 * events whose confirm was lost with the connection are sent again (at-least-once). A request already sent when
 * the connection drops fails with `WarrenPublishError('connection-lost')`, since its reply address is gone.
 *
 * Register with `ClientsModule.register([{ name, customClass: WarrenClient, options }])` or `WarrenModule`.
 * `status` emits WarrenStatus values; it is typed `string` because `customClass` demands a plain
 * `Type<ClientProxy>`, whose status subject is invariant in its type.
 */
export class WarrenClient extends ClientProxy<WarrenEvents, string> implements OnApplicationShutdown {
  private readonly logger = new Logger(WarrenClient.name);
  private readonly emitter = new EventEmitter();
  private readonly outbox: Outbox<Outgoing>;
  private readonly unconfirmed = new Set<Outgoing>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Requests confirmed on a channel and waiting for replies that can only arrive on that channel. */
  private readonly awaitingReply = new Map<string, ConfirmChannel>();
  private connectWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private onUnconfirmedDrained?: () => void;
  private connection?: ReconnectingConnection;
  private channel?: ConfirmChannel;
  private hasConnected = false;
  private isClosing = false;
  private closing?: Promise<void>;
  private nextSeq = 0;

  constructor(private readonly options: WarrenClientOptions = {}) {
    super();
    this.outbox = new Outbox(Math.max(0, options.maxBufferedMessages ?? 1000));
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
  }

  /** Whether the client is connected (for health checks). */
  get isConnected(): boolean {
    return this.connection?.isConnected ?? false;
  }

  /** Messages not yet confirmed by the broker: waiting in the outbox or sent and unconfirmed. */
  get pendingCount(): number {
    return this.outbox.length + this.unconfirmed.size;
  }

  /**
   * Connects (idempotent; `emit()`/`send()` call it each time). Resolves once the first connection is up, or
   * rejects if that attempt fails (attempts continue in the background); after the first connection it
   * resolves at once, and outages are bridged by the outbox.
   */
  connect(): Promise<void> {
    if (this.isClosing) return Promise.reject(this.closedError());
    if (!this.connection) this.start();
    if (this.hasConnected) return Promise.resolve();
    return new Promise((resolve, reject) => this.connectWaiters.push({ resolve, reject }));
  }

  /** Stops reconnecting, fails what was never sent, waits (bounded) for outstanding confirms, then closes. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown().finally(() => (this.closing = undefined)));
  }

  /** Closes the client with the application (also what ClientsModule sets up). */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** Registers a listener for WarrenEvents. */
  override on<K extends keyof WarrenEvents>(event: K, callback: WarrenEvents[K]): void {
    this.emitter.on(event, callback as (...args: unknown[]) => void);
  }

  /** The live amqplib connection. */
  unwrap<T = ChannelModel>(): T {
    const model = this.connection?.current;
    if (!model) throw new Error('transport: not connected; call connect() first');
    return model as T;
  }

  protected dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const routingKey = this.normalizePattern(packet.pattern);
    return new Promise<T>((resolve, reject) => {
      this.enqueue({
        seq: this.nextSeq++,
        exchange: this.options.exchange ?? DEFAULT_EVENTS_EXCHANGE,
        routingKey,
        content: encodeBody(this.serializer.serialize(packet) as object),
        options: { persistent: this.options.persistent ?? true, contentType: JSON_TYPE },
        confirmed: () => resolve(undefined as T),
        failed: reject,
      });
    });
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const { id } = this.assignPacketId(packet);
    const routingKey = this.normalizePattern(packet.pattern);
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    this.routingMap.set(id, callback);
    this.timers.set(
      id,
      setTimeout(() => this.finishRequest(id, { err: new WarrenTimeoutError(routingKey, timeoutMs) }), timeoutMs),
    );
    const outgoing: Outgoing = {
      seq: this.nextSeq++,
      exchange: this.options.requestExchange ?? DEFAULT_REQUESTS_EXCHANGE,
      routingKey,
      content: encodeBody(this.serializer.serialize(packet) as object),
      // mandatory: a request no group is bound for comes back (basic.return) and fails at once, not by timeout.
      // expiration: a request nobody took within its timeout is of no use to anyone.
      options: { replyTo: DIRECT_REPLY_QUEUE, correlationId: id, mandatory: true, contentType: JSON_TYPE, expiration: String(timeoutMs) },
      confirmed: (channel) => {
        if (this.routingMap.has(id)) this.awaitingReply.set(id, channel);
      },
      failed: (error) => this.finishRequest(id, { err: error }),
    };
    this.enqueue(outgoing);
    return () => {
      this.forgetRequest(id);
      this.outbox.remove(outgoing);
    };
  }

  private start(): void {
    this.setStatus('connecting');
    this.connection = new ReconnectingConnection(
      {
        urls: urlsOf(this.options),
        heartbeatSeconds: this.options.heartbeatSeconds ?? 10,
        connectionName: this.options.connectionName ?? 'WarrenClient',
        backoff: this.options.reconnect ?? {},
      },
      {
        setup: (model) => this.setup(model),
        onConnected: () => {
          this.hasConnected = true;
          this.setStatus('connected');
          this.emitter.emit('connected');
          for (const waiter of this.connectWaiters.splice(0)) waiter.resolve();
          this.flush();
        },
        onDisconnected: (error) => {
          this.setStatus('disconnected');
          this.logger.warn(`connection lost (${describeError(error)}); ${this.pendingCount} message(s) wait for the reconnect`);
          this.emitter.emit('disconnected', error);
        },
        onAttemptFailed: (error, attempt) => {
          this.emitter.emit('connect-failed', error, attempt);
          for (const waiter of this.connectWaiters.splice(0)) waiter.reject(error);
          return true;
        },
      },
    );
    this.connection.start();
  }

  private async setup(model: ChannelModel): Promise<void> {
    // Direct reply-to requires publishing requests on the channel that consumes the replies: one channel for all.
    const channel = await model.createConfirmChannel();
    channel.on('error', () => undefined); // 'close' follows
    channel.on('close', () => this.onChannelClosed(channel));
    channel.on('return', (message: Message) => this.onReturn(message));
    await channel.assertExchange(this.options.exchange ?? DEFAULT_EVENTS_EXCHANGE, 'topic', { durable: true });
    await channel.assertExchange(this.options.requestExchange ?? DEFAULT_REQUESTS_EXCHANGE, 'topic', { durable: true });
    await channel.consume(DIRECT_REPLY_QUEUE, (message) => void this.onReply(message), { noAck: true });
    this.channel = channel;
  }

  private enqueue(outgoing: Outgoing): void {
    if (this.isClosing) return outgoing.failed(this.closedError());
    if (this.outbox.length === 0 && this.send$(outgoing)) return;
    if (this.outbox.isFull) {
      const limit = this.outbox.capacity;
      return outgoing.failed(
        new WarrenPublishError(
          'buffer-full',
          limit === 0
            ? `transport: not connected, '${outgoing.routingKey}' not sent (maxBufferedMessages is 0)`
            : `transport: not connected and ${limit} message(s) already buffered (maxBufferedMessages); '${outgoing.routingKey}' not sent`,
        ),
      );
    }
    this.outbox.add(outgoing);
  }

  /** Publishes on the live channel; false if there is none (or it just closed). */
  private send$(outgoing: Outgoing): boolean {
    const channel = this.channel;
    if (!channel) return false;
    try {
      channel.publish(outgoing.exchange, outgoing.routingKey, outgoing.content, outgoing.options, (error: unknown) =>
        this.onConfirm(outgoing, channel, error),
      );
    } catch {
      return false; // IllegalOperationError: closed under us; the close handler clears `channel`
    }
    this.unconfirmed.add(outgoing);
    return true;
  }

  private flush(): void {
    for (let next = this.outbox.take(); next; next = this.outbox.take()) {
      if (!this.send$(next)) {
        this.outbox.requeue(next);
        return;
      }
    }
  }

  private onConfirm(outgoing: Outgoing, channel: ConfirmChannel, error: unknown): void {
    this.unconfirmed.delete(outgoing);
    if (this.unconfirmed.size === 0) this.onUnconfirmedDrained?.();
    if (!error) return outgoing.confirmed(channel);
    if (error instanceof Error && error.message === 'message nacked') {
      return outgoing.failed(new WarrenPublishError('nacked', `transport: the broker refused '${outgoing.routingKey}' (basic.nack)`));
    }
    // The channel closed before the confirm: the message may or may not have arrived. Send it again on the next
    // connection (at-least-once), unless we are closing.
    if (this.isClosing) return outgoing.failed(this.closedError());
    this.outbox.requeue(outgoing);
  }

  private onChannelClosed(channel: ConfirmChannel): void {
    if (this.channel === channel) this.channel = undefined;
    for (const [id, replyChannel] of this.awaitingReply) {
      if (replyChannel !== channel) continue;
      this.finishRequest(id, {
        err: new WarrenPublishError('connection-lost', 'transport: the connection dropped before the reply arrived'),
      });
    }
    // A channel closed under a live connection (a broker-side channel error): start over on a fresh connection.
    if (!this.isClosing) this.connection?.recycle();
  }

  private async onReply(message: ConsumeMessage | null): Promise<void> {
    if (!message) return;
    const decoded = decodeReply(message.content, message.properties.contentType, message.properties.correlationId);
    const { id, err, response, isDisposed } = (await this.deserializer.deserialize(decoded)) as typeof decoded;
    if (id === undefined) return;
    const callback = this.routingMap.get(id);
    if (!callback) return; // a late reply to a request that timed out or was unsubscribed
    if (isDisposed || err !== undefined) this.forgetRequest(id);
    callback({ err, response, isDisposed });
  }

  private onReturn(message: Message): void {
    const id = message.properties.correlationId;
    if (typeof id === 'string') this.finishRequest(id, { err: NO_MESSAGE_HANDLER });
  }

  /** Completes a request with a final packet (error or timeout), once. */
  private finishRequest(id: string, packet: WritePacket): void {
    const callback = this.routingMap.get(id);
    if (!callback) return;
    this.forgetRequest(id);
    callback({ ...packet, isDisposed: true });
  }

  private forgetRequest(id: string): void {
    this.routingMap.delete(id);
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.awaitingReply.delete(id);
  }

  private setStatus(status: WarrenStatus): void {
    this._status$.next(status);
  }

  private closedError(): WarrenPublishError {
    return new WarrenPublishError('closed', 'transport: the client was closed before the message was confirmed');
  }

  private async shutdown(): Promise<void> {
    this.isClosing = true;
    for (const outgoing of this.outbox.drain()) outgoing.failed(this.closedError());
    if (this.unconfirmed.size > 0 && this.channel) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.onUnconfirmedDrained = resolve;
        timer = setTimeout(resolve, this.options.closeTimeoutMs ?? 5000);
      });
      clearTimeout(timer);
      this.onUnconfirmedDrained = undefined;
    }
    for (const id of [...this.routingMap.keys()]) this.finishRequest(id, { err: this.closedError() });
    for (const waiter of this.connectWaiters.splice(0)) waiter.reject(this.closedError());
    await this.connection?.close();
    for (const outgoing of this.unconfirmed) outgoing.failed(this.closedError());
    this.unconfirmed.clear();
    // Back to the initial state: like Nest's clients, a closed client connects again if used again.
    this.connection = undefined;
    this.channel = undefined;
    this.hasConnected = false;
    this.isClosing = false;
    this.setStatus('closed');
  }
}
