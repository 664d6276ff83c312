import { createHash, randomBytes } from 'node:crypto';
import {
  formatPasswordHash,
  parsePasswordHash,
  parseRabbitPasswordHash,
  PasswordHashError,
  rabbitPasswordHash,
  WARREN_SCRYPT_ALGORITHM,
} from './password-hash.js';
import { UserStore } from './user-store.js';

/** What RabbitMQ's rabbit_password:hash/2 stores: base64(salt(4) ‖ digest(salt ‖ utf8 password)). */
function rabbitHash(password: string, digest: 'sha256' | 'sha512' | 'md5'): string {
  const salt = randomBytes(4);
  return Buffer.concat([
    salt,
    createHash(digest)
      .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
      .digest(),
  ]).toString('base64');
}

describe('RabbitMQ password hash import', () => {
  it.each([
    ['rabbit_password_hashing_sha256', 'sha256'],
    ['rabbit_password_hashing_sha512', 'sha512'],
    ['rabbit_password_hashing_md5', 'md5'],
  ] as const)('a user imported with %s logs in with its password only', async (algorithm, digest) => {
    const users = new UserStore();
    await users.createUser('bob', { passwordHash: parseRabbitPasswordHash(rabbitHash('s3crét', digest), algorithm), tags: ['monitoring'] });
    expect((await users.authenticate('bob', 's3crét', '192.0.2.1'))?.tags).toEqual(['monitoring']);
    expect(await users.authenticate('bob', 's3cret', '192.0.2.1')).toBeUndefined();
  });

  it('defaults to sha256 like RabbitMQ and round-trips its own format', async () => {
    const users = new UserStore();
    await users.createUser('carol', { passwordHash: parseRabbitPasswordHash(rabbitPasswordHash('pw')) });
    expect((await users.authenticate('carol', 'pw', '192.0.2.1'))?.name).toBe('carol');
  });

  it.each([
    ['not base64!', 'rabbit_password_hashing_sha256'],
    [Buffer.alloc(10).toString('base64'), 'rabbit_password_hashing_sha256'],
    [rabbitHash('x', 'sha256'), 'rabbit_password_hashing_sha512'],
    [rabbitHash('x', 'sha256'), 'rabbit_password_hashing_bcrypt'],
  ])('refuses %p as %s', (hash, algorithm) => {
    expect(() => parseRabbitPasswordHash(hash, algorithm)).toThrow(PasswordHashError);
  });

  it('closes out the old password: update, cached login, delete', async () => {
    const users = new UserStore();
    const changes: string[] = [];
    users.events.on((change) => changes.push(change.kind));
    await users.createUser('dave', { password: 'old' });
    expect(await users.authenticate('dave', 'old', '::1')).toBeDefined();
    await users.updateUser('dave', { password: 'new' });
    expect(await users.authenticate('dave', 'old', '::1')).toBeUndefined();
    expect(await users.authenticate('dave', 'new', '::1')).toBeDefined();
    await users.updateUser('dave', { tags: ['administrator'] });
    expect(users.getUser('dave')?.tags).toEqual(['administrator']);
    expect(await users.deleteUser('dave')).toBe(true);
    expect(await users.authenticate('dave', 'new', '::1')).toBeUndefined();
    expect(changes).toEqual(['user.password-changed', 'user.deleted']);
    await expect(users.updateUser('dave', { tags: [] })).rejects.toThrow("no user 'dave'");
  });
});

describe('exported password hashes', () => {
  it('round-trips a Warren scrypt user through formatPasswordHash / parsePasswordHash: the copy logs in with the same password', async () => {
    const source = new UserStore();
    const user = await source.createUser('dana', { password: 'pa55' });
    const exported = formatPasswordHash({ algorithm: 'scrypt', salt: user.salt, hash: user.hash });
    expect(exported.hashing_algorithm).toBe(WARREN_SCRYPT_ALGORITHM);
    const copy = new UserStore();
    await copy.createUser('dana', { passwordHash: parsePasswordHash(exported.password_hash, exported.hashing_algorithm) });
    expect(await copy.authenticate('dana', 'pa55', '192.0.2.1')).toBeDefined();
    expect(await copy.authenticate('dana', 'pa56', '192.0.2.1')).toBeUndefined();
    await Promise.all([source.close(), copy.close()]);
  });

  it('exports a RabbitMQ hash unchanged and a user without password as an empty hash', () => {
    const hash = rabbitPasswordHash('x', 'rabbit_password_hashing_sha512');
    const parsed = parsePasswordHash(hash, 'rabbit_password_hashing_sha512');
    expect(formatPasswordHash(parsed)).toEqual({ password_hash: hash, hashing_algorithm: 'rabbit_password_hashing_sha512' });
    expect(formatPasswordHash({ algorithm: 'scrypt', salt: Buffer.alloc(16), hash: Buffer.alloc(0) }).password_hash).toBe('');
  });

  it('refuses a scrypt hash of the wrong length', () => {
    expect(() => parsePasswordHash(Buffer.alloc(20).toString('base64'), WARREN_SCRYPT_ALGORITHM)).toThrow(PasswordHashError);
  });
});
