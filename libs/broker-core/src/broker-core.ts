import { UserStore } from './auth/user-store.js';
import { VirtualHost } from './vhost/virtual-host.js';

/**
 * The broker's state without any networking: virtual hosts and users.
 * The AMQP layer (apps/broker) and the management API both act on it.
 */
export class BrokerCore {
  readonly users = new UserStore();
  private readonly vhosts = new Map<string, VirtualHost>();

  constructor() {
    this.addVhost('/');
  }

  /** Creates a virtual host (idempotent). */
  addVhost(name: string): VirtualHost {
    let vhost = this.vhosts.get(name);
    if (!vhost) {
      vhost = new VirtualHost(name);
      this.vhosts.set(name, vhost);
    }
    return vhost;
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
