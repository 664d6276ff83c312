import type { Socket } from 'node:net';
import { FRAME_MIN_SIZE, FrameDecoder, PROTOCOL_HEADER, ReplyCode, type FieldTable, type FrameSink, type Method } from '@app/codec';
import {
  ChannelError,
  ConnectionError,
  describeError,
  replyText,
  MessageCounters,
  runGuarded,
  type BrokerCore,
  type LoginOutcome,
  type MessageOrigin,
  type User,
  type TopologyActor,
  type VhostAccess,
  type VirtualHost,
} from '@app/broker-core';
import type { BrokerConfig } from '../config/broker-config.js';
import type { BrokerLogger } from '../logger.js';
import { FrameWriter } from '../net/frame-writer.js';
import type { Channel, ChannelHost } from './channel.js';
import { ChannelTable } from './channel-table.js';
import { connectionCloseReason } from './close-reason.js';
import { HeartbeatMonitor } from './heartbeat-monitor.js';
import type { ManagementInbox } from './management-access.js';
import type { LoginThrottle } from './login-throttle.js';
import { PublishFlow } from './publish-flow.js';
import type { PublishConfirms } from './publish-confirms.js';
import { clientCapabilities, connectionStart, connectionTune, negotiateTuning, unexpectedMethod } from './connection-negotiation.js';
import { certificateLoginName } from './peer-certificate.js';
import { parseSaslResponse, saslMechanisms } from './sasl.js';

/** Handshake and lifecycle states (AMQP 0-9-1 §2.2.4 connection class grammar). */
export type ConnectionState =
  'awaiting-header' | 'awaiting-start-ok' | 'authenticating' | 'awaiting-tune-ok' | 'awaiting-open' | 'open' | 'closing' | 'closed';

/** What a connection needs from the broker that accepted it. */
export interface ConnectionServices {
  readonly core: BrokerCore;
  readonly config: BrokerConfig;
  readonly logger: BrokerLogger;
  /** The broker's per-address delay on failed logins. */
  readonly loginThrottle: LoginThrottle;
  connectionClosed(connection: AmqpConnection): void;
  /** Why publishers are blocked now (a resource alarm), or undefined. */
  blockReason(): string | undefined;
  /** Whether one more client may connect (`maxConnections`). */
  hasConnectionCapacity(connection: AmqpConnection): boolean;
  /** Accepted on the management listener. */
  readonly isManagement: boolean;
  /** For connections accepted on the management listener: where their requests go. */
  readonly managementInbox?: ManagementInbox;
}

/** User tag that lets a management connection send management requests (the admin API's own login). */
const MANAGEMENT_SENDER_TAG = 'administrator';

let nextConnectionNumber = 1;

/** Why a login was refused (logged only; the client gets the same 403 for all). */
type LoginRefusal = 'invalid' | 'throttled' | 'hashing-busy';

/**
 * Bytes of frames the connection's channels may hold behind pending steps (method-sequencer.ts) before it stops
 * reading the socket: past it, a pipelining client waits on TCP (frames of one socket read may still add to it).
 */
const MAX_HELD_FRAME_BYTES = 1 << 20;

/** After a login refusal's `connection.close`, how long to wait for `close-ok` before dropping the socket. */
const AUTH_FAILURE_CLOSE_OK_WAIT_MS = 100;

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
  /** Message counters of this connection's closed channels (its open channels count in their own `stats`). */
  readonly closedChannelStats = new MessageCounters();
  state: ConnectionState = 'awaiting-header';
  readonly writer: FrameWriter;
  frameMax = FRAME_MIN_SIZE;
  channelMax = 0;
  heartbeatSec = 0;
  vhost!: VirtualHost;
  userName = '';
  /** Tags of the logged-in user. */
  userTags: readonly string[] = [];
  /**
   * Where this connection's management requests go (set at login): only on the management listener, and only for
   * a user tagged `administrator` (the admin API's own login). Other users may log in there (the admin API checks
   * HTTP passwords that way) but send nothing.
   */
  managementInbox: ManagementInbox | undefined;
  clientProperties: FieldTable = {};
  isCancelNotifySupported = false;
  private isAuthFailureCloseSupported = false;
  private readonly decoder: FrameDecoder;
  private isDecoderDead = false;
  private readonly channels = new ChannelTable(this);
  private readonly heartbeats: HeartbeatMonitor;
  private readonly flow: PublishFlow;
  /** Bytes of frames held by channels waiting for a step; reading stops while over {@link MAX_HELD_FRAME_BYTES}. */
  private heldFrameBytes = 0;
  private isReadingHeld = false;
  private headerBytes = Buffer.alloc(0);
  private readonly dirtyConfirms = new Set<PublishConfirms>();
  private handshakeTimer?: NodeJS.Timeout;
  private closeTimer?: NodeJS.Timeout;
  /** `address:port` of the client. */
  private readonly peer: string;
  /** This connection's logger: the broker's, with `connection`, `peer` and, once known, `user` and `vhost`. */
  private log: BrokerLogger;
  /** The client sent `connection.close` (rather than the server): the client closes the socket after close-ok. */
  private isClosedByClient = false;
  /** The user a verified TLS client certificate names (EXTERNAL logs in as it); undefined on plain sockets. */
  private readonly certificateName: string | undefined;

  constructor(
    readonly socket: Socket,
    private readonly services: ConnectionServices,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.certificateName = certificateLoginName(socket);
    this.name = `${this.peer} -> ${socket.localAddress}:${socket.localPort}`;
    this.log = this.bindLog();
    if (this.log.isLevelEnabled('debug')) this.log.debug('connection accepted');
    this.writer = new FrameWriter(socket);
    this.writer.beforeFlush = () => this.flushConfirms();
    this.decoder = new FrameDecoder(this, FRAME_MIN_SIZE);
    this.heartbeats = new HeartbeatMonitor(
      this.writer,
      () => {
        this.log.info({ heartbeatSec: this.heartbeatSec }, 'missed heartbeats from client, closing the socket');
        this.destroy();
      },
      this.reportError,
    );
    this.flow = new PublishFlow(
      socket,
      this.writer,
      this.heartbeats,
      services,
      this.isManagement,
      () => this.isReadingHeld,
      () => {
        for (const channel of this.channels.values()) {
          try {
            channel.releaseHeldPublishes();
          } catch (error) {
            this.fail(error, channel.id, undefined, 60, 40);
          }
        }
      },
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (error: NodeJS.ErrnoException) => this.log.debug({ error: error.message, code: error.code }, 'socket error'));
    socket.on('close', () => {
      // RabbitMQ warns the same way: the client dropped TCP without connection.close.
      if (this.state === 'open') this.log.warn('client unexpectedly closed TCP connection');
      this.onSocketClosed();
    });
    this.handshakeTimer = setTimeout(() => {
      this.log.info(
        { handshakeTimeoutMs: services.config.handshakeTimeoutMs, state: this.state },
        'handshake timed out, closing the socket',
      );
      this.destroyGuarded('handshake timeout');
    }, services.config.handshakeTimeoutMs);
  }

  /** Logs what a timer of this connection threw; the broker and the other connections carry on. */
  private readonly reportError = (task: string, error: unknown): void => {
    this.log.error({ task, err: describeError(error) }, `${task} failed`);
  };

  /** destroy() from a timer: what it throws (releasing channels requeues messages) is logged, not fatal. */
  private destroyGuarded(task: string): void {
    runGuarded(task, () => this.destroy(), this.reportError);
  }

  private originRecord?: MessageOrigin;

  /** The name the client gave in client-properties `connection_name`, else the peer-based {@link name}. */
  get displayName(): string {
    const given = this.clientProperties.connection_name;
    const text = typeof given === 'string' ? given : Buffer.isBuffer(given) ? given.toString('utf8') : '';
    // Client-chosen: bounded so a huge name cannot bloat every log line.
    return text === '' ? this.name : text.slice(0, 255);
  }

  /** A logger carrying what is known of this connection now (called again after start-ok, login and open). */
  private bindLog(): BrokerLogger {
    const fields: Record<string, string> = { connection: this.displayName, peer: this.peer };
    if (this.userName !== '') fields.user = this.userName;
    if (this.vhost) fields.vhost = this.vhost.name;
    return this.services.logger.child(fields);
  }

  /** The identity stamped on every message this connection publishes (one object, made after login). */
  get origin(): MessageOrigin {
    return (this.originRecord ??= { remoteAddress: this.socket.remoteAddress, userName: this.userName });
  }

  /**
   * Who runs this connection's topology commands: the connection (owner of its exclusive queues) with the user's
   * permissions in its vhost, from `connection.open` on.
   */
  actor: TopologyActor = { owner: this };
  /** The user's permissions in the connection's vhost (set at `connection.open`): the channels' publish, get and consume checks. */
  access!: VhostAccess;

  /** Accepted on the management listener (decided by the socket's listener, never by the client). */
  get isManagement(): boolean {
    return this.services.isManagement;
  }

  /** The connection itself owns its exclusive queues. */
  get owner(): object {
    return this;
  }

  /** Maximum message size from the configuration. */
  get maxMessageSize(): number {
    return this.services.config.maxMessageSize;
  }

  /** Channels opened on this connection so far, closed ones included. */
  get channelsOpened(): number {
    return this.channels.openedCount;
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
    this.heartbeats.lastReadAt = Date.now();
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
      // AMQP 0-9-1 §4.2.2: answer with the protocol version we accept, then close. Closing through destroy() also
      // tells the broker the connection is gone and stops the handshake timer.
      this.socket.write(PROTOCOL_HEADER);
      this.destroy();
      return Buffer.alloc(0);
    }
    this.state = 'awaiting-start-ok';
    this.writer.writeMethod(0, connectionStart(saslMechanisms(this.certificateName)));
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

  /** Frames held by a channel behind a pending step grew or shrank: stops or resumes reading the socket. */
  heldBytesChanged(delta: number): void {
    this.heldFrameBytes += delta;
    if (!this.isReadingHeld && this.heldFrameBytes > MAX_HELD_FRAME_BYTES) {
      this.isReadingHeld = true;
      this.socket.pause();
    } else if (this.isReadingHeld && this.heldFrameBytes <= MAX_HELD_FRAME_BYTES / 2) {
      this.isReadingHeld = false;
      // Flow control may still hold reading (a resource alarm): it resumes the socket when it ends.
      if (!this.flow.isPaused && this.state !== 'closed') this.socket.resume();
    }
  }

  // ---- connection class --------------------------------------------------------------------------------------

  private handleConnectionMethod(method: Method): void {
    switch (this.state) {
      case 'awaiting-start-ok':
        if (method.name !== 'connection.start-ok') throw unexpectedMethod(method, 'connection.start-ok');
        return this.startOk(method.clientProperties, method.mechanism, method.response);
      case 'awaiting-tune-ok':
        if (method.name !== 'connection.tune-ok') throw unexpectedMethod(method, 'connection.tune-ok');
        return this.tuneOk(method.channelMax, method.frameMax, method.heartbeat);
      case 'awaiting-open':
        if (method.name !== 'connection.open') throw unexpectedMethod(method, 'connection.open');
        return this.open(method.virtualHost);
      case 'open':
        switch (method.name) {
          case 'connection.close':
            this.log.info({ replyCode: method.replyCode, replyText: method.replyText }, 'client closed the connection');
            this.releaseAll();
            this.writer.writeMethod(0, { name: 'connection.close-ok', classId: 10, methodId: 51 });
            this.state = 'closing';
            this.isClosedByClient = true;
            this.writer.flush();
            // As RabbitMQ does, the client closes the socket once it has close-ok ('close' then ends this connection),
            // so a second connection.close already on its way (concurrent close calls in a client) still gets its
            // close-ok. A client that keeps the socket open is dropped after the close timeout.
            this.closeTimer = setTimeout(() => this.destroyGuarded('close timeout'), this.services.config.closeTimeoutMs);
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
        throw unexpectedMethod(method, 'connection.tune-ok');
    }
  }

  private startOk(clientProperties: FieldTable, mechanism: string, response: Buffer): void {
    this.clientProperties = clientProperties;
    this.log = this.bindLog();
    const capabilities = clientCapabilities(clientProperties);
    if (capabilities) {
      this.isCancelNotifySupported = capabilities.isCancelNotifySupported;
      this.isAuthFailureCloseSupported = capabilities.isAuthFailureCloseSupported;
      this.flow.isNotificationSupported = capabilities.isBlockedNotificationSupported;
    }
    if (!this.services.hasConnectionCapacity(this)) {
      throw new ConnectionError(
        ReplyCode.NOT_ALLOWED,
        replyText(ReplyCode.NOT_ALLOWED, `connection limit (${this.services.config.maxConnections}) is reached`),
        10,
        11,
      );
    }
    const credentials = parseSaslResponse(mechanism, response, this.certificateName);
    this.state = 'authenticating';
    const users = this.services.core.users;
    const address = this.socket.remoteAddress ?? '';
    // An address still serving a failed login's delay is refused without hashing: guessing from one address costs
    // the broker at most one hash per delay, and the answer is the same 403.
    if (this.services.loginThrottle.isThrottled(address, performance.now())) {
      return this.refuseLogin(mechanism, credentials.username, address, 'throttled');
    }
    // EXTERNAL: the TLS handshake verified the certificate, so only the user's existence (and loopback rule) is left.
    const login: Promise<LoginOutcome> =
      credentials.password === undefined
        ? Promise.resolve(certificateLogin(users.findCertificateUser(credentials.username, this.socket.remoteAddress)))
        : users.checkLogin(credentials.username, credentials.password, this.socket.remoteAddress);
    login.then(
      (outcome) => {
        if (this.state !== 'authenticating') return;
        const user = outcome.user;
        if (user === undefined) {
          return this.refuseLogin(mechanism, credentials.username, address, outcome.isHashingBusy ? 'hashing-busy' : 'invalid');
        }
        this.userName = user.name;
        this.userTags = user.tags;
        if (user.tags.includes(MANAGEMENT_SENDER_TAG)) this.managementInbox = this.services.managementInbox;
        this.log = this.bindLog();
        this.state = 'awaiting-tune-ok';
        this.writer.writeMethod(0, connectionTune(this.services.config));
      },
      (error: unknown) => this.fail(error, 0, undefined),
    );
  }

  /**
   * A failed login: answered with 403 ACCESS_REFUSED (or a silent close for clients without
   * `authentication_failure_close`) only after the throttle's delay for this address, which grows with each recent
   * failure from it (RabbitMQ delays failed handshakes too, by a fixed time). Meanwhile the connection holds only a
   * timer; a client that disconnects is cleaned up by onSocketClosed, which clears it. An attempt refused because
   * the hashing queue was full was never checked: it waits the address's current delay but does not add a failure,
   * so a good client caught in someone else's storm is not locked out for it. The client sees the same 403 whatever
   * the reason.
   */
  private refuseLogin(mechanism: string, username: string, address: string, reason: LoginRefusal): void {
    const throttle = this.services.loginThrottle;
    const now = performance.now();
    const delayMs = reason === 'hashing-busy' ? throttle.currentDelay(address, now) : throttle.recordFailure(address, now);
    // The attempted user name, never the password.
    this.log.info({ user: username, mechanism, delayMs, reason }, 'login refused');
    this.state = 'closing';
    // The refusal's own (bounded) timer replaces the handshake timeout, which could otherwise cut the delay short
    // with a silent close.
    clearTimeout(this.handshakeTimer);
    const answerAt = performance.now() + delayMs;
    const answer = (): void => {
      // Timers may fire a little early against performance.now(); the 403 must not precede the end of the delay,
      // or the client's next attempt could still find its address throttled.
      const remainingMs = answerAt - performance.now();
      if (remainingMs > 0) {
        this.closeTimer = setTimeout(answer, Math.ceil(remainingMs));
        return;
      }
      this.answerRefusedLogin(mechanism);
    };
    this.closeTimer = setTimeout(answer, delayMs);
  }

  private answerRefusedLogin(mechanism: string): void {
    if (!this.isAuthFailureCloseSupported) return this.destroy();
    const text = replyText(
      ReplyCode.ACCESS_REFUSED,
      `Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
    );
    this.writer.writeMethod(0, {
      name: 'connection.close',
      classId: 10,
      methodId: 50,
      replyCode: ReplyCode.ACCESS_REFUSED,
      replyText: text,
      failingClassId: 0,
      failingMethodId: 0,
    });
    this.writer.flush();
    // The client answers close-ok (onMethodWhileClosing drops the socket then); one that does not is dropped soon.
    this.closeTimer = setTimeout(() => this.destroyGuarded('close after failed login'), AUTH_FAILURE_CLOSE_OK_WAIT_MS);
  }

  private tuneOk(channelMax: number, frameMax: number, heartbeat: number): void {
    const config = this.services.config;
    const tuned = negotiateTuning(config, channelMax, frameMax);
    this.frameMax = tuned.frameMax;
    this.decoder.frameMax = tuned.frameMax;
    this.channelMax = tuned.channelMax;
    this.heartbeatSec = heartbeat;
    this.state = 'awaiting-open';
    if (heartbeat > 0) this.heartbeats.start(heartbeat * config.heartbeatUnitMs);
  }

  private open(virtualHost: string): void {
    const vhost = this.services.core.getVhost(virtualHost);
    if (!vhost) {
      throw new ConnectionError(ReplyCode.NOT_ALLOWED, replyText(ReplyCode.NOT_ALLOWED, `vhost ${virtualHost} not found`), 10, 40);
    }
    const actor = this.services.core.actorFor(this, this.userName, clientIdOf(this.clientProperties));
    const access = actor.accessTo(vhost.name);
    // Management connections (the admin API checking an HTTP login) do nothing in the vhost: no permission needed.
    if (!this.isManagement && !access.isVhostAllowed) {
      throw new ConnectionError(
        ReplyCode.NOT_ALLOWED,
        replyText(ReplyCode.NOT_ALLOWED, `access to vhost '${virtualHost}' refused for user '${this.userName}'`),
        10,
        40,
      );
    }
    this.actor = actor;
    this.access = access;
    this.vhost = vhost;
    this.log = this.bindLog();
    this.state = 'open';
    this.log.info({ channelMax: this.channelMax, frameMax: this.frameMax, heartbeatSec: this.heartbeatSec }, 'connection opened');
    clearTimeout(this.handshakeTimer);
    this.writer.writeMethod(0, { name: 'connection.open-ok', classId: 10, methodId: 41, knownHosts: '' });
    // A connection opened during an alarm hears about it at once, as the ones already open did.
    const reason = this.services.blockReason();
    if (reason !== undefined) this.setFlow(reason);
  }

  // ---- channels ------------------------------------------------------------------------------------------------

  private handleChannelMethod(channelId: number, method: Method): void {
    if (this.state !== 'open') {
      throw new ConnectionError(
        ReplyCode.CHANNEL_ERROR,
        replyText(ReplyCode.CHANNEL_ERROR, `expected 'connection.open' before using channel ${channelId}`),
      );
    }
    this.channels.handleMethod(channelId, method);
  }

  // ---- errors and closing ------------------------------------------------------------------------------------

  /** A method answered after an asynchronous step (e.g. a shared queue's delete, judged across nodes) failed. */
  failChannel(channelId: number, error: unknown, classId: number, methodId: number): void {
    this.fail(error, channelId, undefined, classId, methodId);
  }

  /** Turns anything thrown while handling a frame into the right close. */
  private fail(error: unknown, channelId: number, method: Method | undefined, classId = 0, methodId = 0): void {
    const failedClass = method?.classId ?? classId;
    const failedMethod = method?.methodId ?? methodId;
    if (error instanceof ChannelError && channelId !== 0) {
      return this.channels.closeOnError(channelId, error, error.classId || failedClass, error.methodId || failedMethod);
    }
    const reason = connectionCloseReason(error, failedClass, failedMethod);
    if (reason.detail !== undefined) {
      this.log.error({ detail: reason.detail, classId: failedClass, methodId: failedMethod }, 'internal error');
    }
    this.closeConnection(reason.replyCode, reason.replyText, reason.classId, reason.methodId);
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
    this.log.info({ replyCode, replyText: text, classId, methodId }, 'closing connection');
    this.writer.writeMethod(0, {
      name: 'connection.close',
      classId: 10,
      methodId: 50,
      replyCode,
      replyText: text,
      failingClassId: classId,
      failingMethodId: methodId,
    });
    this.writer.flush();
    this.closeTimer = setTimeout(() => this.destroyGuarded('close timeout'), isHandshakeDone ? this.services.config.closeTimeoutMs : 100);
  }

  private onMethodWhileClosing(channelId: number, method: Method): void {
    if (channelId !== 0 || this.state === 'closed') return;
    if (method.name === 'connection.close-ok') return this.destroy();
    if (method.name === 'connection.close') {
      this.writer.writeMethod(0, { name: 'connection.close-ok', classId: 10, methodId: 51 });
      this.writer.flush();
      // After the server's own close, the client's crossing close completes the handshake; after the client's close,
      // every further close is answered alike and the client still closes the socket.
      if (!this.isClosedByClient) this.destroy();
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
    this.channels.releaseAll();
    this.vhost?.removeExclusiveQueues(this);
  }

  private onSocketClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.closeTimer);
    this.heartbeats.stop();
    this.releaseAll();
    this.channels.clear();
    this.writer.close();
    this.services.connectionClosed(this);
  }

  private onDrain(): void {
    if (this.state !== 'open') return;
    this.channels.resumeDeliveries();
  }

  private flushConfirms(): void {
    if (this.dirtyConfirms.size === 0) return;
    for (const confirms of this.dirtyConfirms) confirms.flush();
    this.dirtyConfirms.clear();
  }

  // ---- flow control --------------------------------------------------------------------------------------------

  /** A publish started: when an alarm is in force, stop reading this connection (after the current read). */
  publishing(): void {
    this.flow.publishing();
  }

  /**
   * A resource alarm started (reason) or ended (undefined). Clients that support it hear `connection.blocked` at
   * once; reading stops only for connections that publish, so consumers keep draining queues.
   */
  setFlow(reason: string | undefined): void {
    if (this.state === 'open') this.flow.setFlow(reason);
  }

  /** Whether reading is paused by flow control. */
  get isBlocked(): boolean {
    return this.flow.isPaused;
  }

  /** Closes channels whose oldest unacked delivery is older than the consumer timeout (406, requeue). */
  checkConsumerTimeouts(now: number, timeoutMs: number): void {
    if (this.state === 'open') this.channels.checkConsumerTimeouts(now, timeoutMs);
  }
}

/** The outcome of an EXTERNAL login: the certificate's user, or a refusal (no hash was involved). */
function certificateLogin(user: User | undefined): LoginOutcome {
  return user === undefined ? { user: undefined, isHashingBusy: false } : { user };
}

/** client-properties `client_id` (MQTT-style clients set it), for `{client_id}` in topic permissions. */
function clientIdOf(properties: FieldTable): string | undefined {
  const value = properties.client_id;
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
}
