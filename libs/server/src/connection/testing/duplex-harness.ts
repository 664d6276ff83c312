import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import {
  encodeHeaderFrame,
  encodeMethodFrame,
  FRAME_BODY,
  FRAME_END,
  FrameDecoder,
  HEARTBEAT_FRAME,
  PROTOCOL_HEADER,
  type BasicProperties,
  type FrameSink,
  type Method,
} from '@app/codec';
import { BrokerCore } from '@app/broker-core';
import { DEFAULT_CONFIG, type BrokerConfig } from '../../config/broker-config.js';
import { createBrokerLogger } from '../../logger.js';
import { AmqpConnection, type ConnectionServices } from '../connection.js';
import { LoginThrottle } from '../login-throttle.js';

/** One thing the broker sent, decoded. */
export type ServerOutput =
  | { kind: 'protocol-header'; bytes: Buffer }
  | { kind: 'method'; channel: number; method: Method }
  | { kind: 'header'; channel: number; classId: number; bodySize: number; properties: Buffer }
  | { kind: 'body'; channel: number; payload: Buffer }
  | { kind: 'heartbeat'; channel: number };

/**
 * The broker's end of an in-memory connection: a `Duplex` carrying the `net.Socket` fields `AmqpConnection` reads
 * (addresses, `setNoDelay`). Bytes the client sends come out of its readable side as 'data'; what the broker writes
 * goes to `onWrite`. Like aedes' test/helper.js, this drives the protocol code without a port or a kernel socket.
 */
export class DuplexSocket extends Duplex {
  remotePort = 40000;
  localAddress = '127.0.0.1';
  localPort = 5672;
  isNoDelay = false;
  /** Write callbacks held back by {@link holdWrites}: the bytes stay queued, as with a peer that stopped reading. */
  private heldCallbacks: Array<() => void> | undefined;

  constructor(
    readonly remoteAddress: string,
    private readonly onWrite: (chunk: Buffer) => void,
  ) {
    super();
  }

  setNoDelay(noDelay = true): this {
    this.isNoDelay = noDelay;
    return this;
  }

  override _read(): void {
    // Bytes are pushed by the client side when the test sends them.
  }

  /** From now on the peer reads nothing: `writableLength` grows and `write()` returns false, as on a slow client. */
  holdWrites(): void {
    this.heldCallbacks ??= [];
  }

  /** The peer reads again: queued bytes flow and the socket emits 'drain'. */
  releaseWrites(): void {
    const held = this.heldCallbacks ?? [];
    this.heldCallbacks = undefined;
    for (const callback of held) callback();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.heldCallbacks) {
      this.heldCallbacks.push(() => {
        this.onWrite(chunk);
        callback();
      });
      return;
    }
    this.onWrite(chunk);
    callback();
  }
}

/**
 * The client's end: sends scripted frames (encoded by the codec) and decodes what the broker answers, so a spec reads
 * as the conversation it checks.
 */
export class ScriptedClient {
  /** Everything received and not yet taken by `next()`. */
  private readonly received: ServerOutput[] = [];
  private readonly waiters: Array<(output: ServerOutput) => void> = [];
  private readonly decoder: FrameDecoder;
  private isFirstWrite = true;

  constructor(private readonly socket: DuplexSocket) {
    const sink: FrameSink = {
      onMethod: (channel, method) => this.deliver({ kind: 'method', channel, method }),
      onHeader: (channel, classId, bodySize, properties) =>
        this.deliver({ kind: 'header', channel, classId, bodySize, properties: Buffer.from(properties) }),
      onBody: (channel, payload) => this.deliver({ kind: 'body', channel, payload: Buffer.from(payload) }),
      onHeartbeat: (channel) => this.deliver({ kind: 'heartbeat', channel }),
    };
    // The client side accepts any frame size the broker may tune up to.
    this.decoder = new FrameDecoder(sink, DEFAULT_CONFIG.frameMax);
  }

  /** Called with each chunk the broker writes. */
  receive(chunk: Buffer): void {
    // A broker refusing our protocol header answers with its own (AMQP 0-9-1 §4.2.2), which is not a frame.
    if (this.isFirstWrite && chunk.subarray(0, 4).equals(PROTOCOL_HEADER.subarray(0, 4))) {
      this.isFirstWrite = false;
      this.deliver({ kind: 'protocol-header', bytes: Buffer.from(chunk.subarray(0, 8)) });
      chunk = chunk.subarray(8);
    }
    this.isFirstWrite = false;
    if (chunk.length > 0) this.decoder.push(chunk);
  }

  /** Sends raw bytes, as a socket read would deliver them. */
  send(bytes: Buffer): void {
    this.socket.push(bytes);
  }

  /** Sends the AMQP 0-9-1 protocol header. */
  sendProtocolHeader(): void {
    this.send(PROTOCOL_HEADER);
  }

  /** Sends one method frame. */
  sendMethod(channel: number, method: Method): void {
    this.send(encodeMethodFrame(channel, method));
  }

  /** Sends a content header frame of class basic. */
  sendHeader(channel: number, bodySize: number, properties: BasicProperties = {}): void {
    this.send(encodeHeaderFrame(channel, 60, bodySize, properties));
  }

  /** Sends one body frame. */
  sendBody(channel: number, payload: Buffer): void {
    const frame = Buffer.alloc(8 + payload.length);
    frame[0] = FRAME_BODY;
    frame.writeUInt16BE(channel, 1);
    frame.writeUInt32BE(payload.length, 3);
    payload.copy(frame, 7);
    frame[frame.length - 1] = FRAME_END;
    this.send(frame);
  }

  /** Sends a heartbeat frame. */
  sendHeartbeat(): void {
    this.send(HEARTBEAT_FRAME);
  }

  /** The next thing the broker sends (already received, or the next to arrive). */
  next(): Promise<ServerOutput> {
    const output = this.received.shift();
    if (output) return Promise.resolve(output);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The next output, which must be the method `name`; returns it typed. */
  async nextMethod<N extends Method['name']>(name: N, channel = 0): Promise<Extract<Method, { name: N }>> {
    const output = await this.next();
    if (output.kind !== 'method' || output.method.name !== name || output.channel !== channel) {
      throw new Error(`expected ${name} on channel ${channel}, got ${describeOutput(output)}`);
    }
    return output.method as Extract<Method, { name: N }>;
  }

  /** What arrived and was not taken yet. */
  get pending(): readonly ServerOutput[] {
    return this.received;
  }

  private deliver(output: ServerOutput): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(output);
    else this.received.push(output);
  }
}

function describeOutput(output: ServerOutput): string {
  return output.kind === 'method' ? `${output.method.name} on channel ${output.channel}` : output.kind;
}

/** Options of {@link connectOverDuplex}. */
export interface DuplexHarnessOptions {
  /** The client's address as the broker sees it (default loopback, where `guest` may log in). */
  remoteAddress?: string;
  config?: Partial<BrokerConfig>;
  /** A broker core with `guest` already added; one is made per harness otherwise. */
  core?: BrokerCore;
}

/** A connection under test, the client driving it, and how it ended. */
export interface DuplexHarness {
  readonly connection: AmqpConnection;
  readonly client: ScriptedClient;
  readonly socket: DuplexSocket;
  /** Resolves once the connection told the broker it is gone (`connectionClosed`). */
  readonly closed: Promise<void>;
  /** Whether the broker ended its writable side (`socket.end()`). */
  readonly isEnded: () => boolean;
  /** Lines the connection logged. */
  readonly logs: string[];
  /** Destroys the socket (test teardown). */
  dispose(): void;
}

/** A broker core with the default `guest` user, as a fresh broker has. */
export async function coreWithGuest(): Promise<BrokerCore> {
  const core = new BrokerCore();
  await core.bootstrapDefaultUser();
  return core;
}

/** Starts an `AmqpConnection` over an in-memory duplex: no port, no kernel socket, timers as the test sets them. */
export async function connectOverDuplex(options: DuplexHarnessOptions = {}): Promise<DuplexHarness> {
  const core = options.core ?? (await coreWithGuest());
  const logs: string[] = [];
  const socket = new DuplexSocket(options.remoteAddress ?? '127.0.0.1', (chunk) => client.receive(chunk));
  const client = new ScriptedClient(socket);
  let isEnded = false;
  socket.on('finish', () => (isEnded = true));
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const config = { ...DEFAULT_CONFIG, storage: 'memory' as const, ...options.config };
  const services: ConnectionServices = {
    core,
    config,
    loginThrottle: new LoginThrottle({ baseDelayMs: config.authFailureDelayMs, maxDelayMs: config.authFailureMaxDelayMs }),
    logger: createBrokerLogger('debug', (line) => logs.push(line)),
    isManagement: false,
    connectionClosed: () => markClosed(),
    blockReason: () => undefined,
    hasConnectionCapacity: () => true,
  };
  const connection = new AmqpConnection(socket as unknown as Socket, services);
  return {
    connection,
    client,
    socket,
    closed,
    isEnded: () => isEnded,
    logs,
    dispose: () => {
      socket.destroy();
    },
  };
}

/** Runs the handshake as a well-behaved client (PLAIN guest/guest, vhost `/`) up to `connection.open-ok`. */
export async function openConnection(client: ScriptedClient, { heartbeatSec = 0 }: { heartbeatSec?: number } = {}): Promise<void> {
  client.sendProtocolHeader();
  await client.nextMethod('connection.start');
  client.sendMethod(0, startOk('guest', 'guest'));
  const tune = await client.nextMethod('connection.tune');
  client.sendMethod(0, {
    name: 'connection.tune-ok',
    classId: 10,
    methodId: 31,
    channelMax: 0,
    frameMax: tune.frameMax,
    heartbeat: heartbeatSec,
  });
  client.sendMethod(0, { name: 'connection.open', classId: 10, methodId: 40, virtualHost: '/', capabilities: '', insist: false });
  await client.nextMethod('connection.open-ok');
}

/** `connection.start-ok` with a PLAIN response and the capabilities amqplib announces. */
export function startOk(username: string, password: string): Method {
  return {
    name: 'connection.start-ok',
    classId: 10,
    methodId: 11,
    clientProperties: { product: 'duplex-harness', capabilities: { authentication_failure_close: true, consumer_cancel_notify: true } },
    mechanism: 'PLAIN',
    response: Buffer.from(`\0${username}\0${password}`),
    locale: 'en_US',
  };
}
