import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import amqplib from 'amqplib';
import { AMQPClient } from '@cloudamqp/amqp-client';
import type { BrokerConfig } from '@app/server';
import { ConfigError } from '@app/config';
import { startTestBroker, type TestBroker } from '@app/testing';
import { spawnBrokerProcess } from '../support/broker-process.js';
import { createTlsFixtures, type KeyPair, type TlsFixtures } from '../support/tls-fixtures.js';
import { waitFor } from '../support/wait-for.js';

/** One parsed log line of the broker. */
type LogEntry = Record<string, unknown> & { msg: string };

let fixtures: TlsFixtures;

beforeAll(() => {
  fixtures = createTlsFixtures();
});

afterAll(() => {
  fixtures?.remove();
});

/** A test broker with an amqps listener on a free loopback port, logging into `lines`. */
async function startTlsBroker(tls: Partial<BrokerConfig>, lines: string[] = []): Promise<TestBroker> {
  return startTestBroker({
    logLevel: 'info',
    log: (line) => lines.push(line),
    config: { amqpsPort: 0, tlsCertFile: fixtures.server.certFile, tlsKeyFile: fixtures.server.keyFile, ...tls },
  });
}

function amqpsUrl(broker: TestBroker, credentials = 'guest:guest@'): string {
  return `amqps://${credentials}127.0.0.1:${broker.broker.amqpsPort}`;
}

/** amqplib over TLS, trusting the test CA, with an optional client certificate. */
function amqplibConnect(broker: TestBroker, client?: KeyPair, options: Record<string, unknown> = {}): Promise<amqplib.ChannelModel> {
  return amqplib.connect(amqpsUrl(broker), { ca: [fixtures.ca], ...(client && { cert: client.cert, key: client.key }), ...options });
}

/** amqplib with SASL EXTERNAL: the client certificate is the whole login. */
function externalConnect(broker: TestBroker, client: KeyPair): Promise<amqplib.ChannelModel> {
  return amqplibConnect(broker, client, { credentials: amqplib.credentials.external() });
}

/** Publishes one message through the default exchange and consumes it back. */
async function roundTrip(connection: amqplib.ChannelModel, text: string): Promise<string> {
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  const received = new Promise<string>((resolve) => {
    void channel.consume(queue, (message) => message && resolve(message.content.toString()), { noAck: true });
  });
  channel.sendToQueue(queue, Buffer.from(text));
  return received;
}

/** The user each open connection logged in as. */
function loggedInUsers(broker: TestBroker): string[] {
  return [...broker.broker.allConnections()].filter((connection) => connection.state === 'open').map((connection) => connection.userName);
}

/** A bare TLS handshake against the amqps port; resolves with the negotiated protocol, rejects with the TLS error. */
function handshake(broker: TestBroker, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: broker.broker.amqpsPort, ca: fixtures.ca, ...options }, () => {
      const protocol = socket.getProtocol() ?? '';
      socket.destroy();
      resolve(protocol);
    });
    socket.on('error', reject);
  });
}

describe('amqps listener, verify_none (the default)', () => {
  let broker: TestBroker;
  const lines: string[] = [];

  beforeAll(async () => {
    broker = await startTlsBroker({}, lines);
  });

  afterAll(async () => {
    await broker.close();
  });

  it('listens on its own port next to the plain one', () => {
    expect(broker.broker.amqpsPort).toBeGreaterThan(0);
    expect(broker.broker.amqpsPort).not.toBe(broker.port);
  });

  it('amqplib connects over TLS, publishes and consumes', async () => {
    const connection = await amqplibConnect(broker);
    try {
      expect(await roundTrip(connection, 'over tls')).toBe('over tls');
      const [tlsConnection] = [...broker.broker.allConnections()];
      expect(tlsConnection.socket.localPort).toBe(broker.broker.amqpsPort);
    } finally {
      await connection.close();
    }
  });

  it('@cloudamqp/amqp-client connects over TLS, publishes and consumes', async () => {
    const client = new AMQPClient(amqpsUrl(broker), { ca: [fixtures.ca] });
    const connection = await client.connect();
    try {
      const channel = await connection.channel();
      const { name: queue } = await channel.queueDeclare('', { exclusive: true });
      const received = new Promise<string>((resolve) => {
        void channel.basicConsume(queue, { noAck: true }, (message) => resolve(message.bodyToString() ?? ''));
      });
      await channel.basicPublish('', queue, 'over tls too');
      expect(await received).toBe('over tls too');
    } finally {
      await connection.close();
    }
  });

  it('the plain listener keeps working', async () => {
    const connection = await amqplib.connect(broker.url);
    expect(await roundTrip(connection, 'plain')).toBe('plain');
    await connection.close();
  });

  it('refuses a client that does not trust the server certificate', async () => {
    await expect(amqplib.connect(amqpsUrl(broker))).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  it('does not offer EXTERNAL: no client certificate was asked for', async () => {
    await expect(externalConnect(broker, fixtures.guestClient)).rejects.toThrow('SASL mechanism EXTERNAL is not provided by the server');
  });

  it('refuses TLS 1.1 with a protocol_version alert and accepts TLS 1.2', async () => {
    // The client really offers TLS 1.1 (security level 0 lets OpenSSL 3 sign with SHA-1): the alert comes from the
    // broker, not from a client that could not try.
    await expect(handshake(broker, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toMatchObject({
      code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    });
    await waitFor(() => lines.some((line) => line.includes('TLS handshake failed') && line.includes('unsupported protocol')), {
      what: 'the refused handshake logged',
    });
    expect(await handshake(broker, { maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
  });

  it('drops a plain AMQP client on the TLS port without harm', async () => {
    await expect(amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.broker.amqpsPort}`)).rejects.toThrow();
    const connection = await amqplibConnect(broker);
    await connection.close();
  });
});

describe('amqps listener, verify_peer and fail_if_no_peer_cert', () => {
  let broker: TestBroker;
  const lines: string[] = [];
  const entries = (): LogEntry[] => lines.map((line) => JSON.parse(line) as LogEntry);

  beforeAll(async () => {
    broker = await startTlsBroker({ tlsCaFile: fixtures.caFile, tlsVerifyPeer: true, tlsFailIfNoPeerCert: true }, lines);
  });

  afterAll(async () => {
    await broker.close();
  });

  it('accepts a client certificate from the CA, with PLAIN (amqplib) and with @cloudamqp/amqp-client', async () => {
    const connection = await amqplibConnect(broker, fixtures.someUserClient);
    expect(await roundTrip(connection, 'verified')).toBe('verified');
    await connection.close();

    const client = new AMQPClient(amqpsUrl(broker), { ca: [fixtures.ca], cert: fixtures.guestClient.cert, key: fixtures.guestClient.key });
    const amqpConnection = await client.connect();
    const channel = await amqpConnection.channel();
    const { name: queue } = await channel.queueDeclare('', { exclusive: true });
    const received = new Promise<string>((resolve) => {
      void channel.basicConsume(queue, { noAck: true }, (message) => resolve(message.bodyToString() ?? ''));
    });
    await channel.basicPublish('', queue, 'verified too');
    expect(await received).toBe('verified too');
    await amqpConnection.close();
  });

  it('refuses a client certificate from another CA at the handshake', async () => {
    await expect(amqplibConnect(broker, fixtures.strangerClient)).rejects.toThrow();
    // Node checks the chain once OpenSSL is done and drops the socket: the client never completes its handshake.
    await expect(
      handshake(broker, { cert: fixtures.strangerClient.cert, key: fixtures.strangerClient.key, maxVersion: 'TLSv1.2' }),
    ).rejects.toThrow(/before secure TLS connection was established|alert|certificate/i);
    await waitFor(
      () => entries().find((entry) => entry.msg === 'TLS handshake failed' && entry.reason === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      {
        what: 'the refused certificate logged',
      },
    );
    expect(loggedInUsers(broker)).toEqual([]);
  });

  it('refuses a client without a certificate at the handshake', async () => {
    await expect(amqplibConnect(broker)).rejects.toThrow();
    await expect(handshake(broker, { maxVersion: 'TLSv1.2' })).rejects.toThrow(/alert|certificate/i);
    expect(loggedInUsers(broker)).toEqual([]);
  });

  it('EXTERNAL logs in as the user the certificate CN names, without a password', async () => {
    const connection = await externalConnect(broker, fixtures.guestClient);
    try {
      expect(loggedInUsers(broker)).toEqual(['guest']);
      expect(await roundTrip(connection, 'by certificate')).toBe('by certificate');
    } finally {
      await connection.close();
    }
  });

  it('EXTERNAL for a CN that is no user is 403 ACCESS_REFUSED, then works once the user exists', async () => {
    await expect(externalConnect(broker, fixtures.someUserClient)).rejects.toThrow(
      /ACCESS[-_]REFUSED - Login was refused using authentication mechanism EXTERNAL/,
    );
    await waitFor(
      () => entries().find((entry) => entry.msg === 'login refused' && entry.user === 'some user' && entry.mechanism === 'EXTERNAL'),
      {
        what: 'the refused login logged',
      },
    );

    await broker.core.users.addUser('some user', 'a password nobody sends');
    // A new user has no permissions: without these, connection.open is refused (530), as in RabbitMQ.
    await broker.core.permissions.set('some user', '/', { configure: '.*', write: '.*', read: '.*' });
    const connection = await externalConnect(broker, fixtures.someUserClient);
    try {
      expect(loggedInUsers(broker)).toEqual(['some user']);
    } finally {
      await connection.close();
    }
  });

  it('still refuses EXTERNAL on the plain listener', async () => {
    await expect(amqplib.connect(broker.url, { credentials: amqplib.credentials.external() })).rejects.toThrow(
      'SASL mechanism EXTERNAL is not provided by the server',
    );
  });
});

describe('amqps listener, verify_peer without fail_if_no_peer_cert', () => {
  let broker: TestBroker;
  const lines: string[] = [];
  const entries = (): LogEntry[] => lines.map((line) => JSON.parse(line) as LogEntry);

  beforeAll(async () => {
    broker = await startTlsBroker({ tlsCaFile: fixtures.caFile, tlsVerifyPeer: true }, lines);
  });

  afterAll(async () => {
    await broker.close();
  });

  it('lets a client without a certificate log in with a password, but not with EXTERNAL', async () => {
    const connection = await amqplibConnect(broker);
    expect(await roundTrip(connection, 'no certificate')).toBe('no certificate');
    await connection.close();
    await expect(amqplib.connect(amqpsUrl(broker), { ca: [fixtures.ca], credentials: amqplib.credentials.external() })).rejects.toThrow(
      'SASL mechanism EXTERNAL is not provided by the server',
    );
  });

  it('offers EXTERNAL to a client with a verified certificate', async () => {
    const connection = await externalConnect(broker, fixtures.guestClient);
    expect(loggedInUsers(broker)).toEqual(['guest']);
    await connection.close();
  });

  it('drops a client whose certificate does not verify', async () => {
    await expect(amqplibConnect(broker, fixtures.strangerClient)).rejects.toThrow();
    await waitFor(
      () => entries().find((entry) => entry.msg === 'TLS client certificate refused' && entry.reason === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      { what: 'the refused certificate logged' },
    );
    expect(loggedInUsers(broker)).toEqual([]);
  });
});

describe('amqps start-up errors', () => {
  it.each([
    ['WARREN_TLS_CERT_FILE', () => ({ tlsCertFile: `${fixtures.dir}/missing.crt` })],
    ['WARREN_TLS_KEY_FILE', () => ({ tlsKeyFile: `${fixtures.dir}/missing.key` })],
    ['WARREN_TLS_CA_FILE', () => ({ tlsCaFile: `${fixtures.dir}/missing-ca.crt`, tlsVerifyPeer: true })],
    ['WARREN_TLS_CERT_FILE', () => ({ tlsCertFile: fixtures.server.keyFile })],
    ['WARREN_TLS_KEY_FILE', () => ({ tlsKeyFile: fixtures.guestClient.keyFile })],
    ['WARREN_TLS_CA_FILE', () => ({ tlsCaFile: `${fixtures.dir}/openssl.cnf` })],
  ])('refuses to start when %s is wrong, naming it', async (variable, settings) => {
    const starting = startTlsBroker(settings());
    await expect(starting).rejects.toThrow(ConfigError);
    await expect(starting).rejects.toThrow(variable);
  });

  it('the broker process exits 2 naming the variable of an unreadable file', async () => {
    const broker = spawnBrokerProcess({
      WARREN_DATA_DIR: `${fixtures.dir}/data`,
      WARREN_AMQPS_PORT: '0',
      WARREN_TLS_CERT_FILE: `${fixtures.dir}/missing.crt`,
      WARREN_TLS_KEY_FILE: fixtures.server.keyFile,
    });
    try {
      expect(await broker.exited).toBe(2);
      expect(broker.output()).toContain('WARREN_TLS_CERT_FILE names a file that cannot be read (ENOENT)');
      expect(broker.output()).not.toMatch(/\n\s+at /);
    } finally {
      broker.child.kill('SIGKILL');
    }
  });
});
