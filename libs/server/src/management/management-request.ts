import type { PermissionActor, Queue, TopologyCommand, TopologyResults, VirtualHost } from '@app/broker-core';
import type { ManagementCaller } from '@app/management-contract';
import type { Exchange } from '@app/routing';
import type { CallerAccess } from './caller-access.js';
import { asDirectRequest, ManagementError } from './management-error.js';
import type { ManagementHost } from './management-host.js';

/** The `data` of a management request: JSON from the admin API, already validated by its DTOs. */
export type RequestData = Readonly<Record<string, unknown>>;

/** What every handler gets besides the request data. */
export interface ManagementContext {
  readonly host: ManagementHost;
  /**
   * Runs topology commands for HTTP requests with the caller's permissions (`actor.accessTo(vhost)` checks publish,
   * get and purge); its owner owns queues declared over HTTP (never exclusive, so it only matters for
   * exclusive-access checks).
   */
  readonly actor: PermissionActor;
  /** The HTTP user the request acts for (authorized before the handler runs). */
  readonly caller: ManagementCaller;
  /** What the caller's tags and permissions let it see and do. */
  readonly access: CallerAccess;
}

/** One management RPC: its result becomes the reply's `response`; a throw becomes `err`. */
export type ManagementHandler = (data: RequestData, context: ManagementContext) => unknown;

/** A required string field (the admin API's DTOs guarantee it; a direct AMQP caller may not). */
export function stringField(data: RequestData, key: string): string {
  const value = data[key];
  if (typeof value !== 'string') throw ManagementError.badRequest(`'${key}' must be a string`);
  return value;
}

/** An optional string field. */
export function optionalString(data: RequestData, key: string): string | undefined {
  const value = data[key];
  return typeof value === 'string' ? value : undefined;
}

/** A boolean field with a default. */
export function booleanField(data: RequestData, key: string, fallback: boolean): boolean {
  const value = data[key];
  return typeof value === 'boolean' ? value : fallback;
}

/** The named vhost, or 404. */
export function requireVhost(host: ManagementHost, name: string): VirtualHost {
  const vhost = host.core.getVhost(name);
  if (!vhost) throw ManagementError.notFound();
  return vhost;
}

/**
 * The vhosts a list request covers: the named one (404 if missing), or all the caller reaches (RabbitMQ's
 * `filter_vhost`: administrators every vhost, others those they have permissions on).
 */
export function vhostsOf(host: ManagementHost, data: RequestData, access: CallerAccess): VirtualHost[] {
  const name = optionalString(data, 'vhost');
  return name === undefined ? [...host.core.allVhosts()].filter((vhost) => access.reachesVhost(vhost.name)) : [requireVhost(host, name)];
}

/** RabbitMQ names the default exchange `amq.default` in URLs. */
export function exchangeNameOf(name: string): string {
  return name === 'amq.default' ? '' : name;
}

/** The named exchange, or 404. */
export function requireExchange(vhost: VirtualHost, name: string): Exchange<Queue> {
  const exchange = vhost.topology.getExchange(exchangeNameOf(name));
  if (!exchange) throw ManagementError.notFound();
  return exchange;
}

/** The named queue, or 404 (the management queue is not in any vhost's queue table, so it is never found). */
export function requireQueue(vhost: VirtualHost, name: string): Queue {
  const queue = vhost.getQueue(name);
  if (!queue) throw ManagementError.notFound();
  return queue;
}

/**
 * Runs a topology command as the management service and waits for its storage write, so a 2xx means it is on disk.
 * A 403 (permission, reserved name) is 401 `Access refused.`, as RabbitMQ's management plugin answers a refused
 * declare, delete or bind (its `direct_request`).
 */
export async function persisted<C extends TopologyCommand>(
  vhost: VirtualHost,
  command: C,
  context: ManagementContext,
): Promise<TopologyResults[C['kind']]> {
  const outcome = asDirectRequest(() => vhost.execute(command, context.actor));
  await outcome.written;
  return outcome.result;
}
