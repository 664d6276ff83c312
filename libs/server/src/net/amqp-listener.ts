import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { BrokerLogger } from '../logger.js';

/**
 * Accepts TCP connections for the AMQP port and tracks open sockets so shutdown can reach every one.
 * Listening without a host binds the IPv6 wildcard, which on Linux also accepts IPv4 (dual stack).
 *
 * The number of open sockets is capped (`maxSockets`, the socket budget): past it a new socket is closed as soon as
 * it is accepted, before any AMQP byte, and accepting resumes once sockets close. Running out of file descriptors
 * (EMFILE/ENFILE on accept) is logged, never fatal.
 *
 * With `tls` options it is the amqps listener: a `node:tls` server that hands the connection the `TLSSocket` once
 * the handshake succeeded. The budget and shutdown track the TCP socket underneath from accept on, so a client
 * stuck in its handshake still counts and is still destroyed on close.
 */
export class AmqpListener {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private maxSockets = Infinity;
  /** Sockets refused (or failed accepts) since the listener last had room: one warning per burst, not per socket. */
  private refusedInBurst = 0;

  constructor(
    private readonly onConnection: (socket: Socket) => void,
    private readonly logger: BrokerLogger,
    private readonly tls?: TlsOptions,
  ) {}

  /** Starts listening with room for `maxSockets` client sockets (0 = no cap); resolves with the bound port. */
  async listen(port: number, host: string | undefined, maxSockets = 0): Promise<number> {
    const server = this.tls ? this.createTlsServer(this.tls) : createServer({ noDelay: true });
    // 'connection' is the TCP accept for both kinds (for TLS, before the handshake); tracked before anything else.
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.socketClosed(socket));
    });
    if (!this.tls) server.on('connection', (socket: Socket) => this.onConnection(socket));
    if (maxSockets > 0) {
      this.maxSockets = maxSockets;
      // Node closes a socket accepted past maxConnections at once (no Socket object is made) and emits 'drop'.
      server.maxConnections = maxSockets;
      server.on('drop', () => this.refused(`${this.sockets.size} sockets open, the limit is ${maxSockets} (WARREN_MAX_SOCKETS)`));
    }
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // After listening, the only errors are failed accepts; an unhandled 'error' event would end the process.
    server.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EMFILE' || error.code === 'ENFILE') this.refused(`out of file descriptors (${error.code})`);
      else this.logger.error(`listener: accept failed: ${error.message}`);
    });
    return (server.address() as AddressInfo).port;
  }

  private createTlsServer(options: TlsOptions): Server {
    const server = createTlsServer({ ...options, noDelay: true }, (socket: TLSSocket) => {
      if (isRefusedPeer(socket, options)) {
        this.logger.info(
          { peer: `${socket.remoteAddress}:${socket.remotePort}`, reason: String(socket.authorizationError) },
          'TLS client certificate refused',
        );
        socket.destroy();
        return;
      }
      this.onConnection(socket);
    });
    // A failed handshake (no or bad certificate, old protocol, not TLS at all) ends that socket only.
    server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
      // A certificate that did not verify is dropped by Node before this event (no peer address left); its
      // authorizationError says why, where the error itself only says the socket hung up.
      const peer = socket.remoteAddress === undefined ? undefined : `${socket.remoteAddress}:${socket.remotePort}`;
      const reason =
        socket.authorizationError === null || socket.authorizationError === undefined ? error.code : String(socket.authorizationError);
      this.logger.info({ peer, reason, error: error.message }, 'TLS handshake failed');
    });
    return server;
  }

  /** Number of open client sockets. */
  get socketCount(): number {
    return this.sockets.size;
  }

  /** Stops accepting; resolves once every tracked socket has closed or `timeoutMs` passed (then they are destroyed). */
  async close(timeoutMs: number): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private refused(reason: string): void {
    if (this.refusedInBurst++ === 0) this.logger.warn(`listener: refusing new connections: ${reason}`);
  }

  private socketClosed(socket: Socket): void {
    this.sockets.delete(socket);
    if (this.refusedInBurst > 0 && this.sockets.size < this.maxSockets) {
      this.logger.info(`listener: accepting connections again (${this.refusedInBurst} refused meanwhile)`);
      this.refusedInBurst = 0;
    }
  }
}

/**
 * Whether a handshake that completed must still be refused: with `verify_peer` but not `fail_if_no_peer_cert`
 * (`requestCert` without `rejectUnauthorized`), a client may present no certificate, but one that presents a
 * certificate that does not verify is refused, as RabbitMQ does.
 */
export function isRefusedPeer(socket: TLSSocket, options: TlsOptions): boolean {
  if (!options.requestCert || options.rejectUnauthorized || socket.authorized) return false;
  return Object.keys(socket.getPeerCertificate()).length > 0;
}
