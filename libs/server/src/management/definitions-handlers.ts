import { BROKER_ACTOR, type Queue, type VirtualHost } from '@app/broker-core';
import { ManagementPattern } from '@app/management-contract';
import { DefinitionsError, importDefinitions } from '../definitions/definitions-import.js';
import { jsonOfTable } from './json-format.js';
import { ManagementError, toManagementFailure } from './management-error.js';
import { requireVhost, stringField, type ManagementHandler } from './management-request.js';
import { jsonOfUser } from './user-handlers.js';

// `GET/POST /api/definitions` and `/api/definitions/{vhost}`: RabbitMQ's definitions format, administrators only
// (request-authorization.ts). Users are exported with their hashes as RabbitMQ exports them (Warren's own scrypt
// hashes under `warren_password_hashing_scrypt`), so an export imported into another broker logs in unchanged.
// Imports share `definitions/definitions-import.ts` with `WARREN_DEFINITIONS_FILE`.

interface ExchangeDefinition {
  name: string;
  vhost: string;
  type: string;
  durable: boolean;
  auto_delete: boolean;
  internal: boolean;
  arguments: Record<string, unknown>;
}
interface QueueDefinition {
  name: string;
  vhost: string;
  durable: boolean;
  auto_delete: boolean;
  arguments: Record<string, unknown>;
}
interface BindingDefinition {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments: Record<string, unknown>;
}

function isPredeclared(name: string): boolean {
  return name === '' || name.startsWith('amq.');
}

interface TopologyDefinitions {
  exchanges: ExchangeDefinition[];
  queues: QueueDefinition[];
  bindings: BindingDefinition[];
}

/** The exchanges, queues and bindings of some vhosts, in definitions form (predeclared and exclusive ones left out). */
function topologyOf(vhosts: readonly VirtualHost[]): TopologyDefinitions {
  const exchanges: ExchangeDefinition[] = [];
  const queues: QueueDefinition[] = [];
  const bindings: BindingDefinition[] = [];
  for (const vhost of vhosts) {
    for (const exchange of vhost.topology.exchanges()) {
      if (isPredeclared(exchange.name)) continue;
      exchanges.push({
        name: exchange.name,
        vhost: vhost.name,
        type: exchange.type.name,
        durable: exchange.durable,
        auto_delete: exchange.autoDelete,
        internal: exchange.internal,
        arguments: jsonOfTable(exchange.arguments as never),
      });
    }
    for (const queue of vhost.allQueues()) {
      // Exclusive queues die with their connection: there is nothing to restore them into.
      if (queue.options.exclusive) continue;
      queues.push({
        name: queue.name,
        vhost: vhost.name,
        durable: queue.options.durable,
        auto_delete: queue.options.autoDelete,
        arguments: jsonOfTable(queue.options.arguments),
      });
    }
    for (const binding of vhost.topology.bindings()) {
      if (binding.destinationType === 'queue') {
        const queue = binding.destination as Queue;
        if (queue.options.exclusive) continue;
      }
      bindings.push({
        source: binding.source.name,
        vhost: vhost.name,
        destination: binding.destination.name,
        destination_type: binding.destinationType,
        routing_key: binding.routingKey,
        arguments: jsonOfTable(binding.arguments as never),
      });
    }
  }
  return { exchanges, queues, bindings };
}

const VERSIONS = { rabbit_version: '3.13.0', rabbitmq_version: '3.13.0', product_name: 'Warren', product_version: '0.1.0' };

const exportDefinitions: ManagementHandler = (_data, { host }) => {
  const vhosts = [...host.core.allVhosts()];
  const { permissions } = host.core;
  return {
    ...VERSIONS,
    users: host.core.users.list().map(jsonOfUser),
    vhosts: vhosts.map((vhost) => ({ name: vhost.name, description: '', tags: [], metadata: { description: '', tags: [] } })),
    permissions: permissions.list().map(({ user, vhost, configure, write, read }) => ({ user, vhost, configure, write, read })),
    topic_permissions: permissions.listTopic().map(({ user, vhost, exchange, write, read }) => ({ user, vhost, exchange, write, read })),
    parameters: [],
    global_parameters: [],
    policies: [],
    ...topologyOf(vhosts),
  };
};

/** One vhost's topology, entries without `vhost`, as RabbitMQ's `GET /api/definitions/{vhost}`. */
const exportVhostDefinitions: ManagementHandler = (data, { host }) => {
  const { exchanges, queues, bindings } = topologyOf([requireVhost(host, stringField(data, 'vhost'))]);
  const strip = <T extends { vhost: string }>(entries: T[]): Array<Omit<T, 'vhost'>> => entries.map(({ vhost: _vhost, ...rest }) => rest);
  return { ...VERSIONS, parameters: [], policies: [], exchanges: strip(exchanges), queues: strip(queues), bindings: strip(bindings) };
};

/** Runs an import, turning a bad document into 400 (or the AMQP failure's own status: 401 for a refused permission). */
async function importing(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof DefinitionsError)) throw error;
    const failure = error.amqpError === undefined ? undefined : toManagementFailure(error.amqpError);
    // A binding to a missing queue or exchange makes the document invalid: 400, not 404.
    if (failure && failure.status !== 404) throw new ManagementError(failure.status, failure.error, failure.reason);
    throw ManagementError.badRequest(failure?.reason ?? error.message);
  }
}

// Imports are for administrators only (request-authorization.ts) and, as RabbitMQ's, run without the caller's AMQP
// permissions: a file creates vhosts before anyone has permissions there.
const importHandler: ManagementHandler = async (data, { host, access }) => {
  await importing(() => importDefinitions(host.core, data, BROKER_ACTOR, { isAccessAllowed: access.isAdministrator }));
  return {};
};

/** `POST /api/definitions/{vhost}`: the topology only, every entry into that vhost (as RabbitMQ's per-vhost import). */
const importVhostHandler: ManagementHandler = async (data, { host }) => {
  const vhost = requireVhost(host, stringField(data, 'vhost')).name;
  const into = (key: string): object[] => (Array.isArray(data[key]) ? (data[key] as object[]).map((entry) => ({ ...entry, vhost })) : []);
  const document = { exchanges: into('exchanges'), queues: into('queues'), bindings: into('bindings') };
  await importing(() => importDefinitions(host.core, document, BROKER_ACTOR, { isAccessAllowed: false }));
  return {};
};

/** Definitions RPCs, by pattern. */
export const definitionsHandlers = {
  [ManagementPattern.DefinitionsExport]: exportDefinitions,
  [ManagementPattern.DefinitionsImport]: importHandler,
  [ManagementPattern.DefinitionsExportVhost]: exportVhostDefinitions,
  [ManagementPattern.DefinitionsImportVhost]: importVhostHandler,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
