import { ManagementPattern } from '@app/management-contract';
import type { CallerAccess } from './caller-access.js';
import type { RequestData } from './management-request.js';

/**
 * Who may send a request, after the caller passed {@link authorizeCaller} (a management-ish tag), as RabbitMQ's
 * management plugin checks its routes:
 * - `any`: every management user (`is_authorized`); what it lists is filtered by the handler;
 * - `vhost`: when the request names an existing vhost, the caller must reach it (`is_authorized_vhost`: 401
 *   `User not authorised to access virtual host`); a missing vhost is the handler's 404;
 * - `monitor`: monitoring and administrator tags (`is_authorized_monitor`: 401 `Not monitor user`);
 * - `admin`: administrators only (`is_authorized_admin`: 401 `Not administrator user`);
 * - `object`: the handler checks the object's owner (connections: `is_authorized_user`).
 */
type Rule = 'any' | 'vhost' | 'monitor' | 'admin' | 'object';

const RULES: Readonly<Record<ManagementPattern, Rule>> = {
  [ManagementPattern.Authenticate]: 'any',
  [ManagementPattern.Whoami]: 'any',
  [ManagementPattern.NodesList]: 'monitor',
  [ManagementPattern.NodesGet]: 'monitor',
  [ManagementPattern.Overview]: 'any',
  [ManagementPattern.VhostsList]: 'any',
  [ManagementPattern.VhostsGet]: 'admin',
  [ManagementPattern.VhostsPut]: 'admin',
  [ManagementPattern.VhostsDelete]: 'admin',
  [ManagementPattern.ConnectionsList]: 'vhost',
  [ManagementPattern.ConnectionsGet]: 'object',
  [ManagementPattern.ConnectionsClose]: 'object',
  [ManagementPattern.ChannelsList]: 'vhost',
  // A channel, and a connection's channels, are their connection's user's (`is_authorized_user`), like the connection.
  [ManagementPattern.ChannelsGet]: 'object',
  [ManagementPattern.ConnectionsChannels]: 'object',
  [ManagementPattern.ConsumersList]: 'vhost',
  [ManagementPattern.HealthAlarms]: 'any',
  [ManagementPattern.HealthStorage]: 'any',
  [ManagementPattern.HealthCheck]: 'any',
  [ManagementPattern.ExchangesList]: 'vhost',
  [ManagementPattern.ExchangesGet]: 'vhost',
  [ManagementPattern.ExchangesDeclare]: 'vhost',
  [ManagementPattern.ExchangesDelete]: 'vhost',
  [ManagementPattern.ExchangesBindings]: 'vhost',
  [ManagementPattern.ExchangesPublish]: 'vhost',
  [ManagementPattern.ExchangesRoute]: 'vhost',
  [ManagementPattern.QueuesList]: 'vhost',
  [ManagementPattern.QueuesPage]: 'vhost',
  [ManagementPattern.QueuesGet]: 'vhost',
  [ManagementPattern.QueuesDeclare]: 'vhost',
  [ManagementPattern.QueuesDelete]: 'vhost',
  [ManagementPattern.QueuesBindings]: 'vhost',
  [ManagementPattern.QueuesGetMessages]: 'vhost',
  [ManagementPattern.QueuesPurge]: 'vhost',
  [ManagementPattern.BindingsList]: 'vhost',
  [ManagementPattern.BindingsGet]: 'vhost',
  [ManagementPattern.BindingsCreate]: 'vhost',
  [ManagementPattern.BindingsDelete]: 'vhost',
  [ManagementPattern.DefinitionsExport]: 'admin',
  [ManagementPattern.DefinitionsImport]: 'admin',
  [ManagementPattern.DefinitionsExportVhost]: 'admin',
  [ManagementPattern.DefinitionsImportVhost]: 'admin',
  [ManagementPattern.UsersList]: 'admin',
  [ManagementPattern.UsersWithoutPermissions]: 'admin',
  [ManagementPattern.UsersGet]: 'admin',
  [ManagementPattern.UsersPut]: 'admin',
  [ManagementPattern.UsersDelete]: 'admin',
  [ManagementPattern.UsersBulkDelete]: 'admin',
  [ManagementPattern.PermissionsList]: 'admin',
  [ManagementPattern.PermissionsGet]: 'admin',
  [ManagementPattern.PermissionsPut]: 'admin',
  [ManagementPattern.PermissionsDelete]: 'admin',
  [ManagementPattern.TopicPermissionsList]: 'admin',
  [ManagementPattern.TopicPermissionsGet]: 'admin',
  [ManagementPattern.TopicPermissionsPut]: 'admin',
  [ManagementPattern.TopicPermissionsDelete]: 'admin',
};

/** Throws 401 when the caller may not send this request at all (see {@link Rule}). */
export function authorizeRequest(
  pattern: ManagementPattern,
  data: RequestData,
  access: CallerAccess,
  vhostExists: (name: string) => boolean,
): void {
  const rule = RULES[pattern];
  if (rule === 'admin') access.requireAdministrator();
  else if (rule === 'monitor') access.requireMonitor();
  else if (rule === 'vhost' && typeof data.vhost === 'string') access.requireVhost(data.vhost, vhostExists(data.vhost));
}
