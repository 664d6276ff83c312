import { connect, type Socket } from 'node:net';
import { encodeMethodFrame, FrameDecoder, PROTOCOL_HEADER, type ConnectionStartOk, type Method } from '@app/codec';
import { DEFAULT_WAIT_TIMEOUT_MS, waitFor } from './wait-for.js';

/** A `connection.start-ok`: PLAIN as guest/guest with no client properties, unless told otherwise. */
export function startOk({
  mechanism = 'PLAIN',
  response = Buffer.from('\0guest\0guest'),
  clientProperties = {},
}: Partial<Pick<ConnectionStartOk, 'mechanism' | 'response' | 'clientProperties'>> = {}): ConnectionStartOk {
  return { name: 'connection.start-ok', classId: 10, methodId: 11, clientProperties, mechanism, response, locale: 'en_US' };
}

/** A frame the raw client received. */
export type ReceivedFrame =
  | { type: 'method'; channel: number; method: Method }
  | { type: 'header'; channel: number; bodySize: number; properties: Buffer }
  | { type: 'body'; channel: number; payload: Buffer }
  | { type: 'heartbeat'; channel: number };

/**
 * A hand-driven AMQP peer for protocol tests: sends arbitrary bytes, records every frame the broker sends back,
 * and notices when the broker closes the socket. Uses Warren's own codec to decode what it receives.
 */
export class RawClient {
  readonly frames: ReceivedFrame[] = [];
  readonly received: Buffer[] = [];
  isClosed = false;
  private readonly decoder: FrameDecoder;
  private hasHeader = false;

  private constructor(readonly socket: Socket) {
    this.decoder = new FrameDecoder(
      {
        onMethod: (channel, method) => this.frames.push({ type: 'method', channel, method }),
        onHeader: (channel, _classId, bodySize, properties) =>
          this.frames.push({ type: 'header', channel, bodySize, properties: Buffer.from(properties) }),
        onBody: (channel, payload) => this.frames.push({ type: 'body', channel, payload: Buffer.from(payload) }),
        onHeartbeat: (channel) => this.frames.push({ type: 'heartbeat', channel }),
      },
      1 << 20,
    );
    socket.on('data', (chunk: Buffer) => {
      this.received.push(chunk);
      // The broker answers a bad protocol header with its own header: record it, don't decode it.
      if (!this.hasHeader && chunk.subarray(0, 4).toString('latin1') === 'AMQP') {
        this.hasHeader = true;
        return;
      }
      this.decoder.push(chunk);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (this.isClosed = true));
  }

  /** Opens a TCP connection to the broker. */
  static async connect(port: number): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Sends raw bytes. */
  send(bytes: Buffer | Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends one method frame. */
  sendMethod(channel: number, method: Method): void {
    this.send(encodeMethodFrame(channel, method));
  }

  /** Waits for the next method with `name` (already received or arriving later). */
  async method<N extends Method['name']>(name: N, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS): Promise<Extract<Method, { name: N }>> {
    const frame = await waitFor(
      () => this.frames.find((f) => f.type === 'method' && f.method.name === name) as { method: Method } | undefined,
      { timeoutMs, what: `method ${name}` },
    );
    return frame.method as Extract<Method, { name: N }>;
  }

  /** Runs the handshake as guest and opens vhost `/`. */
  async handshake({ heartbeat = 0, frameMax = 131072 }: { heartbeat?: number; frameMax?: number } = {}): Promise<void> {
    this.send(PROTOCOL_HEADER);
    this.hasHeader = true;
    await this.method('connection.start');
    const capabilities = { authentication_failure_close: true, consumer_cancel_notify: true, 'connection.blocked': true };
    this.sendMethod(0, startOk({ clientProperties: { capabilities } }));
    await this.method('connection.tune');
    this.sendMethod(0, { name: 'connection.tune-ok', classId: 10, methodId: 31, channelMax: 2047, frameMax, heartbeat });
    this.sendMethod(0, { name: 'connection.open', classId: 10, methodId: 40, virtualHost: '/', capabilities: '', insist: false });
    await this.method('connection.open-ok');
  }

  /** Opens channel `id` and waits for open-ok. */
  async openChannel(id: number): Promise<void> {
    this.sendMethod(id, { name: 'channel.open', classId: 20, methodId: 10, outOfBand: '' });
    await waitFor(() => this.frames.some((f) => f.type === 'method' && f.channel === id && f.method.name === 'channel.open-ok'), {
      what: `channel.open-ok on ${id}`,
    });
  }

  /** Waits until the broker has closed the socket. */
  async closed(timeoutMs = DEFAULT_WAIT_TIMEOUT_MS): Promise<void> {
    await waitFor(() => this.isClosed, { timeoutMs, what: 'socket close' });
  }

  /** Closes the socket from this side. */
  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * Registers a jest `afterEach` that destroys every raw client the test connected, and returns `connect()`, which
 * connects one to the broker on `port()` (read at each call, so after the file's `beforeAll` has started it).
 */
export function rawClientsPerTest(port: () => number): () => Promise<RawClient> {
  const clients: RawClient[] = [];
  afterEach(() => {
    for (const raw of clients.splice(0)) raw.destroy();
  });
  return async () => {
    const raw = await RawClient.connect(port());
    clients.push(raw);
    return raw;
  };
}
