import { request, type RequestOptions } from 'node:https';
import { startTestBroker, type TestBroker } from '@app/testing';
import { createTlsFixtures, type TlsFixtures } from '../support/tls-fixtures.js';
import { spawnAdminApiProcess, type AdminApiProcess } from './support/admin-api-process.js';

/** GET over HTTPS as guest, trusting only `ca`; resolves with the status and parsed body. */
function httpsGet(url: string, ca: Buffer, options: RequestOptions = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };
    const outgoing = request(url, { ca, headers, ...options }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The admin API serves HTTPS when WARREN_HTTP_TLS_CERT_FILE and WARREN_HTTP_TLS_KEY_FILE are set. */
describe('admin API over HTTPS', () => {
  let fixtures: TlsFixtures;
  let broker: TestBroker;
  let admin: AdminApiProcess | undefined;

  beforeAll(async () => {
    fixtures = createTlsFixtures();
    broker = await startTestBroker();
  });

  afterAll(async () => {
    if (admin && admin.child.exitCode === null) {
      admin.child.kill('SIGTERM');
      await admin.exited;
    }
    await broker?.close();
    fixtures?.remove();
  });

  it('answers GET /api/overview over HTTPS, and refuses TLS 1.1', async () => {
    admin = spawnAdminApiProcess({
      WARREN_BROKER_URL: broker.managementUrl,
      WARREN_HTTP_TLS_CERT_FILE: fixtures.server.certFile,
      WARREN_HTTP_TLS_KEY_FILE: fixtures.server.keyFile,
    });
    const baseUrl = await admin.baseUrl();
    expect(baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const overview = await httpsGet(`${baseUrl}/api/overview`, fixtures.ca);
    expect(overview.status).toBe(200);
    expect(overview.body).toMatchObject({ product_name: 'Warren' });

    // The client really offers TLS 1.1 (security level 0): the alert is the admin API's refusal.
    const tls11 = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
    await expect(httpsGet(`${baseUrl}/api/overview`, fixtures.ca, tls11)).rejects.toThrow(/alert protocol version/);
  });

  it('refuses to start when a file is missing, naming its variable', async () => {
    const failing = spawnAdminApiProcess({
      WARREN_BROKER_URL: broker.managementUrl,
      WARREN_HTTP_TLS_CERT_FILE: `${fixtures.dir}/missing.crt`,
      WARREN_HTTP_TLS_KEY_FILE: fixtures.server.keyFile,
    });
    try {
      expect(await failing.exited).toBe(2);
      expect(failing.output()).toContain('WARREN_HTTP_TLS_CERT_FILE names a file that cannot be read (ENOENT)');
      expect(failing.output()).not.toMatch(/\n\s+at /);
    } finally {
      failing.child.kill('SIGKILL');
    }
  });
});
