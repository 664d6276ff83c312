import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ScryptWorker, type ScryptWorkerOptions } from './scrypt-worker.js';

/** A broker user: a scrypt password hash and RabbitMQ-style tags. */
export interface User {
  readonly name: string;
  readonly salt: Buffer;
  readonly hash: Buffer;
  readonly tags: readonly string[];
  /** Loopback-only users (RabbitMQ's `loopback_users`, `guest` by default) may log in from 127.0.0.0/8 and ::1 only. */
  readonly isLoopbackOnly: boolean;
}

// N = 2^14, r = 8, p = 1: ~24-40 ms per hash, run on the hashing worker (docs/invariants.md, "Login").
const SCRYPT_OPTIONS = { N: 1 << 14, r: 8, p: 1 };
const KEY_LENGTH = 32;
const LOGIN_CACHE_MS = 60_000;

/** Whether a remote address is a loopback address (IPv4 127/8, ::1, IPv4-mapped loopback). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.');
}

/** The outcome of a login check: the user, or a refusal that says whether the hashing queue was full. */
export type LoginOutcome = { readonly user: User } | { readonly user: undefined; readonly isHashingBusy: boolean };

/**
 * In-memory user database with scrypt hashes. Unknown users are checked against a dummy record so that
 * an unknown user and a wrong password take the same time and look identical. Hashing runs on its own bounded
 * worker thread ({@link ScryptWorker}), off libuv's threadpool where the store's writes run.
 */
export class UserStore {
  private readonly users = new Map<string, User>();
  /** The password hasher; its counters tell how many hashes ran and how many a full queue refused. */
  readonly hasher: ScryptWorker;
  private readonly cacheSecret = randomBytes(32);
  /** Successful logins, keyed by HMAC(secret, user ‖ password), so a reconnect storm costs one KDF per user. */
  private readonly loginCache = new Map<string, number>();
  /**
   * Unknown users are hashed with this salt so they cost what a wrong password costs. Its hash is random bytes: it
   * never has to match, and no start-up hash is spent on it.
   */
  private readonly dummy: User = { name: '', salt: randomBytes(16), hash: randomBytes(KEY_LENGTH), tags: [], isLoopbackOnly: false };

  constructor(options: ScryptWorkerOptions = {}) {
    this.hasher = new ScryptWorker(options);
  }

  /** Adds or replaces a user. */
  async addUser(name: string, password: string, tags: string[] = [], isLoopbackOnly = false): Promise<void> {
    const salt = randomBytes(16);
    const hash = await this.derive(password, salt);
    this.users.set(name, { name, salt, hash, tags, isLoopbackOnly });
    // A cached login for the old password must not outlive the change.
    this.loginCache.clear();
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
   * loopback-only user connecting remotely, hashing queue full, hashing worker died), so callers cannot tell the
   * cases apart. Never rejects.
   */
  async authenticate(name: string, password: string, remoteAddress: string | undefined): Promise<User | undefined> {
    return (await this.checkLogin(name, password, remoteAddress)).user;
  }

  /**
   * {@link authenticate}, telling apart (for the broker's throttling only, never for the client) a refusal because
   * the hashing queue was full: that attempt was not checked, so it says nothing about its address. Never rejects.
   */
  async checkLogin(name: string, password: string, remoteAddress: string | undefined): Promise<LoginOutcome> {
    const user = this.users.get(name);
    const cacheKey = createHmac('sha256', this.cacheSecret).update(name).update('\0').update(password).digest('base64');
    const cachedAt = this.loginCache.get(cacheKey);
    const now = Date.now();
    let isValid: boolean;
    if (user && cachedAt !== undefined && now - cachedAt < LOGIN_CACHE_MS) {
      isValid = true;
      // Refreshed on use, so a client that keeps reconnecting never needs a hash, even while a storm of bad logins
      // keeps the hashing queue full. addUser clears the cache, so an old password does not live on this way.
      this.loginCache.set(cacheKey, now);
    } else {
      const record = user ?? this.dummy;
      let key: Buffer | undefined;
      try {
        // Bounded: past the queue limit an attempt is refused without hashing, so a login storm costs at most
        // one busy worker thread.
        key = await this.hasher.tryDerive(password, record.salt, KEY_LENGTH, SCRYPT_OPTIONS);
      } catch {
        // The worker died mid-hash (it is restarted on the next hash): a failed login, never a hung one.
        return { user: undefined, isHashingBusy: false };
      }
      if (key === undefined) return { user: undefined, isHashingBusy: true };
      isValid = user !== undefined && timingSafeEqual(key, record.hash);
      if (isValid) {
        if (this.loginCache.size > 10_000) this.loginCache.clear();
        this.loginCache.set(cacheKey, Date.now());
      }
    }
    if (!isValid || !user) return { user: undefined, isHashingBusy: false };
    if (user.isLoopbackOnly && !isLoopbackAddress(remoteAddress)) return { user: undefined, isHashingBusy: false };
    return { user };
  }

  /** Stops the hashing worker (broker shutdown); a later hash starts a new one. */
  close(): Promise<void> {
    return this.hasher.close();
  }

  private derive(password: string, salt: Buffer): Promise<Buffer> {
    return this.hasher.derive(password, salt, KEY_LENGTH, SCRYPT_OPTIONS);
  }
}
