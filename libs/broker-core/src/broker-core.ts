import type { MetadataRecord, QuarantinedMessage } from '@app/storage';
import { StorageError } from '@app/storage';
import { UserStore } from './auth/user-store.js';
import { reportToStderr, type BackgroundErrorReporter } from './background-task.js';
import { BrokerStorage } from './persistence/broker-storage.js';
import { VirtualHost } from './vhost/virtual-host.js';

/**
 * The broker's state without any networking: virtual hosts and users.
 * The AMQP layer (apps/broker) and the management API both act on it.
 */
export class BrokerCore {
  readonly users = new UserStore();
  private readonly vhosts = new Map<string, VirtualHost>();
  /** Where errors thrown by timers of the core (queue expiry and TTL, delayed messages) are reported. */
  reportError: BackgroundErrorReporter = reportToStderr;

  constructor() {
    this.addVhost('/');
  }

  /** Creates a virtual host (idempotent). */
  addVhost(name: string): VirtualHost {
    let vhost = this.vhosts.get(name);
    if (!vhost) {
      vhost = new VirtualHost(name, (task, error) => this.reportError(task, error));
      this.vhosts.set(name, vhost);
    }
    return vhost;
  }

  /** The attached storage, if any. */
  storage?: BrokerStorage;
  /** Stored messages whose checksum failed at recovery: held out of their queues (the broker logs each). */
  quarantined: readonly QuarantinedMessage[] = [];

  /**
   * Attaches storage and rebuilds everything durable from it: checks the store's integrity first and refuses
   * (StorageError CORRUPTED naming the path and the queues) rather than serve fewer messages silently. Single
   * damaged messages do not stop it: the store quarantines them while recovering (see `quarantined`).
   * Returns the number of messages recovered.
   */
  async recover(storage: BrokerStorage, path: string): Promise<number> {
    this.storage = storage;
    const report = await storage.messages.verifyIntegrity();
    if (report.queues.length > 0 || report.errors.length > 0) {
      const details = [
        ...report.queues.map((q) => `queue ${q.queueId}: expected ${q.expected} messages, found ${q.found}`),
        ...report.errors,
      ];
      throw new StorageError(
        'CORRUPTED',
        `storage: the data directory ${path} is damaged (${details.join('; ')}). Restore it from a backup, or move it away to start empty.`,
        { path },
      );
    }
    const records: MetadataRecord[] = await storage.metadata.load();
    const queues = BrokerStorage.queueRecords(records);
    let recovered = 0;
    for (const vhost of this.vhosts.values()) {
      vhost.attachStorage(storage);
      recovered += await vhost.restore(records, queues, storage.messages);
    }
    // Messages of queues that no longer have a record (deleted while a write was in flight) are garbage.
    const known = new Set(queues.map((q) => `${encodeURIComponent(q.vhost)}/${q.name}`));
    for (const vhost of this.vhosts.values()) {
      for (const exchange of vhost.topology.exchanges()) if (exchange.type.isDelayed) known.add(vhost.delayed.storeId(exchange.name));
    }
    for (const queueId of await storage.messages.queueIds()) {
      if (!known.has(queueId)) await storage.messages.deleteQueue(queueId);
    }
    this.quarantined = (await storage.messages.verifyIntegrity()).quarantined;
    return recovered;
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
