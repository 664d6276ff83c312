import { AccessControlError, type PermissionEntry, type TopicPermissionEntry } from '@app/broker-core';
import { ManagementPattern, type PermissionJson, type TopicPermissionJson } from '@app/management-contract';
import type { ManagementHost } from './management-host.js';
import { ManagementError } from './management-error.js';
import { optionalString, stringField, type ManagementHandler, type RequestData } from './management-request.js';

// `/api/permissions`, `/api/topic-permissions` and the per-user and per-vhost lists: administrators only
// (request-authorization.ts). Shapes, statuses and texts as RabbitMQ's management plugin.

function jsonOfPermission(entry: PermissionEntry): PermissionJson {
  return { user: entry.user, vhost: entry.vhost, configure: entry.configure, write: entry.write, read: entry.read };
}

function jsonOfTopicPermission(entry: TopicPermissionEntry): TopicPermissionJson {
  return { user: entry.user, vhost: entry.vhost, exchange: entry.exchange, write: entry.write, read: entry.read };
}

/** A list filter naming a user or vhost that does not exist is 404 (`/api/users/x/permissions`, `/api/vhosts/x/permissions`). */
function filterOf(data: RequestData, host: ManagementHost): { user?: string; vhost?: string } {
  const user = optionalString(data, 'user');
  const vhost = optionalString(data, 'vhost');
  if (user !== undefined && !host.core.users.getUser(user)) throw ManagementError.notFound();
  if (vhost !== undefined && !host.core.getVhost(vhost)) throw ManagementError.notFound();
  return { user, vhost };
}

/** The user and vhost a grant is addressed by, both existing: else RabbitMQ's 400 `vhost_or_user_not_found` (PUT) or 404. */
function grantTarget(data: RequestData, host: ManagementHost, isPut: boolean): { user: string; vhost: string } {
  const user = stringField(data, 'user');
  const vhost = stringField(data, 'vhost');
  if (!host.core.users.getUser(user) || !host.core.getVhost(vhost)) {
    throw isPut ? ManagementError.badRequest('vhost_or_user_not_found') : ManagementError.notFound();
  }
  return { user, vhost };
}

/** A regex refused by the store (does not compile, too long) is 400 with its reason. */
async function granting(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (error instanceof AccessControlError) throw ManagementError.badRequest(error.message);
    throw error;
  }
}

const listPermissions: ManagementHandler = (data, { host }) => host.core.permissions.list(filterOf(data, host)).map(jsonOfPermission);

const getPermission: ManagementHandler = (data, { host }) => {
  const { user, vhost } = grantTarget(data, host, false);
  const permissions = host.core.permissions.get(user, vhost);
  if (!permissions) throw ManagementError.notFound();
  return jsonOfPermission({ user, vhost, ...permissions });
};

/** 201 when the user had no permissions in the vhost, 204 when they were replaced. */
const putPermission: ManagementHandler = async (data, { host }) => {
  const { user, vhost } = grantTarget(data, host, true);
  const created = host.core.permissions.get(user, vhost) === undefined;
  const permissions = { configure: stringField(data, 'configure'), write: stringField(data, 'write'), read: stringField(data, 'read') };
  await granting(() => host.core.permissions.set(user, vhost, permissions));
  return { created };
};

const deletePermission: ManagementHandler = async (data, { host }) => {
  const { user, vhost } = grantTarget(data, host, false);
  if (!(await host.core.permissions.clear(user, vhost))) throw ManagementError.notFound();
  return {};
};

const listTopicPermissions: ManagementHandler = (data, { host }) =>
  host.core.permissions.listTopic(filterOf(data, host)).map(jsonOfTopicPermission);

/** A user's topic permissions in one vhost, one entry per exchange (404 when there are none). */
const getTopicPermissions: ManagementHandler = (data, { host }) => {
  const { user, vhost } = grantTarget(data, host, false);
  const entries = host.core.permissions.listTopic({ user, vhost });
  if (entries.length === 0) throw ManagementError.notFound();
  return entries.map(jsonOfTopicPermission);
};

/** 201 when the user had no topic permissions on that exchange, 204 when they were replaced. */
const putTopicPermission: ManagementHandler = async (data, { host }) => {
  const { user, vhost } = grantTarget(data, host, true);
  const exchange = stringField(data, 'exchange');
  const created = host.core.permissions.getTopic(user, vhost, exchange) === undefined;
  const permissions = { write: stringField(data, 'write'), read: stringField(data, 'read') };
  await granting(() => host.core.permissions.setTopic(user, vhost, exchange, permissions));
  return { created };
};

/** Clears the user's topic permissions in the vhost: on every exchange, or on the one named. */
const deleteTopicPermissions: ManagementHandler = async (data, { host }) => {
  const { user, vhost } = grantTarget(data, host, false);
  if (!(await host.core.permissions.clearTopic(user, vhost, optionalString(data, 'exchange')))) throw ManagementError.notFound();
  return {};
};

/** Permission RPCs, by pattern. */
export const permissionHandlers = {
  [ManagementPattern.PermissionsList]: listPermissions,
  [ManagementPattern.PermissionsGet]: getPermission,
  [ManagementPattern.PermissionsPut]: putPermission,
  [ManagementPattern.PermissionsDelete]: deletePermission,
  [ManagementPattern.TopicPermissionsList]: listTopicPermissions,
  [ManagementPattern.TopicPermissionsGet]: getTopicPermissions,
  [ManagementPattern.TopicPermissionsPut]: putTopicPermission,
  [ManagementPattern.TopicPermissionsDelete]: deleteTopicPermissions,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
