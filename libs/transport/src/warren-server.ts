import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { lastValueFrom } from 'rxjs';
import { createDeliverySettler, createRequestSettler } from './delivery-settler.js';
import { declareGroupTopology } from './group-topology.js';
import { HandlerIndex } from './handler-index.js';
import { decodeMessage, encodeBody, readRetryCount } from './message-format.js';
import { ReconnectingConnection } from './reconnecting-connection.js';
import { RetryPolicy } from './retry-policy.js';
import {
  DEFAULT_EVENTS_EXCHANGE,
  DEFAULT_REQUESTS_EXCHANGE,
  NO_MESSAGE_HANDLER,
  WARREN_TRANSPORT,
  groupQueueNames,
  type GroupQueueNames,
} from './warren-constants.js';
import { WarrenContext } from './warren-context.js';
import { describeError } from './warren-errors.js';
import { urlsOf, type WarrenServerOptions } from './warren-options.js';

/** Connection states reported through `server.status` and `client.status`. */
export type WarrenStatus = 'connecting' | 'connected' | 'disconnected' | 'closed';

/** Events of `server.on(...)` and `client.on(...)`. */
export type WarrenEvents = {
  /** Connected (again) and subscribed. */
  connected: () => void;
  /** The connection dropped; reconnection is under way. */
  disconnected: (error?: Error) => void;
  /** A connection attempt failed; another follows after a backoff. */
  'connect-failed': (error: unknown, attempt: number) => void;
};

type DeliveryKind = 'event' | 'request';

/**
 * Nest microservice strategy for Warren (and RabbitMQ): `NestFactory.createMicroservice(AppModule, { strategy: new
 * WarrenServer({ group: 'billing', urls }) })`.
 *
 * Each instance joins the consumer group `group`: events arrive through the group's durable queue `<group>`,
 * bound to the events exchange with every `@EventPattern` (topic wildcards `*`/`#` allowed); requests arrive
 * through `<group>.rpc`, bound to the requests exchange with every `@MessagePattern`. Instances of a group
 * compete; every group gets its own copy of each event. Failed events are retried through delay queues and end
 * in `<group>.dlq`. See docs/transport.md.
 *
 * Invariant: deliveries are handled concurrently up to `prefetchCount` per queue; every delivery's processing
 * is tracked in `inFlight` until it is settled, so that `close()` can wait for it.
 */
export class WarrenServer extends Server<WarrenEvents, WarrenStatus> implements CustomTransportStrategy {
  override transportId = WARREN_TRANSPORT;
  /** Handler failures come back to this transport (which retries them) instead of being only logged by Nest. */
  override readonly propagatesEventHandlerErrors = true;
  /** The consumer group this instance belongs to. */
  readonly group: string;
  protected override readonly logger = new Logger(WarrenServer.name);
  private readonly names: GroupQueueNames;
  private readonly policy: RetryPolicy;
  private readonly emitter = new EventEmitter();
  private readonly inFlight = new Set<Promise<void>>();
  private index = new HandlerIndex(new Map());
  private connection?: ReconnectingConnection;
  private channel?: ConfirmChannel;
  private consumerTags: string[] = [];
  private isClosing = false;
  private closing?: Promise<void>;

  constructor(private readonly options: WarrenServerOptions) {
    super();
    const group = options.group ?? options.serviceName;
    if (!group) throw new Error('transport: WarrenServer needs a "group" (or "serviceName") option');
    this.group = group;
    this.names = groupQueueNames(group);
    this.policy = new RetryPolicy(options.retry);
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
  }

  /** Whether the server is connected and consuming (for health checks). */
  get isConnected(): boolean {
    return this.connection?.isConnected ?? false;
  }

  /** Connects, declares the group's topology and starts consuming; `callback(err)` if that cannot succeed. */
  listen(callback: (error?: unknown) => void): void {
    this.index = new HandlerIndex(this.getHandlers());
    let pending: ((error?: unknown) => void) | undefined = callback;
    const settle = (error?: unknown) => {
      const done = pending;
      pending = undefined;
      done?.(error);
    };
    const maxAttempts = this.options.maxConnectAttempts ?? Infinity;
    this._status$.next('connecting');
    this.connection = new ReconnectingConnection(
      {
        urls: urlsOf(this.options),
        heartbeatSeconds: this.options.heartbeatSeconds ?? 10,
        connectionName: this.options.connectionName ?? `${this.group} (WarrenServer)`,
        backoff: this.options.reconnect ?? {},
      },
      {
        setup: (model) => this.setup(model),
        onConnected: () => {
          this._status$.next('connected');
          this.emitter.emit('connected');
          settle();
        },
        onDisconnected: (error) => {
          this._status$.next('disconnected');
          this.logger.warn(`group ${this.group}: connection lost (${describeError(error)}); reconnecting`);
          this.emitter.emit('disconnected', error);
        },
        onAttemptFailed: (error, attempt) => {
          this.emitter.emit('connect-failed', error, attempt);
          // An AMQP reply code (403 access refused, 406 inequivalent queue…) will not go away by retrying.
          const isPermanent = typeof (error as { code?: unknown })?.code === 'number';
          if (pending && (isPermanent || attempt >= maxAttempts)) {
            this.logger.error(`group ${this.group}: cannot start: ${describeError(error)}`);
            settle(error);
            return false;
          }
          this.logger.warn(`group ${this.group}: connection attempt ${attempt} failed (${describeError(error)}); retrying`);
          return true;
        },
      },
    );
    this.connection.start();
  }

  /**
   * Stops consuming (basic.cancel), waits up to `shutdownTimeoutMs` for in-flight handlers to finish and settle
   * their messages, then closes the connection. Messages of handlers still running are redelivered elsewhere.
   */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  /** Registers a listener for WarrenEvents. */
  on<K extends keyof WarrenEvents>(event: K, callback: WarrenEvents[K]): void {
    this.emitter.on(event, callback as (...args: unknown[]) => void);
  }

  /** The live amqplib connection. */
  unwrap<T = ChannelModel>(): T {
    const model = this.connection?.current;
    if (!model) throw new Error('transport: not connected; call listen() first');
    return model as T;
  }

  /** Exact match first, then `*`/`#` topic matching (Server's own lookup is exact only). */
  override getHandlerByPattern(pattern: string): MessageHandler | null {
    return super.getHandlerByPattern(pattern) ?? this.index.findAny(this.getRouteFromPattern(pattern));
  }

  private async setup(model: ChannelModel): Promise<void> {
    // One confirm channel for everything: retried copies must be confirmed before the original is acked.
    const channel = await model.createConfirmChannel();
    channel.on('error', () => undefined); // 'close' follows
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      // A channel closed under a live connection (e.g. a 406 from the broker): start over on a fresh one.
      if (!this.isClosing) this.connection?.recycle();
    });
    await declareGroupTopology(channel, {
      eventsExchange: this.options.exchange ?? DEFAULT_EVENTS_EXCHANGE,
      requestsExchange: this.options.requestExchange ?? DEFAULT_REQUESTS_EXCHANGE,
      names: this.names,
      eventPatterns: this.index.eventPatterns,
      requestPatterns: this.index.requestPatterns,
      retryDelaysMs: this.policy.delayQueueDelays(),
    });
    await channel.prefetch(this.options.prefetchCount ?? 10, false);
    const tags: string[] = [];
    const consume = async (queue: string, kind: DeliveryKind) => {
      const { consumerTag } = await channel.consume(queue, (message) => this.onDelivery(message, channel, kind), { noAck: false });
      tags.push(consumerTag);
    };
    if (this.index.eventPatterns.length > 0) await consume(this.names.events, 'event');
    if (this.index.requestPatterns.length > 0) await consume(this.names.requests, 'request');
    this.channel = channel;
    this.consumerTags = tags;
  }

  private onDelivery(message: ConsumeMessage | null, channel: ConfirmChannel, kind: DeliveryKind): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted): a fresh connection re-declares and resubscribes.
      this.logger.warn(`group ${this.group}: consumer cancelled by the broker; resubscribing`);
      if (!this.isClosing) this.connection?.recycle();
      return;
    }
    if (this.isClosing) {
      // Delivered between our basic.cancel and its cancel-ok: give it back for another instance.
      try {
        channel.nack(message, false, true);
      } catch {
        // channel gone: the broker requeues it anyway
      }
      return;
    }
    const work = (kind === 'event' ? this.handleEventDelivery(message, channel) : this.handleRequestDelivery(message, channel)).catch(
      (error) => this.logger.error(`group ${this.group}: ${kind} handling failed: ${describeError(error)}`),
    );
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /**
   * Decodes a delivery into its packet and context. A delivery that cannot be decoded (a custom deserializer
   * threw) is settled here, never left unacked: an event goes to the dead-letter queue, a request gets an error
   * reply; `undefined` is returned then.
   */
  private async decode(
    message: ConsumeMessage,
    channel: ConfirmChannel,
    kind: DeliveryKind,
  ): Promise<{ packet: ReadPacket & { id?: string }; ctx: WarrenContext } | undefined> {
    const retryCount = readRetryCount(message.properties.headers);
    const settlerFor = (pattern: string) =>
      kind === 'event'
        ? createDeliverySettler({ names: this.names, policy: this.policy, logger: this.logger }, channel, message, pattern, retryCount)
        : createRequestSettler(channel, message);
    let packet: ReadPacket & { id?: string };
    let metadata: Record<string, string>;
    try {
      const decoded = decodeMessage(message.content, { routingKey: message.fields.routingKey, properties: message.properties });
      metadata = decoded.metadata ?? {};
      packet = (await this.deserializer.deserialize(decoded, { channel: message.fields.routingKey })) as ReadPacket & { id?: string };
    } catch (error) {
      const reason = `undecodable ${kind}: ${describeError(error)}`;
      this.logger.warn(`group ${this.group}: ${reason}`);
      const { replyTo, correlationId } = message.properties;
      if (kind === 'request' && replyTo)
        this.publishReply(channel, replyTo, correlationId, { id: correlationId ?? '', err: reason, status: 'error', isDisposed: true });
      const settler = settlerFor(message.fields.routingKey);
      await (kind === 'event' ? settler.nack({ retry: false, reason }) : settler.ack());
      return undefined;
    }
    const pattern = this.getPatternAsString(packet.pattern);
    return { packet, ctx: new WarrenContext([message, channel, pattern, retryCount, metadata], settlerFor(pattern)) };
  }

  private async handleEventDelivery(message: ConsumeMessage, channel: ConfirmChannel): Promise<void> {
    const decoded = await this.decode(message, channel, 'event');
    if (!decoded) return;
    const { packet, ctx } = decoded;
    const pattern = ctx.getPattern();
    const handlers = this.index.findEventHandlers(this.getRouteFromPattern(pattern));
    if (handlers.length === 0) {
      this.logger.warn(`group ${this.group}: no event handler for '${pattern}'`);
      await ctx.nack({ retry: false, reason: 'no matching event handler' });
      return;
    }
    try {
      await this.runEventHandlers(handlers, packet, ctx);
    } catch (error) {
      const reason = describeError(error);
      if (ctx.isSettled) {
        this.logger.warn(`group ${this.group}: '${pattern}' failed after settling: ${reason}`);
        return;
      }
      this.logger.warn(`group ${this.group}: '${pattern}' failed (attempt ${ctx.getRetryCount() + 1}): ${reason}`);
      await ctx.nack({ reason });
      return;
    }
    if (!ctx.isSettled && (this.options.ackMode ?? 'auto') === 'auto') await ctx.ack();
  }

  /** Runs the matching handlers between Nest's processing hooks and waits for all of them, streams included. */
  private runEventHandlers(handlers: MessageHandler[], packet: ReadPacket, ctx: WarrenContext): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const run = async (runEndHook: () => void) => {
        try {
          await Promise.all(
            handlers.map(async (handler) => {
              await lastValueFrom(this.transformToObservable(await handler(packet.data, ctx)), { defaultValue: undefined });
            }),
          );
          resolve();
        } catch (error) {
          reject(error);
        } finally {
          runEndHook();
        }
      };
      try {
        void this.runWithProcessingHooks(ctx, run);
      } catch (error) {
        reject(error);
      }
    });
  }

  private async handleRequestDelivery(message: ConsumeMessage, channel: ConfirmChannel): Promise<void> {
    const decoded = await this.decode(message, channel, 'request');
    if (!decoded) return;
    const { packet, ctx } = decoded;
    const pattern = ctx.getPattern();
    const { replyTo, correlationId } = message.properties;
    if (!replyTo) {
      this.logger.warn(`group ${this.group}: request '${pattern}' has no replyTo; acked without an answer`);
      await ctx.ack();
      return;
    }
    const id = packet.id ?? correlationId ?? '';
    const handler = this.index.findRequestHandler(this.getRouteFromPattern(pattern));
    await new Promise<void>((resolve) => {
      let isFinished = false;
      const respond = (reply: WritePacket) => {
        this.publishReply(channel, replyTo, correlationId ?? id, { ...reply, id });
        if (reply.isDisposed && !isFinished) {
          isFinished = true;
          // A request is done once its last reply is out; its outcome (even an error) is the reply, not a retry.
          void ctx.ack().finally(resolve);
        }
      };
      if (!handler) {
        this.logger.warn(`group ${this.group}: no request handler for '${pattern}'`);
        respond({ err: NO_MESSAGE_HANDLER, status: 'error', isDisposed: true });
        return;
      }
      const fail = (error: unknown) => respond({ err: describeError(error), status: 'error', isDisposed: true });
      try {
        // handleRequest (v12) wraps send() in the tracing hooks; it returns the hooks' promise at runtime.
        const started = this.handleRequest(
          ctx,
          async () => this.transformToObservable(await handler(packet.data, ctx)),
          respond,
        ) as unknown;
        Promise.resolve(started).catch(fail);
      } catch (error) {
        fail(error);
      }
    });
  }

  private publishReply(
    channel: ConfirmChannel,
    replyTo: string,
    correlationId: string | undefined,
    reply: WritePacket & { id: string },
  ): void {
    try {
      channel.publish('', replyTo, encodeBody(this.serializer.serialize(reply) as object), {
        correlationId,
        contentType: 'application/json',
      });
    } catch (error) {
      // Channel gone: the requester's reply-to went with our connection's peer or will time out; nothing to redo.
      this.logger.warn(`group ${this.group}: reply not sent: ${describeError(error)}`);
    }
  }

  private async shutdown(): Promise<void> {
    this.isClosing = true;
    const channel = this.channel;
    if (channel) for (const tag of this.consumerTags) await channel.cancel(tag).catch(() => undefined);
    if (this.inFlight.size > 0) {
      const timeoutMs = this.options.shutdownTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const isDrained = await Promise.race([
        Promise.allSettled([...this.inFlight]).then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (!isDrained)
        this.logger.warn(`group ${this.group}: ${this.inFlight.size} handler(s) still running after ${timeoutMs} ms; closing anyway`);
    }
    // Close the channel before the connection: amqplib writes connection.close ahead of channel frames still
    // queued in its mux, so the acks just sent could otherwise arrive after it and the messages be requeued.
    // channel.close goes through the same per-channel stream as the acks, so they reach the broker first.
    const live = this.channel;
    this.channel = undefined;
    await live?.close().catch(() => undefined);
    await this.connection?.close();
    this._status$.next('closed');
    this.emitter.removeAllListeners();
  }
}
