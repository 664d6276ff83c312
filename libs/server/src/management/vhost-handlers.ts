import { AccessControlError, type VirtualHost } from '@app/broker-core';
import { MANAGEMENT_VHOST, ManagementPattern } from '@app/management-contract';
import { ManagementError } from './management-error.js';
import { requireVhost, stringField, type ManagementHandler } from './management-request.js';

// `/api/vhosts`: the list (what the caller sees), one vhost, and creating or deleting one (administrators; the
// authorization table in request-authorization.ts).

/** A vhost as RabbitMQ's `/api/vhosts` prints it (Warren keeps no description or tags: they are always empty). */
export function jsonOfVhost(vhost: VirtualHost): Record<string, unknown> {
  let ready = 0;
  let unacked = 0;
  for (const queue of vhost.allQueues()) {
    ready += queue.messageCount;
    unacked += queue.unackedCount;
  }
  return {
    name: vhost.name,
    description: '',
    tags: [],
    default_queue_type: 'classic',
    metadata: { description: '', tags: [] },
    messages: ready + unacked,
    messages_ready: ready,
    messages_unacknowledged: unacked,
    tracing: false,
  };
}

/** Monitors and administrators see every vhost, others those they have permissions on (`list_visible_vhosts`). */
const listVhosts: ManagementHandler = (_data, { host, access }) =>
  [...host.core.allVhosts()].filter((vhost) => access.seesVhost(vhost.name)).map(jsonOfVhost);

const getVhost: ManagementHandler = (data, { host }) => jsonOfVhost(requireVhost(host, stringField(data, 'vhost')));

/** 201 when created, 204 when it existed (RabbitMQ's PUT is idempotent). */
const putVhost: ManagementHandler = async (data, { host }) => {
  const name = stringField(data, 'vhost');
  if (name === '') throw ManagementError.badRequest('a vhost name must not be empty');
  if (host.core.getVhost(name)) return { created: false };
  try {
    await host.core.createVhost(name);
    return { created: true };
  } catch (error) {
    // Another request created it meanwhile: the PUT still holds.
    if (error instanceof AccessControlError && error.code === 'already-exists') return { created: false };
    throw error;
  }
};

/**
 * Deletes a vhost with its queues, messages, exchanges, bindings and permissions, closing its connections. The
 * vhost the admin API's own management connection opens is refused: deleting it would cut the API off its broker.
 */
const deleteVhost: ManagementHandler = async (data, { host }) => {
  const name = stringField(data, 'vhost');
  if (name === MANAGEMENT_VHOST) {
    throw ManagementError.badRequest(`vhost '${name}' carries the admin API's management connection and cannot be deleted`);
  }
  if (!(await host.core.deleteVhost(name))) throw ManagementError.notFound();
  return {};
};

/** Vhost RPCs, by pattern. */
export const vhostHandlers = {
  [ManagementPattern.VhostsList]: listVhosts,
  [ManagementPattern.VhostsGet]: getVhost,
  [ManagementPattern.VhostsPut]: putVhost,
  [ManagementPattern.VhostsDelete]: deleteVhost,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
