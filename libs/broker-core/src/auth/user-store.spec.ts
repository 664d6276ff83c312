import { pbkdf2 } from 'node:crypto';
import type { ScryptWorkerOptions } from './scrypt-worker.js';
import { isLoopbackAddress, UserStore } from './user-store.js';

describe('UserStore', () => {
  const stores: UserStore[] = [];
  const makeStore = (hashing: ScryptWorkerOptions = {}): UserStore => {
    const users = new UserStore(undefined, hashing);
    stores.push(users);
    return users;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((users) => users.close()));
  });

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
    const users = makeStore();
    await users.addDefaultGuest();
    expect((await users.authenticate('guest', 'guest', '127.0.0.1'))?.name).toBe('guest');
    expect(await users.authenticate('guest', 'guest', '192.0.2.10')).toBeUndefined();
    expect(await users.authenticate('guest', 'nope', '127.0.0.1')).toBeUndefined();
    expect(await users.authenticate('nobody', 'guest', '127.0.0.1')).toBeUndefined();
  });

  it('lets a non-loopback user log in from anywhere', async () => {
    const users = makeStore();
    await users.addUser('bob', 's3cret');
    expect((await users.authenticate('bob', 's3cret', '192.0.2.10'))?.name).toBe('bob');
    // The second login comes from the cache; it must still check the password.
    expect(await users.authenticate('bob', 'wrong', '192.0.2.10')).toBeUndefined();
    expect((await users.authenticate('bob', 's3cret', '192.0.2.10'))?.name).toBe('bob');
  });

  it('finds a certificate user (EXTERNAL) without a password, keeping the loopback rule', async () => {
    const users = makeStore();
    await users.addDefaultGuest();
    await users.addUser('some user', 'pw');
    expect(users.findCertificateUser('guest', '127.0.0.1')?.name).toBe('guest');
    expect(users.findCertificateUser('guest', '192.0.2.10')).toBeUndefined();
    expect(users.findCertificateUser('some user', '192.0.2.10')?.name).toBe('some user');
    expect(users.findCertificateUser('nobody', '127.0.0.1')).toBeUndefined();
  });

  // Hardening issue, item 2 (login storm): scrypt ran on libuv's 4-thread pool, the one LevelDB's writes use, so
  // 200 wrong-password logins cut durable confirms from ~19,000/s to 20/s. The pool is FIFO: work queued behind
  // in-flight logins waits for nearly all of them. Relative, not timed: when a burst of tiny pool jobs finishes,
  // count the logins already answered.
  it('keeps scrypt off the libuv threadpool: pool work does not queue behind logins in flight', async () => {
    const users = makeStore();
    await users.addUser('bob', 's3cret');
    const logins = 24;
    let answered = 0;
    const inFlight = Array.from({ length: logins }, () => users.authenticate('bob', 'wrong', '127.0.0.1').finally(() => answered++));
    const pbkdf2Once = (): Promise<void> =>
      new Promise((resolve, reject) => pbkdf2('x', 'salt', 1, 16, 'sha256', (error) => (error ? reject(error) : resolve())));
    await Promise.all(Array.from({ length: 8 }, pbkdf2Once));
    const answeredWhenPoolWasFree = answered;
    expect(await Promise.all(inFlight)).toEqual(Array.from({ length: logins }, () => undefined));
    // On the threadpool this was ≥ logins − 4; on the worker (≈25-40 ms a hash, one at a time) a handful at most.
    expect(answeredWhenPoolWasFree).toBeLessThan(logins / 2);
  });

  it('hashes through its worker, and refuses at once, without hashing, when the queue is full', async () => {
    const users = makeStore({ maxPending: 4 });
    await users.addUser('bob', 's3cret');
    const before = users.hasher.completedHashes;
    const results = await Promise.all(Array.from({ length: 10 }, () => users.authenticate('bob', 'wrong', '127.0.0.1')));
    expect(results.every((user) => user === undefined)).toBe(true);
    expect(users.hasher.completedHashes - before).toBe(4);
    expect(users.hasher.refusedHashes).toBe(6);
    // A correct password arriving while the queue is full is refused the same way; once it drains it works.
    const flood = Array.from({ length: 4 }, () => users.authenticate('bob', 'wrong', '127.0.0.1'));
    expect(await users.authenticate('bob', 's3cret', '127.0.0.1')).toBeUndefined();
    await Promise.all(flood);
    expect((await users.authenticate('bob', 's3cret', '127.0.0.1'))?.name).toBe('bob');
  });

  it('tells the broker (only) that a refusal came from a full queue', async () => {
    const users = makeStore({ maxPending: 1 });
    await users.addUser('bob', 's3cret');
    const first = users.checkLogin('bob', 'wrong', '127.0.0.1');
    expect(await users.checkLogin('bob', 's3cret', '127.0.0.1')).toEqual({ user: undefined, isHashingBusy: true });
    expect(await first).toEqual({ user: undefined, isHashingBusy: false });
    expect((await users.checkLogin('bob', 's3cret', '127.0.0.1')).user?.name).toBe('bob');
  });

  it('forgets cached logins when a password changes', async () => {
    const users = makeStore();
    await users.addUser('bob', 'old');
    expect((await users.authenticate('bob', 'old', '127.0.0.1'))?.name).toBe('bob');
    await users.addUser('bob', 'new');
    expect(await users.authenticate('bob', 'old', '127.0.0.1')).toBeUndefined();
    expect((await users.authenticate('bob', 'new', '127.0.0.1'))?.name).toBe('bob');
  });

  it('serves a cached good login without hashing, even while the queue is full', async () => {
    const users = makeStore({ maxPending: 2 });
    await users.addUser('bob', 's3cret');
    expect((await users.authenticate('bob', 's3cret', '127.0.0.1'))?.name).toBe('bob');
    const hashed = users.hasher.completedHashes;
    const flood = Array.from({ length: 2 }, () => users.authenticate('bob', 'wrong', '127.0.0.1'));
    expect((await users.authenticate('bob', 's3cret', '127.0.0.1'))?.name).toBe('bob');
    await Promise.all(flood);
    expect(users.hasher.completedHashes - hashed).toBe(2);
  });

  it('refuses, never hangs, the logins a crashed worker held, and hashes again on a fresh worker', async () => {
    // The real script, except that the password 'crash' kills the worker thread mid-queue.
    const crashing = `
      const { parentPort } = require('node:worker_threads');
      const { scryptSync } = require('node:crypto');
      parentPort.on('message', (job) => {
        if (job.password === 'crash') process.exit(3);
        parentPort.postMessage({ id: job.id, key: scryptSync(job.password, job.salt, job.keyLength, job.parameters) });
      });`;
    const users = makeStore({ source: crashing });
    await users.addUser('bob', 's3cret');
    const held = [
      users.authenticate('bob', 'crash', '127.0.0.1'),
      users.authenticate('bob', 's3cret', '127.0.0.1'),
      users.authenticate('bob', 'wrong', '127.0.0.1'),
    ];
    expect(await Promise.all(held)).toEqual([undefined, undefined, undefined]);
    expect(users.hasher.pendingCount).toBe(0);
    expect((await users.authenticate('bob', 's3cret', '127.0.0.1'))?.name).toBe('bob');
  });

  it('fails pending hashes when closed', async () => {
    const users = makeStore();
    await users.addUser('bob', 's3cret');
    const pending = users.authenticate('bob', 'wrong', '127.0.0.1');
    await users.close();
    expect(await pending).toBeUndefined();
  });
});
