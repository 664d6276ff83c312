import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_HEADER } from '@app/codec';
import amqplib from 'amqplib';
import { spawnBrokerProcess, type BrokerProcess } from '../support/broker-process.js';
import { waitFor } from '../support/wait-for.js';

const FD_LIMIT = 256;
/** The socket budget the broker derives from FD_LIMIT: the limit less max(100, 10 %) for the store and listeners. */
const SOCKET_BUDGET = FD_LIMIT - 100;
/** More plain TCP sockets than the broker has file descriptors. */
const SOCKET_COUNT = 400;

// Hardening item 1: running out of file descriptors used to kill the broker (EMFILE from accept() or from the memory
// check's `process.memoryUsage.rss()` inside a timer), without any login.
describe('file descriptor limit', () => {
  let dataDir: string;
  let broker: BrokerProcess | undefined;
  const sockets: Socket[] = [];
  let closedByBroker = 0;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-fd-limit-'));
    closedByBroker = 0;
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    if (broker && broker.child.exitCode === null) {
      broker.child.kill('SIGTERM');
      await broker.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Starts the broker under FD_LIMIT, checking memory every 20 ms so the timer runs while descriptors are short. */
  async function startBroker(env: Record<string, string> = {}): Promise<number> {
    broker = spawnBrokerProcess({ WARREN_DATA_DIR: dataDir, WARREN_RESOURCE_CHECK_MS: '20', ...env }, { fdLimit: FD_LIMIT });
    return broker.port();
  }

  function openPlainSockets(port: number): void {
    for (let i = 0; i < SOCKET_COUNT; i++) {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      socket.on('close', () => closedByBroker++);
      sockets.push(socket);
    }
  }

  /** Closes the plain sockets, then an amqplib client connects, publishes and gets its message back. */
  async function expectServingAfterSocketsClose(port: number): Promise<void> {
    for (const socket of sockets.splice(0)) socket.destroy();
    const connection = await waitFor(() => amqplib.connect(`amqp://guest:guest@127.0.0.1:${port}`).catch(() => undefined), {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'the broker to accept again',
    });
    try {
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      channel.sendToQueue(queue, Buffer.from('still here'));
      const message = await waitFor(() => channel.get(queue, { noAck: true }), { what: 'the message' });
      expect(message.content.toString()).toBe('still here');
    } finally {
      await connection.close();
    }
    expect(broker!.child.exitCode).toBeNull();
  }

  it('refuses sockets past its budget with one warning, stays up, and serves clients once they close', async () => {
    const port = await startBroker();
    openPlainSockets(port);
    // Every socket past the budget is closed at once; the rest stay open (until the handshake timeout).
    await waitFor(() => closedByBroker >= SOCKET_COUNT - SOCKET_BUDGET, { timeoutMs: 30_000, what: 'refused sockets to close' });

    // Still alive: an accepted socket gets its connection.start.
    const accepted = sockets.find((socket) => socket.readyState === 'open');
    if (!accepted) throw new Error(`the broker closed every socket: ${broker!.output()}`);
    const answer = new Promise<Buffer>((resolve, reject) => {
      accepted.once('data', resolve);
      accepted.once('close', () => reject(new Error(`the broker closed the socket: ${broker!.output()}`)));
    });
    accepted.write(PROTOCOL_HEADER);
    expect((await answer)[0]).toBe(1);
    expect(broker!.output().match(/refusing new connections/g)).toHaveLength(1);
    expect(broker!.output()).not.toMatch(/resource check failed/);

    await expectServingAfterSocketsClose(port);
  });

  it('survives running out of descriptors when WARREN_MAX_SOCKETS is set above the fd limit', async () => {
    const port = await startBroker({ WARREN_MAX_SOCKETS: '100000' });
    openPlainSockets(port);
    // The memory check hit EMFILE (it reads /proc): logged once, and the timer keeps going.
    await broker!.waitForLine(/(resource check failed[^\n]*EMFILE)/, 'the memory check to hit EMFILE', 30_000);
    expect(broker!.child.exitCode).toBeNull();

    await expectServingAfterSocketsClose(port);
    // Once per failure streak, not once per 20 ms tick.
    expect(broker!.output().match(/resource check failed/g)!.length).toBeLessThan(5);
  });
});
