import { isLoopbackAddress, type PermissionStore, type User } from '@app/broker-core';
import type { ManagementCaller } from '@app/management-contract';
import { ManagementError } from './management-error.js';

// What a management caller may see and do, by tag, as RabbitMQ's management plugin decides it
// (`rabbit_mgmt_util`: is_mgmt_user, is_monitor, is_admin, list_login_vhosts, list_visible_vhosts, filter_user).

/** Tags that may use the management API at all (RabbitMQ's `is_mgmt_user`). */
const MANAGEMENT_TAGS: ReadonlySet<string> = new Set(['management', 'monitoring', 'policymaker', 'administrator']);

/**
 * One request's caller, with RabbitMQ's tag semantics:
 * - `administrator`: everything, every vhost;
 * - `monitoring`: sees every vhost in the vhost list and overview and every user's connections and channels, but
 *   queues, exchanges and bindings only of the vhosts it has permissions on (RabbitMQ's `filter_vhost`);
 * - `management`, `policymaker`: only the vhosts they have permissions on and their own connections.
 */
export class CallerAccess {
  readonly isAdministrator: boolean;
  readonly isMonitor: boolean;

  constructor(
    readonly user: User,
    private readonly permissions: Pick<PermissionStore, 'get'>,
  ) {
    this.isAdministrator = user.tags.includes('administrator');
    this.isMonitor = this.isAdministrator || user.tags.includes('monitoring');
  }

  /** Whether the user may log in to `vhost` (has permissions there: RabbitMQ's `list_login_vhosts`). */
  mayLogInTo(vhost: string): boolean {
    return this.permissions.get(this.user.name, vhost) !== undefined;
  }

  /** Whether objects of `vhost` (queues, exchanges, bindings, consumers) are listed and may be acted on (`is_authorized_vhost`, `filter_vhost`). */
  reachesVhost(vhost: string): boolean {
    return this.isAdministrator || this.mayLogInTo(vhost);
  }

  /** Whether `vhost` shows in the vhost list and the overview's totals (`list_visible_vhosts`). */
  seesVhost(vhost: string): boolean {
    return this.isMonitor || this.mayLogInTo(vhost);
  }

  /** Whether connections and channels of `user` are listed (`filter_user`): monitors see everyone's. */
  seesUser(user: string | undefined): boolean {
    return this.isMonitor || user === this.user.name;
  }

  /** Administrators only (`is_authorized_admin`), else 401 `Not administrator user`. */
  requireAdministrator(): void {
    if (!this.isAdministrator) throw ManagementError.notAuthorised('Not administrator user');
  }

  /** `is_authorized_vhost`: an existing vhost the caller cannot reach is 401 (a missing one is left to the handler's 404). */
  requireVhost(vhost: string, exists: boolean): void {
    if (exists && !this.reachesVhost(vhost)) throw ManagementError.notAuthorised('User not authorised to access virtual host');
  }
}

/**
 * The user a request acts for, or 401. The admin API verified the password (an AMQP login on the management
 * listener); only management connections reach this, so the broker believes the name and the HTTP client's address,
 * and checks what needs no password: the user exists, may use the management API, and (loopback-only users such as
 * `guest`) calls from loopback.
 */
export function authorizeCaller(caller: ManagementCaller, users: { getUser(name: string): User | undefined }): User {
  const user = users.getUser(caller.username);
  // A loopback-only user calling from elsewhere failed its password check already (the AMQP login refuses it the
  // same way), so it gets the same answer as a wrong password.
  if (!user || (user.isLoopbackOnly && !isLoopbackAddress(caller.remote_address))) throw ManagementError.notAuthorized('Login failed');
  if (!user.tags.some((tag) => MANAGEMENT_TAGS.has(tag))) throw ManagementError.notAuthorised('Not management user');
  return user;
}
