import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * Accepts TCP connections for the AMQP port and tracks open sockets so shutdown can reach every one.
 * Listening without a host binds the IPv6 wildcard, which on Linux also accepts IPv4 (dual stack).
 */
export class AmqpListener {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly onConnection: (socket: Socket) => void) {}

  /** Starts listening; resolves with the bound port. */
  async listen(port: number, host: string | undefined): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.onConnection(socket);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        resolve();
      });
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
}
