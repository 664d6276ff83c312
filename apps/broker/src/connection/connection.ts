import type { Socket } from 'node:net';
import {
  CodecError,
  FRAME_MIN_SIZE,
  FrameDecoder,
  HEARTBEAT_FRAME,
  PROTOCOL_HEADER,
  ReplyCode,
  type FieldTable,
  type FrameSink,
  type Method,
} from '@app/codec';
import { ChannelError, ConnectionError, replyText, type BrokerCore, type MessageOrigin, type VirtualHost } from '@app/broker-core';
import type { BrokerConfig } from '../config/broker-config.js';
import type { BrokerLogger } from '../logger.js';
import { FrameWriter } from '../net/frame-writer.js';
import { Channel, type ChannelHost } from './channel.js';
import type { PublishConfirms } from './publish-confirms.js';
import { parseSaslResponse, SASL_MECHANISMS } from './sasl.js';
import { serverProperties } from './server-properties.js';

/** Handshake and lifecycle states (AMQP 0-9-1 §2.2.4 connection class grammar). */
export type ConnectionState =
  | 'awaiting-header'
  | 'awaiting-start-ok'
  | 'authenticating'
  | 'awaiting-tune-ok'
  | 'awaiting-open'
  | 'open'
  | 'closing'
  | 'closed';

/** What a connection needs from the broker that accepted it. */
export interface ConnectionServices {
  readonly core: BrokerCore;
  readonly config: BrokerConfig;
  readonly logger: BrokerLogger;
  connectionClosed(connection: AmqpConnection): void;
  /** Why publishers are blocked now (a resource alarm), or undefined. */
  blockReason(): string | undefined;
  /** Whether one more client may connect (`maxConnections`). */
  hasConnectionCapacity(connection: AmqpConnection): boolean;
}

let nextConnectionNumber = 1;

/** Where the admin API's management RPCs are published (see apps/broker/src/management). */
const MANAGEMENT_EXCHANGE = 'warren.requests';
const MANAGEMENT_PREFIX = 'management.';

/**
 * One client connection: protocol header, start/tune/open handshake, heartbeats, the channel table,
 * and the translation of ChannelError/ConnectionError into `channel.close`/`connection.close`.
 *
 * Invariant: frames are handled synchronously in the socket's 'data' handler; only authentication awaits.
 */
export class AmqpConnection implements FrameSink, ChannelHost {
  readonly name: string;
  readonly number = nextConnectionNumber++;
  readonly connectedAt = Date.now();
  state: ConnectionState = 'awaiting-header';
  readonly writer: FrameWriter;
  frameMax = FRAME_MIN_SIZE;
  channelMax = 0;
  heartbeatSec = 0;
  vhost!: VirtualHost;
  userName = '';
  clientProperties: FieldTable = {};
  isCancelNotifySupported = false;
  private isAuthFailureCloseSupported = false;
  private isBlockedNotificationSupported = false;
  /** Set once the connection publishes: flow control pauses only publishing connections (RabbitMQ semantics). */
  private hasPublished = false;
  private isPaused = false;
  private isBlockedNotified = false;
  private readonly decoder: FrameDecoder;
  private isDecoderDead = false;
  private readonly channels = new Map<number, Channel>();
  private headerBytes = Buffer.alloc(0);
  private readonly dirtyConfirms = new Set<PublishConfirms>();
  private handshakeTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private closeTimer?: NodeJS.Timeout;
  private lastReadAt = Date.now();
  private lastFramesWritten = 0;

  constructor(
    readonly socket: Socket,
    private readonly services: ConnectionServices,
  ) {
    this.name = `${socket.remoteAddress}:${socket.remotePort} -> ${socket.localAddress}:${socket.localPort}`;
    this.writer = new FrameWriter(socket);
    this.writer.beforeFlush = () => this.flushConfirms();
    this.decoder = new FrameDecoder(this, FRAME_MIN_SIZE);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (error) => services.logger.debug(`connection ${this.name}: socket error ${error.message}`));
    socket.on('close', () => this.onSocketClosed());
    this.handshakeTimer = setTimeout(() => {
      services.logger.info(`connection ${this.name}: handshake timed out`);
      this.destroy();
    }, services.config.handshakeTimeoutMs);
  }

  private originRecord?: MessageOrigin;

  /** The identity stamped on every message this connection publishes (one object, made after login). */
  get origin(): MessageOrigin {
    return (this.originRecord ??= { remoteAddress: this.socket.remoteAddress, userName: this.userName });
  }

  /** The connection itself owns its exclusive queues. */
  get owner(): object {
    return this;
  }

  /** Maximum message size from the configuration. */
  get maxMessageSize(): number {
    return this.services.config.maxMessageSize;
  }

  /** Open channels, for introspection. */
  allChannels(): IterableIterator<Channel> {
    return this.channels.values();
  }

  /** Coalesced confirms of `confirms` are written before the next socket flush. */
  requestConfirmFlush(confirms: PublishConfirms): void {
    this.dirtyConfirms.add(confirms);
    this.writer.requestFlush();
  }

  // ---- inbound bytes -----------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.lastReadAt = Date.now();
    if (this.state === 'awaiting-header') {
      chunk = this.readProtocolHeader(chunk);
      if (chunk.length === 0 || this.state === 'awaiting-header') return;
    }
    if (this.isDecoderDead || this.state === 'closed') return;
    try {
      this.decoder.push(chunk);
    } catch (error) {
      this.isDecoderDead = true;
      this.fail(error, 0, undefined);
    }
  }

  /** Consumes the 8-byte protocol header; returns the bytes after it. */
  private readProtocolHeader(chunk: Buffer): Buffer {
    const needed = 8 - this.headerBytes.length;
    this.headerBytes = Buffer.concat([this.headerBytes, chunk.subarray(0, needed)]);
    if (this.headerBytes.length < 8) return Buffer.alloc(0);
    if (!this.headerBytes.equals(PROTOCOL_HEADER)) {
      // AMQP 0-9-1 §4.2.2: answer with the protocol version we accept, then close.
      this.state = 'closed';
      this.socket.end(PROTOCOL_HEADER);
      return Buffer.alloc(0);
    }
    this.state = 'awaiting-start-ok';
    this.writer.writeMethod(0, {
      name: 'connection.start', classId: 10, methodId: 10, versionMajor: 0, versionMinor: 9,
      serverProperties: serverProperties(), mechanisms: Buffer.from(SASL_MECHANISMS), locales: Buffer.from('en_US'),
    });
    return chunk.subarray(needed);
  }

  // ---- FrameSink ---------------------------------------------------------------------------------------------

  /** A method frame arrived. */
  onMethod(channelId: number, method: Method): void {
    if (this.state === 'closing' || this.state === 'closed') return this.onMethodWhileClosing(channelId, method);
    try {
      if (channelId === 0) this.handleConnectionMethod(method);
      else this.handleChannelMethod(channelId, method);
    } catch (error) {
      this.fail(error, channelId, method);
    }
  }

  /** A content header frame arrived. */
  onHeader(channelId: number, classId: number, bodySize: number, properties: Buffer): void {
    const channel = this.contentChannel(channelId, 'content header');
    if (!channel) return;
    try {
      channel.handleHeader(classId, bodySize, properties);
    } catch (error) {
      this.fail(error, channelId, undefined, 60, 40);
    }
  }

  /** A content body frame arrived. */
  onBody(channelId: number, payload: Buffer): void {
    const channel = this.contentChannel(channelId, 'content body');
    if (!channel) return;
    try {
      channel.handleBody(payload);
    } catch (error) {
      this.fail(error, channelId, undefined, 60, 40);
    }
  }

  /** A heartbeat frame arrived (any frame already counts as life). */
  onHeartbeat(channelId: number): void {
    if (channelId !== 0 && this.state !== 'closing') {
      this.closeConnection(ReplyCode.UNEXPECTED_FRAME, replyText(ReplyCode.UNEXPECTED_FRAME, `heartbeat frame on channel ${channelId}`));
    }
  }

  private contentChannel(channelId: number, what: string): Channel | undefined {
    if (this.state === 'closing' || this.state === 'closed') return undefined;
    const channel = this.channels.get(channelId);
    if (this.state !== 'open' || channelId === 0 || !channel) {
      this.closeConnection(
        ReplyCode.UNEXPECTED_FRAME,
        replyText(ReplyCode.UNEXPECTED_FRAME, `${what} frame on channel ${channelId}, which expects no content`),
      );
      return undefined;
    }
    // Content for a channel the server is closing is discarded until close-ok.
    return channel.state === 'open' ? channel : undefined;
  }

  // ---- connection class --------------------------------------------------------------------------------------

  private handleConnectionMethod(method: Method): void {
    switch (this.state) {
      case 'awaiting-start-ok':
        if (method.name !== 'connection.start-ok') throw this.unexpected(method, 'connection.start-ok');
        return this.startOk(method.clientProperties, method.mechanism, method.response);
      case 'awaiting-tune-ok':
        if (method.name !== 'connection.tune-ok') throw this.unexpected(method, 'connection.tune-ok');
        return this.tuneOk(method.channelMax, method.frameMax, method.heartbeat);
      case 'awaiting-open':
        if (method.name !== 'connection.open') throw this.unexpected(method, 'connection.open');
        return this.open(method.virtualHost);
      case 'open':
        switch (method.name) {
          case 'connection.close':
            this.releaseAll();
            this.writer.writeMethod(0, { name: 'connection.close-ok', classId: 10, methodId: 51 });
            this.state = 'closing';
            this.writer.flush();
            this.socket.end();
            return;
          case 'connection.update-secret':
            // RabbitMQ's internal user store accepts any new secret; only token backends use it.
            this.writer.writeMethod(0, { name: 'connection.update-secret-ok', classId: 10, methodId: 71 });
            return;
          case 'connection.blocked':
          case 'connection.unblocked':
            return;
          default:
            throw new ConnectionError(
              ReplyCode.COMMAND_INVALID,
              replyText(ReplyCode.COMMAND_INVALID, `unexpected method '${method.name}' on channel 0`),
            );
        }
      default:
        // 'authenticating': the client must wait for tune.
        throw this.unexpected(method, 'connection.tune-ok');
    }
  }

  private unexpected(method: Method, expected: string): ConnectionError {
    return new ConnectionError(
      ReplyCode.COMMAND_INVALID,
      replyText(ReplyCode.COMMAND_INVALID, `expected '${expected}', got '${method.name}'`),
    );
  }

  private startOk(clientProperties: FieldTable, mechanism: string, response: Buffer): void {
    this.clientProperties = clientProperties;
    const capabilities = clientProperties.capabilities;
    if (capabilities && typeof capabilities === 'object' && !Array.isArray(capabilities) && !Buffer.isBuffer(capabilities)) {
      const table = capabilities as FieldTable;
      this.isCancelNotifySupported = table.consumer_cancel_notify === true;
      this.isAuthFailureCloseSupported = table.authentication_failure_close === true;
      this.isBlockedNotificationSupported = table['connection.blocked'] === true;
    }
    if (!this.services.hasConnectionCapacity(this)) {
      throw new ConnectionError(
        ReplyCode.NOT_ALLOWED,
        replyText(ReplyCode.NOT_ALLOWED, `connection limit (${this.services.config.maxConnections}) is reached`),
        10,
        11,
      );
    }
    const credentials = parseSaslResponse(mechanism, response);
    this.state = 'authenticating';
    this.services.core.users.authenticate(credentials.username, credentials.password, this.socket.remoteAddress).then(
      (user) => {
        if (this.state !== 'authenticating') return;
        if (!user) return this.refuseLogin(mechanism, credentials.username);
        this.userName = user.name;
        this.state = 'awaiting-tune-ok';
        const config = this.services.config;
        this.writer.writeMethod(0, {
          name: 'connection.tune', classId: 10, methodId: 30,
          channelMax: config.channelMax, frameMax: config.frameMax, heartbeat: config.heartbeatSec,
        });
      },
      (error: unknown) => this.fail(error, 0, undefined),
    );
  }

  private refuseLogin(mechanism: string, username: string): void {
    this.services.logger.info(`connection ${this.name}: login refused for user '${username}'`);
    const text = replyText(
      ReplyCode.ACCESS_REFUSED,
      `Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
    );
    this.state = 'closing';
    if (this.isAuthFailureCloseSupported) {
      this.writer.writeMethod(0, { name: 'connection.close', classId: 10, methodId: 50, replyCode: ReplyCode.ACCESS_REFUSED, replyText: text, failingClassId: 0, failingMethodId: 0 });
    }
    // Dropping the socket later slows down password guessing (RabbitMQ waits about 3 s).
    this.closeTimer = setTimeout(() => this.destroy(), this.services.config.authFailureDelayMs);
  }

  private tuneOk(channelMax: number, frameMax: number, heartbeat: number): void {
    const config = this.services.config;
    const effectiveFrameMax = frameMax === 0 ? config.frameMax : frameMax;
    if (effectiveFrameMax > config.frameMax) {
      throw new ConnectionError(ReplyCode.NOT_ALLOWED, replyText(ReplyCode.NOT_ALLOWED, `frame_max=${frameMax} > ${config.frameMax} max size`), 10, 31);
    }
    if (effectiveFrameMax < FRAME_MIN_SIZE) {
      throw new ConnectionError(ReplyCode.NOT_ALLOWED, replyText(ReplyCode.NOT_ALLOWED, `frame_max=${frameMax} < ${FRAME_MIN_SIZE} min size`), 10, 31);
    }
    const effectiveChannelMax = channelMax === 0 ? config.channelMax : channelMax;
    if (effectiveChannelMax > config.channelMax) {
      throw new ConnectionError(ReplyCode.NOT_ALLOWED, replyText(ReplyCode.NOT_ALLOWED, `channel_max=${channelMax} > ${config.channelMax} max`), 10, 31);
    }
    this.frameMax = effectiveFrameMax;
    this.decoder.frameMax = effectiveFrameMax;
    this.channelMax = effectiveChannelMax;
    this.heartbeatSec = heartbeat;
    this.state = 'awaiting-open';
    if (heartbeat > 0) this.startHeartbeats(heartbeat * config.heartbeatUnitMs);
  }

  private open(virtualHost: string): void {
    const vhost = this.services.core.getVhost(virtualHost);
    if (!vhost) {
      throw new ConnectionError(ReplyCode.NOT_ALLOWED, replyText(ReplyCode.NOT_ALLOWED, `vhost ${virtualHost} not found`), 10, 40);
    }
    this.vhost = vhost;
    this.state = 'open';
    clearTimeout(this.handshakeTimer);
    this.writer.writeMethod(0, { name: 'connection.open-ok', classId: 10, methodId: 41, knownHosts: '' });
    // A connection opened during an alarm hears about it at once, as the ones already open did.
    const reason = this.services.blockReason();
    if (reason !== undefined) this.setFlow(reason);
  }

  // ---- channels ------------------------------------------------------------------------------------------------

  private handleChannelMethod(channelId: number, method: Method): void {
    if (this.state !== 'open') {
      throw new ConnectionError(ReplyCode.CHANNEL_ERROR, replyText(ReplyCode.CHANNEL_ERROR, `expected 'connection.open' before using channel ${channelId}`));
    }
    if (method.classId === 10) {
      throw new ConnectionError(ReplyCode.COMMAND_INVALID, replyText(ReplyCode.COMMAND_INVALID, `connection method '${method.name}' on channel ${channelId}`));
    }
    const channel = this.channels.get(channelId);
    if (method.name === 'channel.open') {
      if (channel) throw new ConnectionError(ReplyCode.CHANNEL_ERROR, replyText(ReplyCode.CHANNEL_ERROR, "second 'channel.open' seen"));
      if (channelId > this.channelMax) {
        throw new ConnectionError(ReplyCode.CHANNEL_ERROR, replyText(ReplyCode.CHANNEL_ERROR, `channel number ${channelId} exceeds channel_max ${this.channelMax}`));
      }
      this.channels.set(channelId, new Channel(channelId, this));
      this.writer.writeMethod(channelId, { name: 'channel.open-ok', classId: 20, methodId: 11, channelId: Buffer.alloc(0) });
      return;
    }
    if (!channel) throw new ConnectionError(ReplyCode.CHANNEL_ERROR, replyText(ReplyCode.CHANNEL_ERROR, "expected 'channel.open'"));
    if (channel.state === 'closing') {
      // After the server's channel.close, everything but close/close-ok is discarded (AMQP 0-9-1 §4.2.7? channel.close rule).
      if (method.name === 'channel.close-ok') this.channels.delete(channelId);
      else if (method.name === 'channel.close') {
        this.writer.writeMethod(channelId, { name: 'channel.close-ok', classId: 20, methodId: 41 });
        this.channels.delete(channelId);
      }
      return;
    }
    if (channel.isExpectingContent) {
      throw new ConnectionError(
        ReplyCode.UNEXPECTED_FRAME,
        replyText(ReplyCode.UNEXPECTED_FRAME, `expected content header for class 60, got method '${method.name}' instead`),
      );
    }
    if (method.name === 'channel.close') {
      channel.release();
      this.channels.delete(channelId);
      this.writer.writeMethod(channelId, { name: 'channel.close-ok', classId: 20, methodId: 41 });
      return;
    }
    if (method.name === 'channel.close-ok') return;
    channel.handleMethod(method);
  }

  /** Soft error: closes one channel, requeueing what it held. */
  private closeChannel(channel: Channel, error: ChannelError, classId: number, methodId: number): void {
    channel.release();
    this.writer.writeMethod(channel.id, {
      name: 'channel.close', classId: 20, methodId: 40, replyCode: error.replyCode, replyText: error.replyText,
      failingClassId: classId, failingMethodId: methodId,
    });
  }

  // ---- errors and closing ------------------------------------------------------------------------------------

  /** Turns anything thrown while handling a frame into the right close. */
  private fail(error: unknown, channelId: number, method: Method | undefined, classId = 0, methodId = 0): void {
    const failedClass = method?.classId ?? classId;
    const failedMethod = method?.methodId ?? methodId;
    if (error instanceof ChannelError && channelId !== 0) {
      const channel = this.channels.get(channelId);
      if (channel && channel.state === 'open') {
        this.closeChannel(channel, error, error.classId || failedClass, error.methodId || failedMethod);
      }
      return;
    }
    if (error instanceof ConnectionError || error instanceof ChannelError) {
      return this.closeConnection(error.replyCode, error.replyText, error.classId || failedClass, error.methodId || failedMethod);
    }
    if (error instanceof CodecError) {
      return this.closeConnection(error.replyCode, error.message, error.classId || failedClass, error.methodId || failedMethod);
    }
    const detail = error instanceof Error ? error.stack ?? error.message : String(error);
    this.services.logger.error(`connection ${this.name}: internal error: ${detail}`);
    this.closeConnection(ReplyCode.INTERNAL_ERROR, replyText(ReplyCode.INTERNAL_ERROR, 'internal error'), failedClass, failedMethod);
  }

  /**
   * Hard error or forced close: releases every channel, sends `connection.close` and waits (bounded) for
   * `close-ok` before dropping the socket.
   */
  closeConnection(replyCode: number, text: string, classId = 0, methodId = 0): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const isHandshakeDone = this.state === 'open';
    this.state = 'closing';
    this.releaseAll();
    this.services.logger.info(`connection ${this.name}: closing: ${text}`);
    this.writer.writeMethod(0, {
      name: 'connection.close', classId: 10, methodId: 50, replyCode, replyText: text, failingClassId: classId, failingMethodId: methodId,
    });
    this.writer.flush();
    this.closeTimer = setTimeout(() => this.destroy(), isHandshakeDone ? this.services.config.closeTimeoutMs : 100);
  }

  private onMethodWhileClosing(channelId: number, method: Method): void {
    if (channelId !== 0) return;
    if (method.name === 'connection.close-ok') return this.destroy();
    if (method.name === 'connection.close') {
      this.writer.writeMethod(0, { name: 'connection.close-ok', classId: 10, methodId: 51 });
      this.writer.flush();
      this.destroy();
    }
  }

  /** Drops the socket without another frame (heartbeat timeout, close-ok received, close timeout). */
  destroy(): void {
    if (this.state === 'closed') return;
    this.writer.flush();
    this.socket.end();
    // end() flushes what is queued; destroy soon after in case the peer never reads it.
    setTimeout(() => this.socket.destroy(), 50).unref();
    this.onSocketClosed();
  }

  private releaseAll(): void {
    for (const channel of this.channels.values()) channel.release();
    this.vhost?.removeExclusiveQueues(this);
  }

  private onSocketClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.closeTimer);
    clearInterval(this.heartbeatTimer);
    this.releaseAll();
    this.channels.clear();
    this.writer.close();
    this.services.connectionClosed(this);
  }

  private onDrain(): void {
    if (this.state !== 'open') return;
    for (const channel of this.channels.values()) channel.resumeDeliveries();
  }

  private flushConfirms(): void {
    if (this.dirtyConfirms.size === 0) return;
    for (const confirms of this.dirtyConfirms) confirms.flush();
    this.dirtyConfirms.clear();
  }

  // ---- flow control --------------------------------------------------------------------------------------------

  /** A publish started: when an alarm is in force, stop reading this connection (after the current read). */
  publishing(exchange: string, routingKey: string): void {
    // Management requests (the admin API's RPCs) are exempt: an operator must be able to see and fix an alarm,
    // as RabbitMQ's built-in management API can.
    if (exchange === MANAGEMENT_EXCHANGE && routingKey.startsWith(MANAGEMENT_PREFIX)) return;
    this.hasPublished = true;
    const reason = this.services.blockReason();
    if (reason !== undefined) this.block(reason);
  }

  /**
   * A resource alarm started (reason) or ended (undefined). Clients that support it hear `connection.blocked` at
   * once; reading stops only for connections that publish, so consumers keep draining queues.
   */
  setFlow(reason: string | undefined): void {
    if (this.state !== 'open') return;
    if (reason === undefined) return this.unblock();
    if (this.isBlockedNotificationSupported && !this.isBlockedNotified) {
      this.isBlockedNotified = true;
      this.writer.writeMethod(0, { name: 'connection.blocked', classId: 10, methodId: 60, reason });
    }
    if (this.hasPublished) this.block(reason);
  }

  /** Whether reading is paused by flow control. */
  get isBlocked(): boolean {
    return this.isPaused;
  }

  private block(reason: string): void {
    if (this.isBlockedNotificationSupported && !this.isBlockedNotified) {
      this.isBlockedNotified = true;
      this.writer.writeMethod(0, { name: 'connection.blocked', classId: 10, methodId: 60, reason });
    }
    if (!this.isPaused) {
      this.isPaused = true;
      this.socket.pause();
    }
  }

  private unblock(): void {
    if (this.isPaused) {
      this.isPaused = false;
      this.lastReadAt = Date.now();
      this.socket.resume();
    }
    if (this.isBlockedNotified) {
      this.isBlockedNotified = false;
      this.writer.writeMethod(0, { name: 'connection.unblocked', classId: 10, methodId: 61 });
    }
  }

  /** Closes channels whose oldest unacked delivery is older than the consumer timeout (406, requeue). */
  checkConsumerTimeouts(now: number, timeoutMs: number): void {
    if (this.state !== 'open') return;
    for (const channel of this.channels.values()) {
      if (channel.state !== 'open') continue;
      const error = channel.consumerTimeoutError(now, timeoutMs);
      if (error) this.closeChannel(channel, error, 0, 0);
    }
  }

  // ---- heartbeats --------------------------------------------------------------------------------------------

  /** Sends a heartbeat when nothing was written for half an interval; drops a peer silent for two intervals. */
  private startHeartbeats(intervalMs: number): void {
    const tickMs = Math.max(1, Math.floor(intervalMs / 2));
    this.heartbeatTimer = setInterval(() => {
      // A connection paused by flow control cannot read heartbeats; RabbitMQ pauses the check too.
      if (this.isPaused) this.lastReadAt = Date.now();
      if (Date.now() - this.lastReadAt > intervalMs * 2) {
        this.services.logger.info(`connection ${this.name}: missed heartbeats from client, timeout: ${this.heartbeatSec}s`);
        this.destroy();
        return;
      }
      if (this.writer.framesWritten === this.lastFramesWritten) {
        this.writer.writeRaw(HEARTBEAT_FRAME);
        this.writer.framesWritten++;
      }
      this.lastFramesWritten = this.writer.framesWritten;
    }, tickMs);
    this.heartbeatTimer.unref();
  }
}
