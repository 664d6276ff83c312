import { readdir, statfs } from 'node:fs/promises';
import { availableParallelism, hostname } from 'node:os';
import { ManagementPattern } from '@app/management-contract';
import type { ClusterNode } from '@app/storage';
import { ManagementError } from './management-error.js';
import type { ManagementHost } from './management-host.js';
import { stringField, type ManagementHandler } from './management-request.js';

// RabbitMQ's `/api/nodes`: this Warren node's memory, disk, file descriptors and sockets, in the node object's
// field names so tools (and the console's overview) that read RabbitMQ's node object work unchanged; in multi-node
// mode also every other live node, with what the shared store knows of it.

/** The default node name (RabbitMQ's `rabbit@host`), `WARREN_NODE_NAME`'s default. */
export const NODE_NAME = `warren@${hostname()}`;

/** The name of the node a management host runs. */
export function nodeNameOf(host: ManagementHost): string {
  return host.nodeName ?? NODE_NAME;
}

/** The listeners the node has open, as the overview's `listeners` lists them. */
export function listenersOf(host: ManagementHost): Array<Record<string, unknown>> {
  const node = nodeNameOf(host);
  const listeners: Array<Record<string, unknown>> = [{ node, protocol: 'amqp', port: host.port }];
  if (host.amqpsPort !== undefined) listeners.push({ node, protocol: 'amqp/ssl', port: host.amqpsPort });
  if (host.managementPort !== undefined) listeners.push({ node, protocol: 'warren-management', port: host.managementPort });
  if (host.metricsPort !== undefined) listeners.push({ node, protocol: 'http/prometheus', port: host.metricsPort });
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
    name: nodeNameOf(host),
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

/** Another live node of the cluster: what the shared store knows (RabbitMQ's fields; the rest it does not report). */
function remoteNodeJson(node: ClusterNode): Record<string, unknown> {
  return {
    name: node.name,
    type: 'disc',
    running: true,
    being_drained: false,
    os_pid: node.info['pid'] === undefined ? undefined : String(node.info['pid']),
    uptime: Math.max(0, Date.now() - node.startedAt.getTime()),
    lease_expires_at: node.leaseExpiresAt.toISOString(),
  };
}

/** Every node: this one, and in multi-node mode every other live one, by name. */
async function allNodes(host: ManagementHost): Promise<Array<Record<string, unknown>>> {
  const own = await nodeJson(host);
  if (host.cluster === undefined) return [own];
  const name = nodeNameOf(host);
  const live = await host.cluster.liveNodes();
  const nodes = live.map((node) => (node.name === name ? own : remoteNodeJson(node)));
  if (!live.some((node) => node.name === name)) nodes.push(own);
  return nodes.sort((a, b) => String(a['name']).localeCompare(String(b['name'])));
}

const listNodes: ManagementHandler = async (_data, { host }) => allNodes(host);

/** One node by name, or 404 (RabbitMQ answers 404 for a node outside the cluster). */
const getNode: ManagementHandler = async (data, { host }) => {
  const name = stringField(data, 'name');
  if (name === nodeNameOf(host)) return nodeJson(host);
  const node = (await allNodes(host)).find((candidate) => candidate['name'] === name);
  if (node === undefined) throw ManagementError.notFound();
  return node;
};

/** Node RPCs, by pattern. */
export const nodeHandlers = {
  [ManagementPattern.NodesList]: listNodes,
  [ManagementPattern.NodesGet]: getNode,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
