import type { Queue } from '@app/broker-core';
import { ManagementPattern } from '@app/management-contract';
import { DefinitionsError, importDefinitions } from '../definitions/definitions-import.js';
import { jsonOfTable } from './json-format.js';
import { ManagementError, toManagementFailure } from './management-error.js';
import type { ManagementHandler } from './management-request.js';

// `GET/POST /api/definitions`: RabbitMQ's definitions format. Users are not exported: Warren's password hashes are
// scrypt, not RabbitMQ's format, and secrets must not leave through the API. Imports share
// `definitions/definitions-import.ts` with `WARREN_DEFINITIONS_FILE`.

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

const exportDefinitions: ManagementHandler = (_data, { host }) => {
  const exchanges: ExchangeDefinition[] = [];
  const queues: QueueDefinition[] = [];
  const bindings: BindingDefinition[] = [];
  const vhosts = [...host.core.allVhosts()];
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
  return {
    product_name: 'Warren',
    rabbit_version: '3.13.0',
    users: [],
    vhosts: vhosts.map((vhost) => ({ name: vhost.name })),
    permissions: host.core.permissions.list(),
    topic_permissions: host.core.permissions.listTopic(),
    parameters: [],
    policies: [],
    exchanges,
    queues,
    bindings,
  };
};

const importHandler: ManagementHandler = async (data, { host, actor, caller }) => {
  const isAdministrator = host.core.users.getUser(caller.username)?.tags.includes('administrator') === true;
  try {
    await importDefinitions(host.core, data, actor, { isAccessAllowed: isAdministrator });
  } catch (error) {
    if (!(error instanceof DefinitionsError)) throw error;
    const failure = error.amqpError === undefined ? undefined : toManagementFailure(error.amqpError);
    // A binding to a missing queue or exchange makes the document invalid: 400, not 404.
    if (failure && failure.status !== 404) throw new ManagementError(failure.status, failure.error, failure.reason);
    throw ManagementError.badRequest(failure?.reason ?? error.message);
  }
  return {};
};

/** Definitions RPCs, by pattern. */
export const definitionsHandlers = {
  [ManagementPattern.DefinitionsExport]: exportDefinitions,
  [ManagementPattern.DefinitionsImport]: importHandler,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
