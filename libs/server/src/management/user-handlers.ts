import { AccessControlError, formatPasswordHash, type User } from '@app/broker-core';
import { ManagementPattern, type UserJson } from '@app/management-contract';
import { DefinitionsError, userSpecOf } from '../definitions/definitions-import.js';
import { ManagementError } from './management-error.js';
import { stringField, type ManagementHandler, type RequestData } from './management-request.js';

// `/api/users`: administrators only (request-authorization.ts). Passwords are hashed by the broker's user store and
// never echoed, logged or put in an error text; the hash is shown as RabbitMQ shows it (definitions export too).

/** A user as RabbitMQ 3.9+ prints it: its hash (Warren's scrypt under `warren_password_hashing_scrypt`) and tags as an array. */
export function jsonOfUser(user: User): UserJson {
  const { password_hash, hashing_algorithm } = formatPasswordHash({
    algorithm: user.hashingAlgorithm ?? 'scrypt',
    salt: user.salt,
    hash: user.hash,
  });
  return { name: user.name, password_hash, hashing_algorithm, tags: [...user.tags], limits: {} };
}

function requireUser(data: RequestData, users: { getUser(name: string): User | undefined }): User {
  const user = users.getUser(stringField(data, 'name'));
  if (!user) throw ManagementError.notFound();
  return user;
}

const listUsers: ManagementHandler = (_data, { host }) => host.core.users.list().map(jsonOfUser);

/** Users with no permissions in any vhost (RabbitMQ's `/api/users/without-permissions`). */
const usersWithoutPermissions: ManagementHandler = (_data, { host }) => {
  const granted = new Set(host.core.permissions.list().map((entry) => entry.user));
  return host.core.users
    .list()
    .filter((user) => !granted.has(user.name))
    .map(jsonOfUser);
};

const getUser: ManagementHandler = (data, { host }) => jsonOfUser(requireUser(data, host.core.users));

/**
 * Creates or replaces a user (201 / 204): `password`, or `password_hash` with `hashing_algorithm`, or neither (a
 * user without password, as RabbitMQ's `put_user`); both is 400. A new password closes the user's connections.
 */
const putUser: ManagementHandler = async (data, { host }) => {
  const name = stringField(data, 'name');
  if (name === '') throw ManagementError.badRequest('a user name must not be empty');
  if (data.password !== undefined && data.password_hash !== undefined) {
    throw ManagementError.badRequest('both_password_and_password_hash_are_provided');
  }
  let spec;
  try {
    spec = userSpecOf({ ...data, name }).spec;
  } catch (error) {
    if (error instanceof DefinitionsError) throw ManagementError.badRequest(error.message);
    throw error;
  }
  try {
    return { created: (await host.core.users.putUser(name, spec)).created };
  } catch (error) {
    if (error instanceof AccessControlError) throw ManagementError.badRequest(error.message);
    throw error;
  }
};

/** Deletes a user with its permissions and closes its connections; 404 when unknown. */
const deleteUser: ManagementHandler = async (data, { host }) => {
  if (!(await host.core.users.deleteUser(stringField(data, 'name')))) throw ManagementError.notFound();
  return {};
};

/** `POST /api/users/bulk-delete` `{"users": [...]}`: unknown names are skipped, as RabbitMQ does. */
const bulkDeleteUsers: ManagementHandler = async (data, { host }) => {
  const names = data.users;
  if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) {
    throw ManagementError.badRequest("'users' must be an array of user names");
  }
  await Promise.all(names.map((name: string) => host.core.users.deleteUser(name)));
  return {};
};

/** User RPCs, by pattern. */
export const userHandlers = {
  [ManagementPattern.UsersList]: listUsers,
  [ManagementPattern.UsersWithoutPermissions]: usersWithoutPermissions,
  [ManagementPattern.UsersGet]: getUser,
  [ManagementPattern.UsersPut]: putUser,
  [ManagementPattern.UsersDelete]: deleteUser,
  [ManagementPattern.UsersBulkDelete]: bulkDeleteUsers,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
