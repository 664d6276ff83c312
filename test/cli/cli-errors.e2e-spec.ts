import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBroker, type TestBroker } from '@app/testing';
import { startAdminApi, type AdminApi } from '../admin-api/support/admin-stack.js';
import { spawnAdminApiProcess, type AdminApiProcess } from '../admin-api/support/admin-api-process.js';
import { createTlsFixtures, type TlsFixtures } from '../support/tls-fixtures.js';
import { cliFor, runCli, type CliRun } from './support/run-cli.js';

/** Every command path of the CLI (as run from source: no `start`). */
const COMMANDS = [
  [],
  ['list'],
  ...['queues', 'exchanges', 'bindings', 'connections', 'channels', 'consumers', 'users', 'vhosts', 'permissions'].map((kind) => [
    'list',
    kind,
  ]),
  ['declare'],
  ['declare', 'queue'],
  ['declare', 'exchange'],
  ['declare', 'binding'],
  ['delete'],
  ['delete', 'queue'],
  ['delete', 'exchange'],
  ['delete', 'binding'],
  ['publish'],
  ['get'],
  ['purge'],
  ['purge', 'queue'],
  ['close'],
  ['close', 'connection'],
  ['export'],
  ['import'],
  ['explain'],
  ['top'],
];

/** One line on stderr, `warren: …`, nothing on stdout, and a non-zero code. */
function expectOneLineError(run: CliRun, code: number, pattern: RegExp): void {
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^warren: [^\n]+\n$/);
  expect(run.stderr).toMatch(pattern);
  expect(run.code).toBe(code);
}

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// The CLI's failures, help and connection settings, spawned as a process against a real broker and admin API.
describe('warren CLI: errors, help and connection settings', () => {
  let broker: TestBroker;
  let admin: AdminApi;
  let warren: ReturnType<typeof cliFor>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warren-cli-errors-'));
    broker = await startTestBroker();
    admin = await startAdminApi(broker.managementUrl);
    warren = cliFor(admin.baseUrl);
    await broker.core.users.addUser('operator', 'op-secret', ['administrator']);
  }, 120_000);

  afterAll(async () => {
    await admin?.stop();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('--help works on every command and exits 0', async () => {
    for (let index = 0; index < COMMANDS.length; index += 4) {
      const runs = await Promise.all(COMMANDS.slice(index, index + 4).map((path) => runCli([...path, '--help'])));
      runs.forEach((run, offset) => {
        const path = COMMANDS[index + offset];
        expect({ path, code: run.code, stderr: run.stderr }).toEqual({ path, code: 0, stderr: '' });
        expect(run.stdout).toContain(`Usage: warren ${path.join(' ')}`.trimEnd());
      });
    }
  }, 180_000);

  it('bad credentials: HTTP 401 with the reason, exit 1', async () => {
    expectOneLineError(await cliFor(admin.baseUrl, 'guest', 'wrong')(['list', 'queues']), 1, /GET \/api\/queues: HTTP 401 Unauthorized: /);
  }, 120_000);

  it('a missing queue: HTTP 404 Object Not Found, exit 1', async () => {
    expectOneLineError(
      await warren(['get', 'no-such-queue']),
      1,
      /^warren: POST \/api\/queues\/%2F\/no-such-queue\/get: HTTP 404 Not Found: Object Not Found\n$/,
    );
    expectOneLineError(await warren(['delete', 'queue', 'no-such-queue']), 1, /HTTP 404 Not Found/);
    expectOneLineError(await warren(['purge', 'queue', 'no-such-queue', '--vhost', 'nope']), 1, /HTTP 404 Not Found/);
    expectOneLineError(
      await warren(['delete', 'binding', '--source', 'amq.direct', '--destination', 'no-such-queue']),
      1,
      /HTTP 404 Not Found|no binding from amq\.direct to no-such-queue/,
    );
  }, 120_000);

  it("a refused declaration: the status and RabbitMQ's reason", async () => {
    expect((await warren(['declare', 'queue', 'cli.errors', '--no-durable'])).code).toBe(0);
    expectOneLineError(
      await warren(['declare', 'queue', 'cli.errors']),
      1,
      /PUT \/api\/queues\/%2F\/cli\.errors: HTTP 400 Bad Request: inequivalent arg 'durable' for queue 'cli\.errors'/,
    );
  }, 120_000);

  it('connection refused, an unreachable host and a bad URL', async () => {
    const port = await closedPort();
    expectOneLineError(
      await runCli(['list', 'queues', '--url', `http://127.0.0.1:${port}`]),
      1,
      new RegExp(`connection refused \\(127\\.0\\.0\\.1:${port}\\)`),
    );
    expectOneLineError(await runCli(['list', 'queues', '--url', 'ftp://127.0.0.1']), 2, /invalid admin API URL/);
  }, 120_000);

  it('bad arguments: exit 2 for bad values, 1 for what commander refuses, with a message', async () => {
    expectOneLineError(await warren(['get', 'q', '--count', '0']), 2, /--count must be a positive integer/);
    expectOneLineError(await warren(['get', 'q', '--ackmode', 'maybe']), 2, /--ackmode must be one of ack_requeue_true/);
    expectOneLineError(await warren(['declare', 'queue', 'q', '--arguments', '{not json']), 2, /--arguments must be a JSON object/);
    expectOneLineError(
      await warren(['declare', 'binding', '--source', 'x', '--destination', 'q', '--destination-type', 'topic']),
      2,
      /--destination-type/,
    );
    const unknown = await warren(['lsit']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command 'lsit'/);
    const format = await warren(['list', 'queues', '--format', 'xml']);
    expect(format.code).toBe(1);
    expect(format.stderr).toMatch(/--format.*xml.*Allowed choices are table, json, tsv/);
    const group = await warren(['list']);
    expect(group.code).toBe(1);
    expect(group.stderr).toContain('Usage: warren list');
    const missing = await warren(['publish', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/required option '--routing-key <key>' not specified/);
  }, 120_000);

  it("import: a missing file, a file that is not JSON, and one over the admin API's 1 MiB body limit", async () => {
    expectOneLineError(await warren(['import', join(dir, 'missing.json')]), 1, /cannot read .*missing\.json: ENOENT/);
    writeFileSync(join(dir, 'broken.json'), '{');
    expectOneLineError(await warren(['import', join(dir, 'broken.json')]), 1, /POST \/api\/definitions: HTTP 400 Bad Request: .*JSON/);
    writeFileSync(join(dir, 'huge.json'), JSON.stringify({ queues: [], padding: 'x'.repeat(1_200_000) }));
    expectOneLineError(await warren(['import', join(dir, 'huge.json')]), 1, /POST \/api\/definitions: HTTP 413 Payload Too Large/);
  }, 120_000);

  it('settings: flags over the environment over the config file', async () => {
    const config = join(dir, 'cli.json');
    writeFileSync(config, JSON.stringify({ url: admin.baseUrl, user: 'operator', password: 'op-secret' }));
    // The file alone.
    expect((await runCli(['list', 'vhosts', '--config', config])).code).toBe(0);
    // The default location: $XDG_CONFIG_HOME/warren/cli.json.
    const xdg = join(dir, 'xdg');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(xdg, 'warren'), { recursive: true });
    writeFileSync(join(xdg, 'warren', 'cli.json'), JSON.stringify({ url: admin.baseUrl, user: 'operator', password: 'op-secret' }));
    expect((await runCli(['list', 'vhosts'], { env: { XDG_CONFIG_HOME: xdg } })).code).toBe(0);
    // The environment beats the file; a flag beats the environment.
    expectOneLineError(await runCli(['list', 'vhosts', '--config', config], { env: { WARREN_ADMIN_PASS: 'wrong' } }), 1, /HTTP 401/);
    expect(
      (await runCli(['list', 'vhosts', '--config', config, '--password', 'op-secret'], { env: { WARREN_ADMIN_PASS: 'wrong' } })).code,
    ).toBe(0);
    expectOneLineError(
      await runCli(['list', 'vhosts', '--url', 'http://127.0.0.1:1'], { env: { WARREN_ADMIN_URL: admin.baseUrl } }),
      1,
      /127\.0\.0\.1:1/,
    );
    // A named file must exist and be JSON.
    expectOneLineError(
      await runCli(['list', 'vhosts', '--config', join(dir, 'missing.json')]),
      1,
      /cannot read the config file .*missing\.json/,
    );
    writeFileSync(join(dir, 'bad.json'), '{"url": 5}');
    expectOneLineError(await runCli(['list', 'vhosts', '--config', join(dir, 'bad.json')]), 1, /"url" must be a string/);
  }, 120_000);

  describe('over HTTPS', () => {
    let fixtures: TlsFixtures;
    let https: AdminApiProcess;
    let baseUrl: string;

    beforeAll(async () => {
      fixtures = createTlsFixtures();
      https = spawnAdminApiProcess({
        WARREN_BROKER_URL: broker.managementUrl,
        WARREN_HTTP_TLS_CERT_FILE: fixtures.server.certFile,
        WARREN_HTTP_TLS_KEY_FILE: fixtures.server.keyFile,
      });
      baseUrl = await https.baseUrl();
    }, 120_000);

    afterAll(async () => {
      if (https && https.child.exitCode === null) {
        https.child.kill('SIGTERM');
        await https.exited;
      }
      fixtures?.remove();
    });

    it('verifies the certificate: refused without the CA, accepted with --ca or --insecure', async () => {
      const tls = cliFor(baseUrl);
      expectOneLineError(await tls(['list', 'vhosts']), 1, /cannot reach the admin API at https:.*(self-signed|certificate)/i);
      expect(await tls(['list', 'vhosts', '--ca', fixtures.caFile])).toMatchObject({ code: 0, stderr: '' });
      expect(await tls(['list', 'vhosts', '--insecure'])).toMatchObject({ code: 0, stderr: '' });
      expectOneLineError(await tls(['list', 'vhosts', '--ca', fixtures.otherCaFile]), 1, /certificate/i);
    });
  });
});
