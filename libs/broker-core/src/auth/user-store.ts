import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** A broker user: a scrypt password hash and RabbitMQ-style tags. */
export interface User {
  readonly name: string;
  readonly salt: Buffer;
  readonly hash: Buffer;
  readonly tags: readonly string[];
  /** Loopback-only users (RabbitMQ's `loopback_users`, `guest` by default) may log in from 127.0.0.0/8 and ::1 only. */
  readonly isLoopbackOnly: boolean;
}

// N = 2^14, r = 8, p = 1: ~24 ms per hash on the reference machine (reliability-and-security.md §5).
const SCRYPT_OPTIONS = { N: 1 << 14, r: 8, p: 1 };
const KEY_LENGTH = 32;
const LOGIN_CACHE_MS = 60_000;

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, SCRYPT_OPTIONS, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Whether a remote address is a loopback address (IPv4 127/8, ::1, IPv4-mapped loopback). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.');
}

/**
 * In-memory user database with scrypt hashes. Unknown users are checked against a dummy record so that
 * an unknown user and a wrong password take the same time and look identical.
 */
export class UserStore {
  private readonly users = new Map<string, User>();
  private readonly cacheSecret = randomBytes(32);
  /** Successful logins, keyed by HMAC(secret, user ‖ password), so a reconnect storm costs one KDF per user. */
  private readonly loginCache = new Map<string, number>();
  private dummy?: User;

  /** Adds or replaces a user. */
  async addUser(name: string, password: string, tags: string[] = [], isLoopbackOnly = false): Promise<void> {
    const salt = randomBytes(16);
    this.users.set(name, { name, salt, hash: await derive(password, salt), tags, isLoopbackOnly });
  }

  /** Creates `guest`/`guest` (administrator, loopback only), as a fresh RabbitMQ node does. */
  async addDefaultGuest(): Promise<void> {
    await this.addUser('guest', 'guest', ['administrator'], true);
  }

  /** Looks a user up by name. */
  getUser(name: string): User | undefined {
    return this.users.get(name);
  }

  /**
   * The user a verified client certificate names (SASL EXTERNAL: no password), or undefined when there is none or
   * it is loopback-only and `remoteAddress` is not loopback, the same answers as a failed `authenticate`.
   */
  findCertificateUser(name: string, remoteAddress: string | undefined): User | undefined {
    const user = this.users.get(name);
    return user && (!user.isLoopbackOnly || isLoopbackAddress(remoteAddress)) ? user : undefined;
  }

  /** Every user. */
  list(): User[] {
    return [...this.users.values()];
  }

  /**
   * Checks credentials; resolves to the user, or undefined on any failure (unknown user, wrong password,
   * loopback-only user connecting remotely), so callers cannot tell the cases apart.
   */
  async authenticate(name: string, password: string, remoteAddress: string | undefined): Promise<User | undefined> {
    const user = this.users.get(name);
    const cacheKey = createHmac('sha256', this.cacheSecret).update(name).update('\0').update(password).digest('base64');
    const cachedAt = this.loginCache.get(cacheKey);
    let isValid: boolean;
    if (user && cachedAt !== undefined && Date.now() - cachedAt < LOGIN_CACHE_MS) {
      isValid = true;
    } else {
      const record = user ?? (await this.dummyUser());
      const key = await derive(password, record.salt);
      isValid = user !== undefined && timingSafeEqual(key, record.hash);
      if (isValid) {
        if (this.loginCache.size > 10_000) this.loginCache.clear();
        this.loginCache.set(cacheKey, Date.now());
      }
    }
    if (!isValid || !user) return undefined;
    if (user.isLoopbackOnly && !isLoopbackAddress(remoteAddress)) return undefined;
    return user;
  }

  private async dummyUser(): Promise<User> {
    if (!this.dummy) {
      const salt = randomBytes(16);
      this.dummy = { name: '', salt, hash: await derive(randomBytes(16).toString('hex'), salt), tags: [], isLoopbackOnly: false };
    }
    return this.dummy;
  }
}
