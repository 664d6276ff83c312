// Hardening issue, item 2 (login storm): failed logins are answered after a delay that grows per source address,
// with RabbitMQ's 403 text, and the delayed refusal holds nothing but a timer.
import amqplib from 'amqplib';
import { PROTOCOL_HEADER } from '@app/codec';
import type { BrokerConfig } from '@app/server';
import { startTestBroker, type TestBroker } from '@app/testing';
import { RawClient, startOk } from '../support/raw-client.js';
import { waitFor } from '../support/wait-for.js';

const REFUSED = 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.';

/** Sends the protocol header and a PLAIN start-ok with `password` for guest. */
async function startLogin(client: RawClient, password: string): Promise<void> {
  client.send(PROTOCOL_HEADER);
  await client.method('connection.start');
  client.sendMethod(
    0,
    startOk({ response: Buffer.from(`\0guest\0${password}`), clientProperties: { capabilities: { authentication_failure_close: true } } }),
  );
}

describe('failed logins from one address', () => {
  const brokers: TestBroker[] = [];
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((broker) => broker.close()));
  });
  const startBroker = async (config: Partial<BrokerConfig>): Promise<TestBroker> => {
    const broker = await startTestBroker({ config });
    brokers.push(broker);
    return broker;
  };

  it('refuses every wrong password with 403 after a growing delay, then lets the right one in', async () => {
    const server = await startBroker({ authFailureDelayMs: 25, authFailureMaxDelayMs: 400 });
    const url = (password: string): string => `amqp://guest:${password}@127.0.0.1:${server.port}`;
    const attempts = 20;
    const durations: number[] = [];
    const started = performance.now();
    for (let i = 0; i < attempts; i++) {
      const attemptStarted = performance.now();
      await expect(amqplib.connect(url('wrong'))).rejects.toThrow(/403 \(ACCESS-REFUSED\)/);
      durations.push(performance.now() - attemptStarted);
    }
    const totalMs = performance.now() - started;
    // Delays 25, 50, 100, 200, then the 400 cap (lower bounds only: a busy machine only adds time). Before the fix
    // every refusal came as soon as the hash was done (≈ 150 ms an attempt on a busy 2-core machine, any attempt).
    const expectedMs = 25 + 50 + 100 + 200 + 400 * (attempts - 4);
    expect(totalMs).toBeGreaterThanOrEqual(expectedMs);
    expect(Math.min(...durations.slice(-5))).toBeGreaterThanOrEqual(400);
    // The last refusal came once its delay had passed: the right password works at once.
    const connection = await amqplib.connect(url('guest'));
    const channel = await connection.createChannel();
    await channel.checkQueue((await channel.assertQueue('', { exclusive: true })).queue);
    await connection.close();
  });

  it("answers with RabbitMQ's reply text and refuses attempts during the delay without hashing them", async () => {
    // A delay long enough that the later attempts surely arrive during it, even on a busy machine.
    const server = await startBroker({ authFailureDelayMs: 2000, authFailureMaxDelayMs: 2000 });
    const hasher = server.broker.core.users.hasher;
    const first = await RawClient.connect(server.port);
    await startLogin(first, 'wrong');
    await waitFor(() => [...server.broker.allConnections()].some((c) => c.state === 'closing'), { what: 'first attempt refused' });
    const hashed = hasher.completedHashes;
    // Attempts from the same address while the first is still being delayed, one with the right password.
    const during = await Promise.all(['wrong', 'wrong', 'guest'].map(() => RawClient.connect(server.port)));
    await Promise.all(during.map((client, i) => startLogin(client, ['wrong', 'wrong', 'guest'][i])));
    for (const client of [first, ...during]) {
      const close = await client.method('connection.close');
      expect(close).toMatchObject({ replyCode: 403, replyText: REFUSED, failingClassId: 0, failingMethodId: 0 });
      client.sendMethod(0, { name: 'connection.close-ok', classId: 10, methodId: 51 });
      await client.closed();
    }
    expect(hasher.completedHashes).toBe(hashed);
    await waitFor(() => [...server.broker.allConnections()].length === 0, { what: 'refused connections gone' });
  });

  it('drops a client that disconnects during the delay at once', async () => {
    const server = await startBroker({ authFailureDelayMs: 30_000, authFailureMaxDelayMs: 30_000 });
    const clients = await Promise.all(Array.from({ length: 5 }, () => RawClient.connect(server.port)));
    await Promise.all(clients.map((client) => startLogin(client, 'wrong')));
    await waitFor(() => [...server.broker.allConnections()].every((c) => c.state === 'closing'), { what: 'logins refused' });
    expect([...server.broker.allConnections()]).toHaveLength(5);
    for (const client of clients) client.destroy();
    // Long before the 30 s delay: the refusal's timer is cleared with the connection.
    await waitFor(() => [...server.broker.allConnections()].length === 0, { timeoutMs: 5000, what: 'connections cleaned up' });
  });
});
