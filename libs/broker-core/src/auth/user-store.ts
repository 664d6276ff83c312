import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MetadataOp, MetadataRecord, MetadataStore } from '@app/storage';
import { AccessControlError, AccessEvents } from './access-events.js';
import { rabbitDigest, type PasswordHash, type PasswordHashingAlgorithm } from './password-hash.js';
import { ScryptWorker, type ScryptWorkerOptions } from './scrypt-worker.js';

/** A broker user: a password hash (scrypt, or an imported RabbitMQ hash) and RabbitMQ-style tags. */
export interface User {
  readonly name: string;
  readonly salt: Buffer;
  readonly hash: Buffer;
  /** How `hash` was made; undefined means scrypt. */
  readonly hashingAlgorithm?: PasswordHashingAlgorithm;
  /** Kept as given: `administrator`, `monitoring`, `policymaker`, `management`, `impersonator` or anything else. */
  readonly tags: readonly string[];
  /** Loopback-only users (RabbitMQ's `loopback_users`, `guest` by default) may log in from 127.0.0.0/8 and ::1 only. */
  readonly isLoopbackOnly: boolean;
}

/** What a user is made of when created: a password (hashed with scrypt) or a ready hash (imports), and tags. */
export interface UserSpec {
  /** Clear-text password, hashed with scrypt; never stored. */
  readonly password?: string;
  /** A stored hash instead of a password (a definitions import); with neither, no password logs the user in. */
  readonly passwordHash?: PasswordHash;
  readonly tags?: readonly string[];
}

/** A change to an existing user: a new password (or hash) and/or new tags; omitted fields stay. */
export type UserChanges = UserSpec;

/** The stored form of a user (MetadataStore kind `user`, key = name). */
interface UserRecordValue {
  name: string;
  algorithm: PasswordHashingAlgorithm;
  salt: string;
  hash: string;
  tags: string[];
  loopbackOnly?: boolean;
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

/** No password: a hash nothing derives to (zero length), so only other mechanisms could log the user in. */
const NO_PASSWORD: PasswordHash = { algorithm: 'scrypt', salt: Buffer.alloc(16), hash: Buffer.alloc(0) };

/**
 * The user database: in memory, written through the MetadataStore once storage is attached (every create, update
 * and delete resolves when durable). Unknown users are checked against a dummy record so that an unknown user and
 * a wrong password take the same time and look identical. Hashing runs on its own bounded worker thread
 * ({@link ScryptWorker}), off libuv's threadpool where the store's writes run.
 */
export class UserStore {
  private readonly users = new Map<string, User>();
  private readonly cacheSecret = randomBytes(32);
  /** Successful logins, keyed by HMAC(secret, user ‖ password), so a reconnect storm costs one KDF per user. */
  private readonly loginCache = new Map<string, number>();
  /** The password hasher; its counters tell how many hashes ran and how many a full queue refused. */
  readonly hasher: ScryptWorker;
  /**
   * Unknown users are hashed with this salt so they cost what a wrong password costs. Its hash is random bytes: it
   * never has to match, and no start-up hash is spent on it.
   */
  private readonly dummy: User = { name: '', salt: randomBytes(16), hash: randomBytes(KEY_LENGTH), tags: [], isLoopbackOnly: false };
  private store?: MetadataStore;
  /** Names in RabbitMQ's `loopback_users` (configuration): they may log in from loopback only. */
  private loopbackUsers: ReadonlySet<string> = new Set(['guest']);
  /** Users made loopback-only by {@link addUser}'s flag (kept across updates). */
  private readonly loopbackByCall = new Set<string>();
  /**
   * Metadata ops (and in-memory removals) that must go with a user's deletion in the same atomic write: the broker
   * core drops the user's permissions here.
   */
  onDelete?: (name: string) => MetadataOp[];

  /**
   * @param events where password changes and deletions are announced (the server closes the user's connections).
   * @param hashing the hashing worker's bounds (tests make them small).
   */
  constructor(
    readonly events: AccessEvents = new AccessEvents(),
    hashing: ScryptWorkerOptions = {},
  ) {
    this.hasher = new ScryptWorker(hashing);
  }

  /** Adds or replaces a user (kept for callers that predate {@link createUser}; resolves when durable). */
  async addUser(name: string, password: string, tags: string[] = [], isLoopbackOnly = false): Promise<void> {
    if (isLoopbackOnly) this.loopbackByCall.add(name);
    await this.putUser(name, { password, tags });
  }

  /** Sets RabbitMQ's `loopback_users`: these names may log in from loopback addresses only. */
  setLoopbackUsers(names: Iterable<string>): void {
    this.loopbackUsers = new Set(names);
    for (const user of [...this.users.values()]) this.users.set(user.name, { ...user, isLoopbackOnly: this.isLoopbackName(user.name) });
  }

  private isLoopbackName(name: string): boolean {
    return this.loopbackUsers.has(name) || this.loopbackByCall.has(name);
  }

  /** Creates a user; rejects with AccessControlError `already-exists`. Resolves with the user once durable. */
  async createUser(name: string, spec: UserSpec): Promise<User> {
    checkName(name);
    if (this.users.has(name)) throw new AccessControlError('already-exists', `auth: user '${name}' already exists`);
    const hash = await this.hashOf(spec);
    // Re-checked after hashing: another call may have created the user meanwhile.
    if (this.users.has(name)) throw new AccessControlError('already-exists', `auth: user '${name}' already exists`);
    return this.save(name, hash, spec.tags ?? []);
  }

  /**
   * Changes a user's password (or hash) and/or tags; rejects with AccessControlError `not-found`. A new password
   * closes the user's open connections (an `user.password-changed` event). Resolves once durable.
   */
  async updateUser(name: string, changes: UserChanges): Promise<User> {
    if (!this.users.has(name)) throw notFound(name);
    const isNewPassword = changes.password !== undefined || changes.passwordHash !== undefined;
    const hash = isNewPassword ? await this.hashOf(changes) : undefined;
    const current = this.users.get(name);
    if (!current) throw notFound(name);
    const stored: PasswordHash = hash ?? { algorithm: current.hashingAlgorithm ?? 'scrypt', salt: current.salt, hash: current.hash };
    return this.save(name, stored, changes.tags ?? current.tags, isNewPassword);
  }

  /** Creates the user or replaces its password and tags (a definitions import, the HTTP API's PUT). */
  async putUser(name: string, spec: UserSpec): Promise<{ user: User; created: boolean }> {
    checkName(name);
    const hash = await this.hashOf(spec);
    // A cached login for the old password must not outlive the change.
    this.loginCache.clear();
    const created = !this.users.has(name);
    return { user: await this.save(name, hash, spec.tags ?? [], !created), created };
  }

  /** Deletes a user, its permissions (see {@link onDelete}) and closes its connections; false if unknown. */
  async deleteUser(name: string): Promise<boolean> {
    if (!this.users.delete(name)) return false;
    this.loginCache.clear();
    const ops: MetadataOp[] = [{ type: 'del', kind: 'user', key: name }, ...(this.onDelete?.(name) ?? [])];
    const written = this.write(ops);
    this.events.emit({ kind: 'user.deleted', user: name });
    await written;
    return true;
  }

  /** Applies a user in memory and starts its write in the same turn (so writes keep the order of the changes). */
  private async save(name: string, hash: PasswordHash, tags: readonly string[], isPasswordChange = false): Promise<User> {
    const user: User = {
      name,
      salt: hash.salt,
      hash: hash.hash,
      hashingAlgorithm: hash.algorithm,
      tags: [...tags],
      isLoopbackOnly: this.isLoopbackName(name),
    };
    this.users.set(name, user);
    const value: UserRecordValue = {
      name,
      algorithm: hash.algorithm,
      salt: hash.salt.toString('base64'),
      hash: hash.hash.toString('base64'),
      tags: [...tags],
      loopbackOnly: this.loopbackByCall.has(name) || undefined,
    };
    const written = this.write([{ type: 'put', kind: 'user', key: name, value: Buffer.from(JSON.stringify(value)) }]);
    if (isPasswordChange) {
      // A cached login of the old password must not outlive it.
      this.loginCache.clear();
      this.events.emit({ kind: 'user.password-changed', user: name });
    }
    await written;
    return user;
  }

  private write(ops: MetadataOp[]): Promise<void> {
    return this.store ? this.store.apply(ops) : Promise.resolve();
  }

  /** Writes every change to `store` from now on (the broker core attaches storage at start-up). */
  attachStorage(store: MetadataStore): void {
    this.store = store;
  }

  /** Loads the stored users (replacing any in memory); called once at start-up. */
  restore(records: readonly MetadataRecord[]): void {
    for (const record of records) {
      if (record.kind !== 'user') continue;
      const value = JSON.parse(record.value.toString('utf8')) as UserRecordValue;
      if (value.loopbackOnly) this.loopbackByCall.add(value.name);
      this.users.set(value.name, {
        name: value.name,
        salt: Buffer.from(value.salt, 'base64'),
        hash: Buffer.from(value.hash, 'base64'),
        hashingAlgorithm: value.algorithm,
        tags: value.tags,
        isLoopbackOnly: this.isLoopbackName(value.name),
      });
    }
  }

  /**
   * Applies a user record another node stored (multi-node): like {@link restore} for one record; a changed password
   * drops cached logins and announces `user.password-changed`, as a local change does.
   */
  applyStored(record: MetadataRecord): void {
    if (record.kind !== 'user') return;
    const before = this.users.get(record.key);
    this.restore([record]);
    const after = this.users.get(record.key);
    if (before !== undefined && after !== undefined && !before.hash.equals(after.hash)) {
      this.loginCache.clear();
      this.events.emit({ kind: 'user.password-changed', user: record.key });
    }
  }

  /** Creates `guest`/`guest` (administrator, loopback only), as a fresh RabbitMQ node does. */
  async addDefaultGuest(): Promise<void> {
    await this.addUser('guest', 'guest', ['administrator'], true);
  }

  /** Looks a user up by name. */
  getUser(name: string): User | undefined {
    return this.users.get(name);
  }

  /** Every user. */
  list(): User[] {
    return [...this.users.values()];
  }

  /**
   * The user a verified client certificate names (SASL EXTERNAL: no password), or undefined when there is none or
   * it is loopback-only and `remoteAddress` is not loopback, the same answers as a failed `authenticate`.
   */
  findCertificateUser(name: string, remoteAddress: string | undefined): User | undefined {
    const user = this.users.get(name);
    return user && (!user.isLoopbackOnly || isLoopbackAddress(remoteAddress)) ? user : undefined;
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
      // keeps the hashing queue full. Password changes clear the cache, so an old password does not live on this way.
      this.loginCache.set(cacheKey, now);
    } else {
      const record = user ?? this.dummy;
      let key: Buffer | undefined;
      try {
        key = await this.keyFor(record, password);
      } catch {
        // The worker died mid-hash (it is restarted on the next hash): a failed login, never a hung one.
        return { user: undefined, isHashingBusy: false };
      }
      if (key === undefined) return { user: undefined, isHashingBusy: true };
      isValid = user !== undefined && key.length === record.hash.length && timingSafeEqual(key, record.hash);
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

  /**
   * The key a password is checked against, made the way the user's hash was made; undefined when the hashing
   * queue is full. Bounded: past the queue limit an attempt is refused without hashing, so a login storm costs at
   * most one busy worker thread.
   */
  private keyFor(record: User, password: string): Promise<Buffer | undefined> | Buffer {
    const algorithm = record.hashingAlgorithm ?? 'scrypt';
    if (algorithm !== 'scrypt') return rabbitDigest(algorithm, record.salt, password);
    return this.hasher.tryDerive(password, record.salt, KEY_LENGTH, SCRYPT_OPTIONS);
  }

  /** The hash a spec asks for: its ready hash, a fresh scrypt hash of its password, or none. */
  private async hashOf(spec: UserSpec): Promise<PasswordHash> {
    if (spec.passwordHash) return spec.passwordHash;
    if (spec.password === undefined) return NO_PASSWORD;
    const salt = randomBytes(16);
    return { algorithm: 'scrypt', salt, hash: await this.hasher.derive(spec.password, salt, KEY_LENGTH, SCRYPT_OPTIONS) };
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name === '') throw new AccessControlError('invalid', 'auth: a user name must be a non-empty string');
}

function notFound(name: string): AccessControlError {
  return new AccessControlError('not-found', `auth: no user '${name}'`);
}
