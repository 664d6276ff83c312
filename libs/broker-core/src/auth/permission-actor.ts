import type { TopologyActor, TopologyCommand } from '../vhost/topology-command.js';
import type { PermissionStore } from './permission-store.js';
import { VhostAccess } from './vhost-access.js';

/** What a {@link PermissionActor} needs of the broker core: the grants and the vhosts' exchanges. */
export interface PermissionSource {
  readonly permissions: PermissionStore;
  getVhost(
    name: string,
  ): { readonly topology: { getExchange(name: string): { readonly type: { readonly name: string } } | undefined } } | undefined;
}

/**
 * A {@link TopologyActor} that applies one user's permissions: an AMQP connection's (one vhost) or a management
 * caller's (any vhost, one {@link VhostAccess} each). RabbitMQ applies the same permissions to every user,
 * administrators included.
 */
export class PermissionActor implements TopologyActor {
  private readonly byVhost = new Map<string, VhostAccess>();

  /**
   * @param owner owns the exclusive queues the actor declares (a connection, the management service).
   * @param clientId client-properties `client_id`, for `{client_id}` in topic permissions.
   */
  constructor(
    readonly owner: object,
    private readonly source: PermissionSource,
    readonly user: string,
    private readonly clientId?: string,
  ) {}

  /** The user's permissions in `vhost` (compiled lazily, kept for the actor's lifetime). */
  accessTo(vhost: string): VhostAccess {
    let access = this.byVhost.get(vhost);
    if (!access) this.byVhost.set(vhost, (access = new VhostAccess(this.source.permissions, this.user, vhost, this.clientId)));
    return access;
  }

  /** The permission hook of `VirtualHost.execute`. */
  authorize(command: TopologyCommand, vhost: string): void {
    const topology = this.source.getVhost(vhost)?.topology;
    this.accessTo(vhost).authorize(command, topology && { exchangeType: (name) => topology.getExchange(name)?.type.name });
  }
}
