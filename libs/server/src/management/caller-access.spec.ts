import { PermissionStore, type User } from '@app/broker-core';
import { authorizeCaller, CallerAccess } from './caller-access.js';

const user = (name: string, tags: string[], isLoopbackOnly = false): User => ({
  name,
  tags,
  isLoopbackOnly,
  salt: Buffer.alloc(16),
  hash: Buffer.alloc(32),
});

// RabbitMQ's management plugin rules by tag (rabbit_mgmt_util), on a real permission store.
describe('CallerAccess', () => {
  const permissions = new PermissionStore();

  beforeAll(async () => {
    for (const name of ['ann', 'mo', 'ad']) await permissions.set(name, '/', { configure: '.*', write: '.*', read: '.*' });
  });

  it.each([
    // tag, reaches `other` (objects), sees `other` (vhost list), sees another user's connections, administrator
    ['management', false, false, false, false],
    ['policymaker', false, false, false, false],
    ['monitoring', false, true, true, false],
    ['administrator', true, true, true, true],
  ])('%s: reaches other %s, sees other %s, sees others %s, admin %s', (tag, reaches, sees, seesOthers, isAdmin) => {
    const access = new CallerAccess(user('ann', [tag]), permissions);
    expect(access.reachesVhost('/')).toBe(true);
    expect(access.reachesVhost('other')).toBe(reaches);
    expect(access.seesVhost('other')).toBe(sees);
    expect(access.seesUser('ann')).toBe(true);
    expect(access.seesUser('zed')).toBe(seesOthers);
    if (isAdmin) expect(() => access.requireAdministrator()).not.toThrow();
    else expect(() => access.requireAdministrator()).toThrow('Not administrator user');
  });

  it('refuses an existing vhost without permissions, leaves a missing one to the 404', () => {
    const access = new CallerAccess(user('ann', ['management']), permissions);
    expect(() => access.requireVhost('other', true)).toThrow('User not authorised to access virtual host');
    expect(() => access.requireVhost('missing', false)).not.toThrow();
  });

  it('lets only management-ish tags in, and loopback-only users from loopback only', () => {
    const users = new Map([
      ['plain', user('plain', ['impersonator'])],
      ['guest', user('guest', ['administrator'], true)],
    ]);
    const lookup = { getUser: (name: string) => users.get(name) };
    expect(() => authorizeCaller({ username: 'plain', remote_address: '127.0.0.1' }, lookup)).toThrow('Not management user');
    expect(() => authorizeCaller({ username: 'guest', remote_address: '192.0.2.1' }, lookup)).toThrow('Login failed');
    expect(authorizeCaller({ username: 'guest', remote_address: '::1' }, lookup).name).toBe('guest');
    expect(() => authorizeCaller({ username: 'nobody' }, lookup)).toThrow('Login failed');
  });
});
