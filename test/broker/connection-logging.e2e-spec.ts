import amqplib from 'amqplib';
import { startTestBroker, type TestBroker } from '@app/testing';
import { waitFor } from '../support/wait-for.js';

/** One parsed log line of the broker. */
type LogEntry = Record<string, unknown> & { level: string; msg: string };

/** The client side port of an amqplib connection (its socket's local port is the broker's peer port). */
function clientPort(connection: amqplib.ChannelModel): number {
  return (connection as unknown as { connection: { stream: { localPort: number } } }).connection.stream.localPort;
}

/** The broker's log is JSON lines; each line from a connection names it, its peer, user and vhost. */
describe('connection log lines', () => {
  let broker: TestBroker;
  const lines: string[] = [];
  const entries = (): LogEntry[] => lines.map((line) => JSON.parse(line) as LogEntry);
  const waitForEntry = (msg: string, port: number): Promise<LogEntry> =>
    waitFor(() => entries().find((entry) => entry.msg === msg && entry.peer === `127.0.0.1:${port}`), { what: `'${msg}' logged` });

  beforeAll(async () => {
    broker = await startTestBroker({ logLevel: 'info', log: (line) => lines.push(line) });
  });

  afterAll(async () => {
    await broker.close();
  });

  it('carry the client-given connection name, peer, user and vhost once the connection is open', async () => {
    const connection = await amqplib.connect(broker.url, { clientProperties: { connection_name: 'orders-service' } });
    connection.on('error', () => undefined);
    const port = clientPort(connection);

    const opened = await waitForEntry('connection opened', port);
    expect(opened).toMatchObject({ level: 'info', connection: 'orders-service', peer: `127.0.0.1:${port}`, user: 'guest', vhost: '/' });
    expect(typeof opened.time).toBe('string');

    await broker.closeConnections();
    const closing = await waitForEntry('closing connection', port);
    expect(closing).toMatchObject({
      connection: 'orders-service',
      user: 'guest',
      vhost: '/',
      replyCode: 320,
      replyText: expect.stringContaining('CONNECTION_FORCED'),
    });
  });

  it('name a connection without connection_name by its peer and local address', async () => {
    const connection = await amqplib.connect(broker.url);
    const port = clientPort(connection);

    const opened = await waitForEntry('connection opened', port);
    expect(opened.connection).toBe(`127.0.0.1:${port} -> 127.0.0.1:${broker.port}`);
    await connection.close();
    expect(await waitForEntry('client closed the connection', port)).toMatchObject({ user: 'guest', vhost: '/', replyCode: 200 });
  });

  it('log a refused login with the attempted user name and never the password', async () => {
    const password = 'not-the-password-8f3a';
    await expect(
      amqplib.connect(`amqp://guest:${password}@127.0.0.1:${broker.port}`, { clientProperties: { connection_name: 'intruder' } }),
    ).rejects.toThrow(/ACCESS_REFUSED/);

    const refused = await waitFor(() => entries().find((entry) => entry.msg === 'login refused' && entry.connection === 'intruder'), {
      what: 'the refused login logged',
    });
    expect(refused).toMatchObject({ level: 'info', user: 'guest', mechanism: 'PLAIN', peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(refused.vhost).toBeUndefined();
    expect(lines.join('\n')).not.toContain(password);
  });
});
