import { ManagementPattern } from '@app/management-contract';
import { certificatesExpiringBy } from '@app/config';
import { ManagementError } from './management-error.js';
import type { ManagementHost } from './management-host.js';
import { optionalString, stringField, type ManagementHandler, type RequestData } from './management-request.js';

// RabbitMQ's health checks that the broker answers (`/api/health/checks/<name>`), behind one RPC,
// `management.health.check`, whose `check` names the check. Each answers RabbitMQ's shape: `{status: 'ok', ...}` or
// `{status: 'failed', reason, ...}` (the admin API turns 'failed' into 503). The broker runs none of them before it
// has recovered its store: the management listener only opens after recovery, so while the broker recovers the admin
// API cannot reach it and every check fails with 503.

/** A listener as RabbitMQ's checks name it: `amqp` (AMQP 0-9-1), `amqp/ssl`, and Warren's management listener. */
interface Listener {
  protocol: string;
  port: number;
}

/** The broker's listeners (the admin API adds its own `http` or `https` one). */
function listenersOf(host: ManagementHost): Listener[] {
  const listeners: Listener[] = [{ protocol: 'amqp', port: host.port }];
  if (host.amqpsPort !== undefined) listeners.push({ protocol: 'amqp/ssl', port: host.amqpsPort });
  if (host.managementPort !== undefined) listeners.push({ protocol: 'warren-management', port: host.managementPort });
  return listeners;
}

/** RabbitMQ accepts several spellings of a protocol (`amqp091`, `amqps`, …); this is its normalisation, for ours. */
export function normalizeProtocol(protocol: string): string {
  const name = protocol.toLowerCase();
  if (['amqp', 'amqp091', 'amqp0.9.1', 'amqp0-9-1', 'amqp-0-9-1'].includes(name)) return 'amqp';
  if (['amqps', 'amqp/ssl', 'amqp091/ssl', 'amqp0-9-1/ssl', 'amqp0.9.1/ssl'].includes(name)) return 'amqp/ssl';
  return name;
}

function numberField(data: RequestData, key: string): number {
  const value = data[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw ManagementError.badRequest(`'${key}' must be a non-negative number`);
  return value;
}

function openClientConnections(host: ManagementHost): number {
  let open = 0;
  for (const connection of host.allConnections()) if (connection.state !== 'closed' && !connection.isManagement) open++;
  return open;
}

const CHECKS: Record<string, (host: ManagementHost, data: RequestData) => Record<string, unknown>> = {
  /** One node: the node's alarms are the cluster's. */
  'local-alarms': (host) => {
    const alarms = host.alarmState;
    const active = [alarms.memory ? 'memory' : '', alarms.disk ? 'disk' : ''].filter(Boolean);
    return active.length === 0
      ? { status: 'ok' }
      : { status: 'failed', reason: `resource alarm(s) in effect: ${active.join(', ')}`, alarms: active };
  },
  'certificate-expiration': (host, data) => {
    const deadline = new Date(Date.now() + numberField(data, 'within_seconds') * 1000);
    if (host.amqpsPort === undefined) return { status: 'ok' };
    const expired = [host.config?.tlsCertFile, host.config?.tlsCaFile]
      .filter((file): file is string => file !== undefined)
      .flatMap((file) => certificatesExpiringBy(file, deadline))
      .map((certificate) => ({ protocol: 'amqp/ssl', port: host.amqpsPort, ...certificate }));
    return expired.length === 0 ? { status: 'ok' } : { status: 'failed', reason: 'Certificates expiring', expired };
  },
  'port-listener': (host, data) => {
    const port = numberField(data, 'port');
    const ports = listenersOf(host).map((listener) => listener.port);
    return ports.includes(port) ? { status: 'ok', port } : { status: 'failed', reason: 'No active listener', missing: port, ports };
  },
  'protocol-listener': (host, data) => {
    const protocol = normalizeProtocol(stringField(data, 'protocol'));
    const protocols = listenersOf(host).map((listener) => listener.protocol);
    return protocols.includes(protocol)
      ? { status: 'ok', protocol }
      : { status: 'failed', reason: 'No active listener', missing: protocol, protocols };
  },
  /** Warren's vhosts have no separate processes that could be down: every vhost that exists is running. */
  'virtual-hosts': () => ({ status: 'ok' }),
  /** One node and no replicated queues: no queue depends on this node for its quorum or its mirrors. */
  'node-is-quorum-critical': () => ({ status: 'ok' }),
  'node-is-mirror-sync-critical': () => ({ status: 'ok' }),
  /** Booted (store recovered), listening, and not being drained (Warren has no maintenance mode). */
  'is-in-service': (host) => (host.port > 0 ? { status: 'ok' } : { status: 'failed', reason: 'the node is not serving clients' }),
  /**
   * RabbitMQ's composite readiness: in service, an AMQP listener up, and below the node's connection limit (a load
   * balancer sends no new clients to a node that would refuse them).
   */
  'ready-to-serve-clients': (host, data) => {
    for (const check of ['is-in-service', 'below-node-connection-limit'] as const) {
      const answer = CHECKS[check](host, data);
      if (answer.status !== 'ok') return answer;
    }
    const listener = CHECKS['protocol-listener'](host, { protocol: 'amqp' });
    return listener.status === 'ok' ? { status: 'ok' } : listener;
  },
  'below-node-connection-limit': (host) => {
    const limit = host.config?.maxConnections ?? 0;
    const connections = openClientConnections(host);
    if (limit === 0 || connections < limit) return { status: 'ok' };
    return { status: 'failed', reason: `the node has reached its connection limit (${connections} of ${limit})`, limit, connections };
  },
  /** The store was opened and recovered (the broker answers only after that). */
  'metadata-store-initialized': () => ({ status: 'ok' }),
  'metadata-store-initialized-with-data': (host) => {
    const vhosts = [...host.core.allVhosts()].length;
    const users = host.core.users.list().length;
    return vhosts > 0 && users > 0
      ? { status: 'ok' }
      : { status: 'failed', reason: `the metadata store holds no ${vhosts === 0 ? 'virtual host' : 'user'}` };
  },
};

/** `management.health.check`: the check named by `check`. */
const healthCheck: ManagementHandler = (data, { host }) => {
  const name = optionalString(data, 'check') ?? '';
  const check = CHECKS[name];
  if (!check) throw ManagementError.notFound();
  return check(host, data);
};

/** Health-check RPCs, by pattern. */
export const healthHandlers = {
  [ManagementPattern.HealthCheck]: healthCheck,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
