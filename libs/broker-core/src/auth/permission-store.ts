import type { MetadataOp, MetadataRecord, MetadataStore } from '@app/storage';
import { AccessControlError, AccessEvents } from './access-events.js';
import { compilePermissionPattern, PermissionPatternError } from './permission-pattern.js';

/** A user's configure / write / read regexes in one vhost (RabbitMQ's `set_permissions`), as given. */
export interface VhostPermissions {
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

/** A user's write / read regexes on routing keys of one topic exchange in one vhost (RabbitMQ's `set_topic_permissions`). */
export interface TopicPermissions {
  readonly write: string;
  readonly read: string;
}

/** One grant, for listing and exporting. */
export interface PermissionEntry extends VhostPermissions {
  readonly user: string;
  readonly vhost: string;
}

/** One topic grant, for listing and exporting. */
export interface TopicPermissionEntry extends TopicPermissions {
  readonly user: string;
  readonly vhost: string;
  readonly exchange: string;
}

/** Full access (what the default user gets on `/`). */
export const FULL_PERMISSIONS: VhostPermissions = Object.freeze({ configure: '.*', write: '.*', read: '.*' });

const permissionKey = (user: string, vhost: string): string => JSON.stringify([user, vhost]);
const topicKey = (user: string, vhost: string, exchange: string): string => JSON.stringify([user, vhost, exchange]);

/**
 * Permissions and topic permissions per user per vhost, written through the MetadataStore once storage is attached
 * (each call resolves when durable). Regexes are validated (compiled, ≤ 512 characters) when granted.
 * {@link generation} changes on every change, so connections can keep compiled regexes and cached decisions and
 * drop them with one integer compare.
 *
 * Callers check that the user and the vhost exist ({@link BrokerCore} does); this store only keeps the grants.
 */
export class PermissionStore {
  private readonly permissions = new Map<string, PermissionEntry>();
  private readonly topicPermissions = new Map<string, TopicPermissionEntry>();
  private store?: MetadataStore;
  /** Bumped on every change: a connection's cached permission decisions are valid while it is unchanged. */
  generation = 0;

  /** @param events where permission changes are announced. */
  constructor(private readonly events: AccessEvents = new AccessEvents()) {}

  /** Writes every change to `store` from now on. */
  attachStorage(store: MetadataStore): void {
    this.store = store;
  }

  /** Loads stored grants; called once at start-up. */
  restore(records: readonly MetadataRecord[]): void {
    for (const record of records) {
      if (record.kind === 'permission') {
        const entry = JSON.parse(record.value.toString('utf8')) as PermissionEntry;
        this.permissions.set(permissionKey(entry.user, entry.vhost), entry);
      } else if (record.kind === 'topic-permission') {
        const entry = JSON.parse(record.value.toString('utf8')) as TopicPermissionEntry;
        this.topicPermissions.set(topicKey(entry.user, entry.vhost, entry.exchange), entry);
      }
    }
    this.generation++;
  }

  /** Forgets a grant another node deleted (multi-node), by its stored kind and key; announces the change. */
  dropStored(kind: 'permission' | 'topic-permission', key: string): void {
    const entry = kind === 'permission' ? this.permissions.get(key) : this.topicPermissions.get(key);
    if (entry === undefined) return;
    if (kind === 'permission') this.permissions.delete(key);
    else this.topicPermissions.delete(key);
    this.generation++;
    this.events.emit({ kind: 'permissions.changed', user: entry.user, vhost: entry.vhost });
  }

  /** A user's permissions in a vhost; undefined = no access to the vhost (530 at `connection.open`). */
  get(user: string, vhost: string): VhostPermissions | undefined {
    return this.permissions.get(permissionKey(user, vhost));
  }

  /** Every grant, optionally of one user and/or vhost. */
  list(filter: { user?: string; vhost?: string } = {}): PermissionEntry[] {
    return [...this.permissions.values()].filter(
      (entry) => (filter.user === undefined || entry.user === filter.user) && (filter.vhost === undefined || entry.vhost === filter.vhost),
    );
  }

  /** Grants (or replaces) a user's permissions in a vhost; rejects with AccessControlError `invalid` for a bad regex. */
  set(user: string, vhost: string, permissions: VhostPermissions): Promise<void> {
    try {
      validate(permissions.configure, permissions.write, permissions.read);
    } catch (error) {
      return Promise.reject(error);
    }
    const entry: PermissionEntry = { user, vhost, configure: permissions.configure, write: permissions.write, read: permissions.read };
    this.permissions.set(permissionKey(user, vhost), entry);
    return this.changed(user, vhost, [{ type: 'put', kind: 'permission', key: permissionKey(user, vhost), value: encode(entry) }]);
  }

  /** Revokes a user's permissions in a vhost (and its topic permissions there); resolves false when there were none. */
  async clear(user: string, vhost: string): Promise<boolean> {
    const ops = this.forget((entry) => entry.user === user && entry.vhost === vhost);
    if (ops.length === 0) return false;
    await this.changed(user, vhost, ops);
    return true;
  }

  /** A user's topic permissions on one exchange of a vhost, if any (none: every routing key is allowed). */
  getTopic(user: string, vhost: string, exchange: string): TopicPermissions | undefined {
    return this.topicPermissions.get(topicKey(user, vhost, exchange));
  }

  /** Every topic grant, optionally of one user and/or vhost. */
  listTopic(filter: { user?: string; vhost?: string } = {}): TopicPermissionEntry[] {
    return [...this.topicPermissions.values()].filter(
      (entry) => (filter.user === undefined || entry.user === filter.user) && (filter.vhost === undefined || entry.vhost === filter.vhost),
    );
  }

  /** Grants (or replaces) topic permissions on one exchange; rejects with AccessControlError `invalid` for a bad regex. */
  setTopic(user: string, vhost: string, exchange: string, permissions: TopicPermissions): Promise<void> {
    try {
      // Variables are expanded at check time; the regex must compile as written too.
      validate(permissions.write, permissions.read);
    } catch (error) {
      return Promise.reject(error);
    }
    const entry: TopicPermissionEntry = { user, vhost, exchange, write: permissions.write, read: permissions.read };
    const key = topicKey(user, vhost, exchange);
    this.topicPermissions.set(key, entry);
    return this.changed(user, vhost, [{ type: 'put', kind: 'topic-permission', key, value: encode(entry) }]);
  }

  /** Revokes topic permissions of a user in a vhost: on one exchange, or on all of them. */
  async clearTopic(user: string, vhost: string, exchange?: string): Promise<boolean> {
    const ops: MetadataOp[] = [];
    for (const [key, entry] of this.topicPermissions) {
      if (entry.user !== user || entry.vhost !== vhost || (exchange !== undefined && entry.exchange !== exchange)) continue;
      this.topicPermissions.delete(key);
      ops.push({ type: 'del', kind: 'topic-permission', key });
    }
    if (ops.length === 0) return false;
    await this.changed(user, vhost, ops);
    return true;
  }

  /**
   * Removes every grant matching `predicate` from memory and returns the metadata deletions (for the caller's own
   * atomic write: a user's or a vhost's deletion takes its grants with it).
   */
  forget(predicate: (entry: { user: string; vhost: string }) => boolean): MetadataOp[] {
    const ops: MetadataOp[] = [];
    for (const [key, entry] of this.permissions) {
      if (!predicate(entry)) continue;
      this.permissions.delete(key);
      ops.push({ type: 'del', kind: 'permission', key });
    }
    for (const [key, entry] of this.topicPermissions) {
      if (!predicate(entry)) continue;
      this.topicPermissions.delete(key);
      ops.push({ type: 'del', kind: 'topic-permission', key });
    }
    if (ops.length > 0) this.generation++;
    return ops;
  }

  private changed(user: string, vhost: string, ops: MetadataOp[]): Promise<void> {
    this.generation++;
    const written = this.store ? this.store.apply(ops) : Promise.resolve();
    this.events.emit({ kind: 'permissions.changed', user, vhost });
    return written;
  }
}

function validate(...patterns: string[]): void {
  try {
    for (const pattern of patterns) compilePermissionPattern(pattern);
  } catch (error) {
    if (error instanceof PermissionPatternError) throw new AccessControlError('invalid', error.message);
    throw error;
  }
}

function encode(entry: object): Buffer {
  return Buffer.from(JSON.stringify(entry));
}
