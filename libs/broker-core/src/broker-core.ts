import type { IntegrityReport, MetadataOp, MetadataRecord, QuarantinedMessage } from '@app/storage';
import { StorageError } from '@app/storage';
import type { TopologyChange } from '@app/routing';
import { AccessControlError, AccessEvents } from './auth/access-events.js';
import { PermissionActor } from './auth/permission-actor.js';
import { FULL_PERMISSIONS, PermissionStore } from './auth/permission-store.js';
import { UserStore } from './auth/user-store.js';
import { reportToStderr, type BackgroundErrorReporter } from './background-task.js';
import { BrokerStorage } from './persistence/broker-storage.js';
import type { Queue } from './queue/queue.js';
import type { SharedDelayedHold } from './vhost/delayed-messages.js';
import type { DirectReplyRelay } from './vhost/direct-reply-to.js';
import { VirtualHost } from './vhost/virtual-host.js';

/** The stored form of a vhost (MetadataStore kind `vhost`, key = name). */
interface VhostRecordValue {
  name: string;
}

/**
 * The broker's state without any networking: virtual hosts, users and their permissions.
 * The AMQP layer (apps/broker) and the management API both act on it.
 *
 * Access-control API (for the admin API's routes): {@link users} (create, update, delete users),
 * {@link permissions} (grant and revoke per user per vhost), {@link createVhost} / {@link deleteVhost}, and
 * {@link actorFor} to run topology commands with a user's permissions. Every change resolves once durable;
 * {@link events} announces what running connections must react to (the server closes them with 320).
 */
export class BrokerCore {
  /** Password changes, user and vhost deletions, permission changes. */
  readonly events = new AccessEvents();
  readonly users = new UserStore(this.events);
  readonly permissions = new PermissionStore(this.events);
  private readonly vhosts = new Map<string, VirtualHost>();
  /** Where errors thrown by timers of the core (queue expiry and TTL, delayed messages) are reported. */
  reportError: BackgroundErrorReporter = reportToStderr;
  /** The queue limit each vhost gets (`maxQueuesPerVhost`); 0 = unlimited. */
  maxQueuesPerVhost = 0;
  private isRecovered = false;
  /** Hears every queue created or deleted in any vhost (multi-node mode shares exclusive queues through it). */
  queueListener?: {
    created(vhost: VirtualHost, queue: Queue): Promise<void> | void;
    deleted(vhost: VirtualHost, queue: Queue): Promise<void> | void;
  };
  /** Hears every change of non-durable exchanges and of bindings with a non-durable end (multi-node mode shares them). */
  transientTopologyListener?: (vhost: VirtualHost, change: TopologyChange<Queue>) => Promise<void> | void;
  private relay: DirectReplyRelay | undefined;
  private delayedHold: SharedDelayedHold | undefined;

  constructor() {
    this.addVhost('/');
    // A user's grants go with it, in the same atomic write.
    this.users.onDelete = (name) => this.permissions.forget((entry) => entry.user === name);
  }

  /** Creates a virtual host in memory only (idempotent); {@link createVhost} is the durable API. */
  addVhost(name: string): VirtualHost {
    let vhost = this.vhosts.get(name);
    if (!vhost) {
      vhost = new VirtualHost(name, (task, error) => this.reportError(task, error));
      vhost.maxQueues = this.maxQueuesPerVhost;
      vhost.replies.relay = this.relay;
      vhost.delayed.shared = this.delayedHold;
      const created = vhost;
      vhost.onQueueCreated = (queue) => this.queueListener?.created(created, queue);
      vhost.onQueueDeleted = (queue) => this.queueListener?.deleted(created, queue);
      vhost.onTransientChange = (change) => this.transientTopologyListener?.(created, change);
      // Vhosts created after recovery write through storage at once; recovery attaches the others itself.
      if (this.storage && this.isRecovered) vhost.attachStorage(this.storage);
      this.vhosts.set(name, vhost);
    }
    return vhost;
  }

  /**
   * Multi-node mode: relays direct reply-to responses for other nodes' requesters (every vhost, now and later).
   * Set before clients connect: reply-to tokens handed out before carry no node tag.
   */
  set replyRelay(relay: DirectReplyRelay | undefined) {
    this.relay = relay;
    for (const vhost of this.vhosts.values()) vhost.replies.relay = relay;
  }

  get replyRelay(): DirectReplyRelay | undefined {
    return this.relay;
  }

  /**
   * Multi-node mode: holds the persistent messages of durable delayed exchanges for every node (every vhost, now
   * and later; docs/SCALE-OUT.md, "Delayed messages"). Set before clients connect.
   */
  set sharedDelayed(hold: SharedDelayedHold | undefined) {
    this.delayedHold = hold;
    for (const vhost of this.vhosts.values()) vhost.delayed.shared = hold;
  }

  get sharedDelayed(): SharedDelayedHold | undefined {
    return this.delayedHold;
  }

  /** Creates a virtual host; rejects with AccessControlError `already-exists`. Resolves once durable. */
  async createVhost(name: string): Promise<VirtualHost> {
    if (typeof name !== 'string' || name === '') throw new AccessControlError('invalid', 'vhost: a vhost name must be a non-empty string');
    if (this.vhosts.has(name)) throw new AccessControlError('already-exists', `vhost: '${name}' already exists`);
    const vhost = this.addVhost(name);
    await this.storage?.metadata.apply([vhostPut(name)]);
    return vhost;
  }

  /**
   * Deletes a virtual host: closes its connections (a `vhost.deleted` event, heard synchronously), then removes its
   * queues with their stored messages, its exchanges and bindings and every permission on it. Resolves false when
   * there is no such vhost, true once storage forgot it.
   */
  async deleteVhost(name: string): Promise<boolean> {
    const vhost = this.vhosts.get(name);
    if (!vhost) return false;
    this.vhosts.delete(name);
    this.events.emit({ kind: 'vhost.deleted', vhost: name });
    const ops = this.permissions.forget((entry) => entry.vhost === name);
    const record = this.storage?.metadata.apply([{ type: 'del', kind: 'vhost', key: name }, ...ops]);
    await Promise.all([vhost.destroy(), record]);
    return true;
  }

  /**
   * RabbitMQ's `default_user`: on a broker with no user at all (first start), creates `name` as an administrator
   * with full permissions on `/`. Does nothing when any user exists. Resolves true when it created the user.
   */
  async bootstrapDefaultUser(name = 'guest', password = 'guest'): Promise<boolean> {
    if (this.users.list().length > 0) return false;
    await this.users.createUser(name, { password, tags: ['administrator'] });
    if (this.vhosts.has('/')) await this.permissions.set(name, '/', FULL_PERMISSIONS);
    return true;
  }

  /**
   * A topology actor applying `user`'s permissions (a management caller's, or a connection's); `owner` owns the
   * exclusive queues it declares.
   */
  actorFor(owner: object, user: string, clientId?: string): PermissionActor {
    return new PermissionActor(owner, this, user, clientId);
  }

  /** The attached storage, if any. */
  storage?: BrokerStorage;
  /** Stored messages whose checksum failed at recovery: held out of their queues (the broker logs each). */
  quarantined: readonly QuarantinedMessage[] = [];
  /**
   * Damage the full integrity check ({@link checkIntegrity}, run once serving) found: count mismatches, records
   * missing. Empty until it has run; reported on the storage-integrity health check.
   */
  integrityProblems: readonly string[] = [];

  /**
   * Attaches storage and rebuilds everything durable from it: checks the store's integrity first and refuses
   * (StorageError CORRUPTED naming the path and the queues) rather than serve fewer messages silently. Single
   * damaged messages do not stop it: the store quarantines them while recovering (see `quarantined`).
   * Returns the number of messages recovered.
   */
  async recover(storage: BrokerStorage, path: string): Promise<number> {
    this.storage = storage;
    // The quick check (what the store verified while opening, without reading every message key): the full one
    // grows with the backlog, so it runs once serving (checkIntegrity), not before.
    const report = await storage.messages.verifyIntegrity({ quick: true });
    if (report.queues.length > 0 || report.errors.length > 0) {
      const details = integrityDetails(report);
      throw new StorageError(
        'CORRUPTED',
        `storage: the data directory ${path} is damaged (${details.join('; ')}). Restore it from a backup, or move it away to start empty.`,
        { path },
      );
    }
    const records: MetadataRecord[] = await storage.metadata.load();
    this.restoreAccess(records);
    await this.restoreVhosts(records, storage);
    const queues = BrokerStorage.queueRecords(records);
    let recovered = 0;
    for (const vhost of this.vhosts.values()) {
      vhost.attachStorage(storage);
      recovered += await vhost.restore(records, queues, storage.messages);
    }
    this.isRecovered = true;
    // Messages of queues that no longer have a record (deleted while a write was in flight), or whose vhost is gone, are
    // garbage.
    const known = new Set(queues.filter((q) => this.vhosts.has(q.vhost)).map((q) => `${encodeURIComponent(q.vhost)}/${q.name}`));
    for (const vhost of this.vhosts.values()) {
      for (const exchange of vhost.topology.exchanges()) if (exchange.type.isDelayed) known.add(vhost.delayed.storeId(exchange.name));
    }
    for (const queueId of await storage.messages.queueIds()) {
      if (!known.has(queueId)) await storage.messages.deleteQueue(queueId);
    }
    this.quarantined = (await storage.messages.verifyIntegrity({ quick: true })).quarantined;
    return recovered;
  }

  /**
   * The store's full integrity check (every message record against counters and index records), meant to run in
   * the background once serving: records what it finds in `quarantined` and `integrityProblems` (the queues keep
   * serving their intact messages; a missing record is never served) and resolves with the report.
   */
  async checkIntegrity(): Promise<IntegrityReport | undefined> {
    const storage = this.storage;
    if (storage === undefined) return undefined;
    const report = await storage.messages.verifyIntegrity({ background: true });
    this.quarantined = report.quarantined;
    this.integrityProblems = integrityDetails(report);
    return report;
  }

  private restoreAccess(records: readonly MetadataRecord[]): void {
    this.users.attachStorage(this.storage!.metadata);
    this.permissions.attachStorage(this.storage!.metadata);
    this.users.restore(records);
    this.permissions.restore(records);
  }

  /**
   * The stored vhosts replace the default `/`. A store without vhost records (first start, or written before vhosts
   * were stored) keeps `/` and records it, so deleting `/` later survives a restart.
   */
  private async restoreVhosts(records: readonly MetadataRecord[], storage: BrokerStorage): Promise<void> {
    const names = records.filter((r) => r.kind === 'vhost').map((r) => (JSON.parse(r.value.toString('utf8')) as VhostRecordValue).name);
    if (names.length === 0) {
      await storage.metadata.apply([...this.vhosts.keys()].map(vhostPut));
      return;
    }
    for (const [name, vhost] of this.vhosts) {
      if (!names.includes(name)) {
        vhost.dispose();
        this.vhosts.delete(name);
      }
    }
    for (const name of names) this.addVhost(name);
  }

  /** Stops every timer (TTL, expiry, delayed messages) and the password-hashing worker at shutdown. */
  dispose(): void {
    for (const vhost of this.vhosts.values()) vhost.dispose();
    void this.users.close();
  }

  /** Looks a virtual host up. */
  getVhost(name: string): VirtualHost | undefined {
    return this.vhosts.get(name);
  }

  /** Every virtual host. */
  allVhosts(): IterableIterator<VirtualHost> {
    return this.vhosts.values();
  }
}

function vhostPut(name: string): MetadataOp {
  const value: VhostRecordValue = { name };
  return { type: 'put', kind: 'vhost', key: name, value: Buffer.from(JSON.stringify(value)) };
}

/** One line per mismatch and error of an integrity report. */
function integrityDetails(report: IntegrityReport): string[] {
  return [...report.queues.map((q) => `queue ${q.queueId}: expected ${q.expected} messages, found ${q.found}`), ...report.errors];
}
