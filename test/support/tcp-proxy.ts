import { connect, createServer, type Socket } from 'node:net';

/** A TCP proxy on 127.0.0.1 that a test can cut; see {@link startTcpProxy}. */
export interface TcpProxy {
  /** The proxy's own port: clients connect here instead of to the target. */
  readonly port: number;
  /** Connections passed through so far (accepted while not cut). */
  readonly accepted: number;
  /** Partitions: destroys every proxied connection (both sides) and, until {@link heal}, every new one at once. */
  cut(): void;
  /** Passes new connections through again. */
  heal(): void;
  /** Destroys every connection and closes the listener. */
  close(): Promise<void>;
}

/**
 * Forwards every connection made to its port to `targetPort` on 127.0.0.1: put between one broker and PostgreSQL,
 * {@link TcpProxy.cut} is a network partition between the two (in-flight queries fail, reconnects are refused)
 * while everything else keeps its path to the database.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let isCut = false;
  let accepted = 0;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A reset from either side only ends this pair.
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    track(client);
    if (isCut) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    // Either side gone: the other goes too, as a broken path would end both.
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const cutAll = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as { port: number }).port,
    get accepted() {
      return accepted;
    },
    cut() {
      isCut = true;
      cutAll();
    },
    heal() {
      isCut = false;
    },
    close() {
      cutAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
