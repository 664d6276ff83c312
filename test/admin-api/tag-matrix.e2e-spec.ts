import amqplib, { type ChannelModel } from 'amqplib';
import { startAdminStack, type AdminStack } from './support/admin-stack.js';

// The admin API's authorization by user tag, as RabbitMQ's management plugin answers (rabbit_mgmt_util:
// is_authorized, is_authorized_vhost, is_authorized_admin, filter_vhost, filter_user). Every user below has full
// permissions on `/` and none on `other` (only guest's queue lives there); the broker enforces all of it.
const TAGS = ['none', 'management', 'policymaker', 'monitoring', 'administrator'] as const;
type Tag = (typeof TAGS)[number];

/** One route family: a request and the status each tag gets, in TAGS order. */
interface Cell {
  family: string;
  method: string;
  /** The path; `{tag}` becomes the tag, so writes of one user do not collide with another's. */
  path: string;
  body?: unknown;
  statuses: [number, number, number, number, number];
}

const ALL = (ok: number): Cell['statuses'] => [401, ok, ok, ok, ok];
const ADMIN = (ok: number): Cell['statuses'] => [401, 401, 401, 401, ok];

const CELLS: Cell[] = [
  { family: 'overview', method: 'GET', path: '/api/overview', statuses: ALL(200) },
  { family: 'nodes', method: 'GET', path: '/api/nodes', statuses: [401, 401, 401, 200, 200] },
  { family: 'whoami', method: 'GET', path: '/api/whoami', statuses: ALL(200) },
  { family: 'vhosts list', method: 'GET', path: '/api/vhosts', statuses: ALL(200) },
  // One vhost's page is for administrators, even a vhost the user has permissions on (RabbitMQ 3.10 answers so).
  { family: 'vhost with permissions', method: 'GET', path: '/api/vhosts/%2F', statuses: ADMIN(200) },
  { family: 'vhost without permissions', method: 'GET', path: '/api/vhosts/other', statuses: ADMIN(200) },
  { family: 'vhost create', method: 'PUT', path: '/api/vhosts/made-by-{tag}', body: {}, statuses: ADMIN(201) },
  { family: 'vhost permissions', method: 'GET', path: '/api/vhosts/%2F/permissions', statuses: ADMIN(200) },
  { family: 'users list', method: 'GET', path: '/api/users', statuses: ADMIN(200) },
  { family: 'user', method: 'GET', path: '/api/users/guest', statuses: ADMIN(200) },
  { family: 'user create', method: 'PUT', path: '/api/users/made-by-{tag}', body: { password: 'x', tags: '' }, statuses: ADMIN(201) },
  { family: 'permissions list', method: 'GET', path: '/api/permissions', statuses: ADMIN(200) },
  { family: 'permission', method: 'GET', path: '/api/permissions/%2F/guest', statuses: ADMIN(200) },
  { family: 'topic permissions list', method: 'GET', path: '/api/topic-permissions', statuses: ADMIN(200) },
  { family: 'queues list', method: 'GET', path: '/api/queues', statuses: ALL(200) },
  { family: 'queues of a permitted vhost', method: 'GET', path: '/api/queues/%2F', statuses: ALL(200) },
  { family: 'queues of another vhost', method: 'GET', path: '/api/queues/other', statuses: ADMIN(200) },
  { family: 'queue in another vhost', method: 'GET', path: '/api/queues/other/theirs', statuses: ADMIN(200) },
  { family: 'exchanges', method: 'GET', path: '/api/exchanges/%2F', statuses: ALL(200) },
  { family: 'bindings', method: 'GET', path: '/api/bindings/%2F', statuses: ALL(200) },
  { family: 'queue declare', method: 'PUT', path: '/api/queues/%2F/q-{tag}', body: { durable: false }, statuses: ALL(201) },
  // Administrators reach every vhost, but the AMQP permissions still apply: no grant on `other`, no declare.
  { family: 'queue declare elsewhere', method: 'PUT', path: '/api/queues/other/q-{tag}', body: {}, statuses: [401, 401, 401, 401, 401] },
  { family: 'queue delete', method: 'DELETE', path: '/api/queues/%2F/shared-{tag}', statuses: ALL(204) },
  {
    family: 'publish',
    method: 'POST',
    path: '/api/exchanges/%2F/amq.default/publish',
    body: { properties: {}, routing_key: 'shared', payload: 'hi', payload_encoding: 'string' },
    statuses: ALL(200),
  },
  {
    family: 'get',
    method: 'POST',
    path: '/api/queues/%2F/shared/get',
    body: { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' },
    statuses: ALL(200),
  },
  { family: 'connections', method: 'GET', path: '/api/connections', statuses: ALL(200) },
  { family: 'channels', method: 'GET', path: '/api/channels', statuses: ALL(200) },
  { family: 'channels of a permitted vhost', method: 'GET', path: '/api/vhosts/%2F/channels', statuses: ALL(200) },
  { family: 'channels of another vhost', method: 'GET', path: '/api/vhosts/other/channels', statuses: ADMIN(200) },
  { family: 'definitions', method: 'GET', path: '/api/definitions', statuses: ADMIN(200) },
  { family: 'vhost definitions', method: 'GET', path: '/api/definitions/%2F', statuses: ADMIN(200) },
  { family: 'health', method: 'GET', path: '/api/health/checks/alarms', statuses: ALL(200) },
];

const credentials = (tag: Tag): string => `user-${tag}:pw-${tag}`;

describe('admin API: authorization by tag', () => {
  let stack: AdminStack;
  let guestConnection: ChannelModel;
  /** A request as the user with `tag`. */
  const apiAs = (tag: Tag, method: string, path: string, body?: unknown) => stack.api(method, path, body, { auth: credentials(tag) });
  /** A PUT as guest that must create what it names (201). */
  const create = async (path: string, body: unknown) => expect((await stack.api('PUT', path, body)).status).toBe(201);

  beforeAll(async () => {
    stack = await startAdminStack();
    await create('/api/vhosts/other', {});
    for (const tag of TAGS) {
      await create(`/api/users/user-${tag}`, { password: `pw-${tag}`, tags: tag === 'none' ? '' : tag });
      await create(`/api/permissions/%2F/user-${tag}`, { configure: '.*', write: '.*', read: '.*' });
      await create(`/api/queues/%2F/shared-${tag}`, { durable: false });
    }
    await create('/api/permissions/other/guest', { configure: '.*', write: '.*', read: '.*' });
    await create('/api/queues/other/theirs', {});
    await create('/api/queues/%2F/shared', { durable: false });
    // A client connection of guest's, for the connection lists.
    guestConnection = await amqplib.connect(stack.amqpUrl);
  }, 180_000);

  afterAll(async () => {
    await guestConnection?.close().catch(() => undefined);
    await stack?.stop();
  }, 60_000);

  const cases = CELLS.flatMap((cell) => TAGS.map((tag, index) => [cell.family, tag, cell.statuses[index], cell] as const));

  it.each(cases)('%s as %s: %i', async (_family, tag, status, cell) => {
    const response = await apiAs(tag, cell.method, cell.path.replace('{tag}', tag), cell.body);
    expect({ status: response.status, body: response.body }).toMatchObject({ status });
    // RabbitMQ spells a refusal of a logged-in user `not_authorised` (a failed login is `not_authorized`).
    if (status === 401) expect(response.body.error).toBe('not_authorised');
  });

  it('tells why: no management tag, not an administrator, not this vhost', async () => {
    const reason = async (tag: Tag, path: string): Promise<string> => (await apiAs(tag, 'GET', path)).body.reason;
    expect(await reason('none', '/api/overview')).toBe('Not management user');
    expect(await reason('monitoring', '/api/users')).toBe('Not administrator user');
    expect(await reason('management', '/api/queues/other')).toBe('User not authorised to access virtual host');
    // A vhost that does not exist is 404 for everyone who may use the API.
    expect((await apiAs('management', 'GET', '/api/queues/missing')).status).toBe(404);
  });

  it('filters lists: vhosts (monitors see all), queues (only vhosts with permissions), connections (own unless monitor)', async () => {
    const names = async (tag: Tag, path: string, key = 'name'): Promise<string[]> =>
      ((await apiAs(tag, 'GET', path)).body as Array<Record<string, string>>).map((item) => item[key]);
    expect(await names('management', '/api/vhosts')).toEqual(['/']);
    expect((await names('monitoring', '/api/vhosts')).sort()).toEqual(expect.arrayContaining(['/', 'other']));
    expect(await names('monitoring', '/api/queues')).not.toContain('theirs');
    expect(await names('administrator', '/api/queues')).toContain('theirs');
    expect(await names('management', '/api/connections', 'user')).toEqual([]);
    expect(await names('monitoring', '/api/connections', 'user')).toContain('guest');
    const [guestName] = await names('monitoring', '/api/connections');
    const path = `/api/connections/${encodeURIComponent(guestName)}`;
    expect((await apiAs('management', 'GET', path)).body).toMatchObject({
      error: 'not_authorised',
      reason: 'User not authorised to access object',
    });
    expect((await apiAs('monitoring', 'GET', path)).status).toBe(200);
    expect((await apiAs('monitoring', 'DELETE', path)).status).toBe(401);
  });

  it('applies AMQP permissions to HTTP actions, with RabbitMQ’s answers', async () => {
    await create('/api/users/bob', { password: 'bob', tags: ['management'] });
    await create('/api/permissions/%2F/bob', { configure: '^bob\\.', write: '^bob\\.', read: '^bob\\.' });
    const bob = { auth: 'bob:bob' };
    expect((await stack.api('PUT', '/api/queues/%2F/bob.q', {}, bob)).status).toBe(201);
    expect((await stack.api('PUT', '/api/queues/%2F/other-q', {}, bob)).body).toEqual({
      error: 'not_authorised',
      reason: 'Access refused.',
    });
    const publish = { properties: {}, routing_key: 'k', payload: 'x', payload_encoding: 'string' };
    // As RabbitMQ 3.10 answers: a refused publish is a 400 carrying the channel's code and text, a refused get a 401.
    expect(await stack.api('POST', '/api/exchanges/%2F/amq.direct/publish', publish, bob)).toMatchObject({
      status: 400,
      body: { error: 'bad_request', reason: "403 ACCESS_REFUSED - access to exchange 'amq.direct' in vhost '/' refused for user 'bob'" },
    });
    expect((await stack.api('DELETE', '/api/queues/%2F/shared/contents', undefined, bob)).body).toEqual({
      error: 'not_authorised',
      reason: 'Access refused.',
    });
    const get = { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' };
    expect(await stack.api('POST', '/api/queues/%2F/shared/get', get, bob)).toMatchObject({
      status: 401,
      body: { reason: "ACCESS_REFUSED - access to queue 'shared' in vhost '/' refused for user 'bob'" },
    });
  });
});
