import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { BrokerLogger } from '../logger.js';

/**
 * Accepts TCP connections for the AMQP port and tracks open sockets so shutdown can reach every one.
 * Listening without a host binds the IPv6 wildcard, which on Linux also accepts IPv4 (dual stack).
 *
 * The number of open sockets is capped (`maxSockets`, the socket budget): past it a new socket is closed as soon as
 * it is accepted, before any AMQP byte, and accepting resumes once sockets close. Running out of file descriptors
 * (EMFILE/ENFILE on accept) is logged, never fatal.
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
  ) {}

  /** Starts listening with room for `maxSockets` client sockets (0 = no cap); resolves with the bound port. */
  async listen(port: number, host: string | undefined, maxSockets = 0): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.socketClosed(socket));
      this.onConnection(socket);
    });
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
