import { startTestBroker, type TestBroker } from '@app/testing';
import { startAdminApi, type AdminApi } from '../admin-api/support/admin-stack.js';
import { cliFor } from './support/run-cli.js';

// `warren list users|vhosts|permissions` against RabbitMQ's routes (GET /api/users, /api/vhosts, /api/permissions,
// /api/vhosts/{vhost}/permissions), and what a user without the management tag is told.
describe('warren CLI: users, vhosts and permissions', () => {
  let broker: TestBroker;
  let admin: AdminApi;
  let warren: ReturnType<typeof cliFor>;

  beforeAll(async () => {
    broker = await startTestBroker();
    await broker.core.users.createUser('cli-reader', { password: 'reader-pw', tags: ['monitoring'] });
    await broker.core.users.createUser('cli-app', { password: 'app-pw', tags: [] });
    await broker.core.permissions.set('cli-reader', '/', { configure: '', write: '', read: '.*' });
    admin = await startAdminApi(broker.managementUrl);
    warren = cliFor(admin.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await admin?.stop();
    await broker?.close();
  }, 60_000);

  it('lists users with their tags', async () => {
    const table = await warren(['list', 'users']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout.split('\n')[0].split(/\s+/)).toEqual(['name', 'tags']);
    expect(table.stdout).toMatch(/^guest\s+administrator$/m);
    expect(table.stdout).toMatch(/^cli-reader\s+monitoring$/m);
    const users = JSON.parse((await warren(['list', 'users', '--format', 'json'])).stdout) as { name: string }[];
    expect(users.map((user) => user.name)).toEqual(expect.arrayContaining(['guest', 'cli-reader', 'cli-app']));
  }, 120_000);

  it('lists vhosts', async () => {
    const vhosts = JSON.parse((await warren(['list', 'vhosts', '--format', 'json'])).stdout) as { name: string }[];
    expect(vhosts.map((vhost) => vhost.name)).toContain('/');
  }, 120_000);

  it('lists permissions, everywhere and in one vhost', async () => {
    const all = await warren(['list', 'permissions', '--format', 'tsv']);
    expect(all).toMatchObject({ code: 0, stderr: '' });
    expect(all.stdout.split('\n')[0]).toBe('user\tvhost\tconfigure\twrite\tread');
    expect(all.stdout).toContain('cli-reader\t/\t\t\t.*\n');
    expect(all.stdout).toContain('guest\t/\t.*\t.*\t.*\n');
    const inVhost = JSON.parse((await warren(['list', 'permissions', '--vhost', '/', '--format', 'json'])).stdout) as { user: string }[];
    expect(inVhost.map((permission) => permission.user)).toEqual(expect.arrayContaining(['guest', 'cli-reader']));
  }, 120_000);

  it('a user without a management tag is refused with a clear one-line error', async () => {
    const refused = await cliFor(admin.baseUrl, 'cli-app', 'app-pw')(['list', 'queues']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^warren: GET \/api\/queues: HTTP 401 Unauthorized: .+\n$/);
  }, 120_000);
});
