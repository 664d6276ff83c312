import { readdir, statfs } from 'node:fs/promises';
import { availableParallelism, hostname } from 'node:os';
import { ManagementPattern } from '@app/management-contract';
import { ManagementError } from './management-error.js';
import type { ManagementHost } from './management-host.js';
import { stringField, type ManagementHandler } from './management-request.js';

// RabbitMQ's `/api/nodes`: the one Warren node's memory, disk, file descriptors and sockets, in the node object's
// field names so tools (and the console's overview) that read RabbitMQ's node object work unchanged.

/** The node's name in every management answer (RabbitMQ's `rabbit@host`). */
export const NODE_NAME = `warren@${hostname()}`;

/** The listeners the node has open, as the overview's `listeners` lists them. */
export function listenersOf(host: ManagementHost): Array<Record<string, unknown>> {
  const listeners: Array<Record<string, unknown>> = [{ node: NODE_NAME, protocol: 'amqp', port: host.port }];
  if (host.amqpsPort !== undefined) listeners.push({ node: NODE_NAME, protocol: 'amqp/ssl', port: host.amqpsPort });
  if (host.managementPort !== undefined) listeners.push({ node: NODE_NAME, protocol: 'warren-management', port: host.managementPort });
  if (host.metricsPort !== undefined) listeners.push({ node: NODE_NAME, protocol: 'http/prometheus', port: host.metricsPort });
  return listeners;
}

async function diskFree(path: string | undefined): Promise<number | undefined> {
  if (path === undefined) return undefined;
  try {
    const stats = await statfs(path);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

async function openFileDescriptors(): Promise<number | undefined> {
  try {
    return (await readdir('/proc/self/fd')).length;
  } catch {
    // Not Linux: RabbitMQ reports 'unknown' there too.
    return undefined;
  }
}

async function nodeJson(host: ManagementHost): Promise<Record<string, unknown>> {
  const [diskFreeBytes, fdUsed] = await Promise.all([diskFree(host.diskPath), openFileDescriptors()]);
  let sockets = 0;
  for (const connection of host.allConnections()) if (connection.state !== 'closed') sockets++;
  return {
    name: NODE_NAME,
    type: 'disc',
    running: true,
    being_drained: false,
    os_pid: String(process.pid),
    uptime: Math.round(process.uptime() * 1000),
    processors: availableParallelism(),
    run_queue: 0,
    mem_used: process.memoryUsage.rss(),
    mem_limit: host.memoryLimitBytes,
    mem_alarm: host.alarmState.memory,
    disk_free: diskFreeBytes,
    disk_free_limit: host.diskFreeLimitBytes,
    disk_free_alarm: host.alarmState.disk,
    fd_used: fdUsed,
    sockets_used: sockets,
    sockets_total: host.config?.maxConnections,
    listeners: listenersOf(host),
  };
}

/** Every node (one). */
const listNodes: ManagementHandler = async (_data, { host }) => [await nodeJson(host)];

/** One node by name, or 404 (RabbitMQ answers 404 for a node outside the cluster). */
const getNode: ManagementHandler = async (data, { host }) => {
  if (stringField(data, 'name') !== NODE_NAME) throw ManagementError.notFound();
  return nodeJson(host);
};

/** Node RPCs, by pattern. */
export const nodeHandlers = {
  [ManagementPattern.NodesList]: listNodes,
  [ManagementPattern.NodesGet]: getNode,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
