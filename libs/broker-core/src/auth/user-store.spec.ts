import { isLoopbackAddress, UserStore } from './user-store.js';

describe('UserStore', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['2001:db8::1', false],
    [undefined, false],
  ])('treats %s as loopback: %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });

  it('accepts guest from loopback and refuses it remotely, like a wrong password', async () => {
    const users = new UserStore();
    await users.addDefaultGuest();
    expect((await users.authenticate('guest', 'guest', '127.0.0.1'))?.name).toBe('guest');
    expect(await users.authenticate('guest', 'guest', '192.0.2.10')).toBeUndefined();
    expect(await users.authenticate('guest', 'nope', '127.0.0.1')).toBeUndefined();
    expect(await users.authenticate('nobody', 'guest', '127.0.0.1')).toBeUndefined();
  });

  it('lets a non-loopback user log in from anywhere', async () => {
    const users = new UserStore();
    await users.addUser('bob', 's3cret');
    expect((await users.authenticate('bob', 's3cret', '192.0.2.10'))?.name).toBe('bob');
    // The second login comes from the cache; it must still check the password.
    expect(await users.authenticate('bob', 'wrong', '192.0.2.10')).toBeUndefined();
    expect((await users.authenticate('bob', 's3cret', '192.0.2.10'))?.name).toBe('bob');
  });

  it('finds a certificate user (EXTERNAL) without a password, keeping the loopback rule', async () => {
    const users = new UserStore();
    await users.addDefaultGuest();
    await users.addUser('some user', 'pw');
    expect(users.findCertificateUser('guest', '127.0.0.1')?.name).toBe('guest');
    expect(users.findCertificateUser('guest', '192.0.2.10')).toBeUndefined();
    expect(users.findCertificateUser('some user', '192.0.2.10')?.name).toBe('some user');
    expect(users.findCertificateUser('nobody', '127.0.0.1')).toBeUndefined();
  });
});
