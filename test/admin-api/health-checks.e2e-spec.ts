import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { startTestBroker, type TestBroker } from '@app/testing';
import { spawnBrokerProcess, type BrokerProcess } from '../support/broker-process.js';
import { createTlsFixtures, type TlsFixtures } from '../support/tls-fixtures.js';
import { waitFor } from '../support/wait-for.js';
import { startAdminApi, type AdminApi } from './support/admin-stack.js';

/** The checks that are ok on a healthy single node. */
const OK_CHECKS = [
  'alarms',
  'local-alarms',
  'virtual-hosts',
  'node-is-quorum-critical',
  'node-is-mirror-sync-critical',
  'ready-to-serve-clients',
  'is-in-service',
  'below-node-connection-limit',
  'metadata-store/initialized',
  'metadata-store/initialized/with-data',
  'storage-integrity',
  'certificate-expiration/1/days',
  'quorum-queues-without-elected-leaders/all-vhosts',
  'quorum-queues-without-elected-leaders/vhost/%2F',
  'quorum-queues-without-elected-leaders/vhost/%2F/pattern/.*',
  'protocol-listener/amqp',
  'protocol-listener/amqp091',
  'protocol-listener/amqps',
  'protocol-listener/http',
];

// RabbitMQ's /api/health/checks/*: 200 {"status":"ok"} or 503 {"status":"failed","reason",...}.
describe('admin API: health checks', () => {
  let fixtures: TlsFixtures;
  let broker: TestBroker;
  let admin: AdminApi;

  beforeAll(async () => {
    fixtures = createTlsFixtures();
    broker = await startTestBroker({
      config: {
        amqpsPort: 0,
        tlsCertFile: fixtures.server.certFile,
        tlsKeyFile: fixtures.server.keyFile,
        tlsCaFile: fixtures.caFile,
        maxConnections: 2,
      },
    });
    admin = await startAdminApi(broker.managementUrl);
  }, 120_000);

  afterAll(async () => {
    await admin?.stop();
    await broker?.close();
    fixtures?.remove();
  }, 60_000);

  it.each(OK_CHECKS)('%s: 200 {"status":"ok"} on a healthy node', async (check) => {
    const response = await admin.api('GET', `/api/health/checks/${check}`);
    expect({ check, status: response.status, body: response.body }).toEqual({
      check,
      status: 200,
      body: expect.objectContaining({ status: 'ok' }),
    });
  });

  it('port-listener: the AMQP, amqps and HTTP ports are ok, any other 503 with the ports listening', async () => {
    const httpPort = Number(new URL(admin.baseUrl).port);
    for (const port of [broker.port, broker.broker.amqpsPort!, httpPort]) {
      expect(await admin.api('GET', `/api/health/checks/port-listener/${port}`)).toMatchObject({
        status: 200,
        body: { status: 'ok', port },
      });
    }
    const missing = await admin.api('GET', '/api/health/checks/port-listener/1');
    expect(missing).toMatchObject({ status: 503, body: { status: 'failed', reason: 'No active listener', missing: 1 } });
    expect(missing.body.ports).toEqual(expect.arrayContaining([broker.port, broker.broker.amqpsPort, httpPort]));
    expect((await admin.api('GET', '/api/health/checks/port-listener/http')).status).toBe(400);
  });

  it('protocol-listener: 503 for a protocol Warren does not serve', async () => {
    const mqtt = await admin.api('GET', '/api/health/checks/protocol-listener/mqtt');
    expect(mqtt).toMatchObject({ status: 503, body: { status: 'failed', reason: 'No active listener', missing: 'mqtt' } });
    expect(mqtt.body.protocols).toEqual(expect.arrayContaining(['amqp', 'amqp/ssl', 'http']));
    expect(await admin.api('GET', '/api/health/checks/protocol-listener/https')).toMatchObject({ status: 503 });
  });

  it('certificate-expiration: fails for certificates that expire within the period; 400 for a bad unit', async () => {
    // The fixtures are valid for 2 days.
    const soon = await admin.api('GET', '/api/health/checks/certificate-expiration/3/days');
    expect(soon).toMatchObject({ status: 503, body: { status: 'failed', reason: 'Certificates expiring' } });
    expect(soon.body.expired).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          protocol: 'amqp/ssl',
          port: broker.broker.amqpsPort,
          file: fixtures.server.certFile,
          expiry_date: expect.any(String),
        }),
        expect.objectContaining({ file: fixtures.caFile }),
      ]),
    );
    expect((await admin.api('GET', '/api/health/checks/certificate-expiration/1/weeks')).status).toBe(503);
    expect(await admin.api('GET', '/api/health/checks/certificate-expiration/1/fortnights')).toMatchObject({
      status: 400,
      body: { error: 'bad_request' },
    });
    expect((await admin.api('GET', '/api/health/checks/certificate-expiration/soon/days')).status).toBe(400);
  });

  it('below-node-connection-limit: 503 once WARREN_MAX_CONNECTIONS client connections are open (the admin API does not count)', async () => {
    const first = await amqplib.connect(broker.url);
    const second = await amqplib.connect(broker.url);
    try {
      const full = await admin.api('GET', '/api/health/checks/below-node-connection-limit');
      expect(full).toMatchObject({ status: 503, body: { status: 'failed', limit: 2, connections: 2 } });
      expect(full.body.reason).toContain('connection limit');
      // RabbitMQ's readiness includes the limit: a node that would refuse new clients is not ready for them.
      expect(await admin.api('GET', '/api/health/checks/ready-to-serve-clients')).toMatchObject({ status: 503, body: { limit: 2 } });
    } finally {
      await second.close();
    }
    await waitFor(
      async () => ((await admin.api('GET', '/api/health/checks/below-node-connection-limit')).status === 200 ? true : undefined),
      {
        what: 'the check to pass again',
      },
    );
    await first.close();
  });

  it('local-alarms: 503 while a memory alarm is in effect', async () => {
    await broker.broker.setMemoryHighWatermark(2);
    try {
      const alarm = await admin.api('GET', '/api/health/checks/local-alarms');
      expect(alarm).toMatchObject({ status: 503, body: { status: 'failed', alarms: ['memory'] } });
    } finally {
      await broker.broker.setMemoryHighWatermark(0.99);
    }
    expect((await admin.api('GET', '/api/health/checks/local-alarms')).status).toBe(200);
  });

  it('404 for a vhost that does not exist and for an unknown check', async () => {
    expect((await admin.api('GET', '/api/health/checks/quorum-queues-without-elected-leaders/vhost/nope')).status).toBe(404);
    expect((await admin.api('GET', '/api/health/checks/no-such-check')).status).toBe(404);
  });
});

/** A local port with nothing listening on it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function kill(process: BrokerProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!process || process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill(signal);
  await process.exited;
}

// Readiness follows the broker: while it is down or still recovering its store (its management listener opens only
// after recovery), every check is 503; once it has recovered, they are 200 again, with the same admin API.
describe('admin API: readiness across a broker restart', () => {
  let dataDir: string;
  let broker: BrokerProcess | undefined;
  let admin: AdminApi | undefined;

  afterAll(async () => {
    await admin?.stop();
    await kill(broker);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('is 503 while the broker is down and 200 once it has recovered its store', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-health-'));
    const managementPort = String(await freePort());
    const env = { WARREN_DATA_DIR: dataDir, WARREN_MANAGEMENT_PORT: managementPort };
    broker = spawnBrokerProcess(env);
    await broker.managementPort(60_000);
    admin = await startAdminApi(`amqp://guest:guest@127.0.0.1:${managementPort}`);
    const ready = () => admin!.api('GET', '/api/health/checks/ready-to-serve-clients');
    expect(await ready()).toMatchObject({ status: 200, body: { status: 'ok' } });

    await kill(broker, 'SIGKILL');
    const down = await waitFor(async () => ((await ready()).status === 503 ? ready() : undefined), {
      timeoutMs: 30_000,
      what: 'readiness to fail',
    });
    expect(down.status).toBe(503);
    expect(down.body.reason).toMatch(/broker/);
    expect((await admin.api('GET', '/api/health/checks/is-in-service')).status).toBe(503);

    broker = spawnBrokerProcess(env);
    await waitFor(async () => ((await ready()).status === 200 ? true : undefined), { timeoutMs: 60_000, what: 'readiness after recovery' });
    expect((await admin.api('GET', '/api/health/checks/metadata-store/initialized/with-data')).status).toBe(200);
  }, 180_000);
});
