import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestBroker, type TestBroker } from '@app/testing';
import { startAdminApi, type AdminApi } from '../admin-api/support/admin-stack.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// `npx warren …` from the repository root: the root package's `bin` (scripts/warren.mjs) over the CLI compiled into
// dist/libs/cli, as `npm run build` leaves it. The other CLI tests run the sources; this one runs what users run.
describe('npx warren from the repository root', () => {
  let broker: TestBroker;
  let admin: AdminApi;

  beforeAll(async () => {
    // The CLI part of `npm run build` (the whole build also compiles both apps and the console; not needed here).
    await run('npx', ['tsc', '-p', 'libs/cli/tsconfig.lib.json'], { cwd: ROOT });
    broker = await startTestBroker();
    admin = await startAdminApi(broker.managementUrl);
  }, 180_000);
  afterAll(async () => {
    await admin?.stop();
    await broker?.close();
  });

  it('prints its help, declares a queue and lists it through the admin API', async () => {
    const help = await run('npx', ['--no-install', 'warren', '--help'], { cwd: ROOT });
    expect(help.stdout).toContain('Usage: warren');
    const env = { ...process.env, WARREN_ADMIN_URL: admin.baseUrl, WARREN_ADMIN_USER: 'guest', WARREN_ADMIN_PASS: 'guest' };
    await run('npx', ['--no-install', 'warren', 'declare', 'queue', 'from-npx-warren'], { cwd: ROOT, env });
    expect(broker.count('from-npx-warren')).toBe(0);
    const list = await run('npx', ['--no-install', 'warren', 'list', 'queues', '--format', 'json'], { cwd: ROOT, env });
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ name: 'from-npx-warren' }));
  }, 120_000);
});
