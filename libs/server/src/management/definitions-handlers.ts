import { scratchCopyOf, type Queue, type QueueOptions, type TopologyActor, type TopologyCommand, type VirtualHost } from '@app/broker-core';
import { ManagementPattern } from '@app/management-contract';
import { jsonOfTable, tableOfJson } from './json-format.js';
import { ManagementError, toManagementFailure } from './management-error.js';
import type { ManagementHandler, RequestData } from './management-request.js';
import type { ManagementHost } from './management-host.js';

// `GET/POST /api/definitions`: the topology in RabbitMQ's definitions format. Users are not exported: Warren's
// password hashes are scrypt, not RabbitMQ's format, and secrets must not leave through the API.

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
    permissions: [],
    parameters: [],
    policies: [],
    exchanges,
    queues,
    bindings,
  };
};

function listOf<T>(data: RequestData, key: string): T[] {
  const value = data[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw ManagementError.badRequest(`'${key}' must be an array`);
  return value as T[];
}

function queueOptionsOf(definition: QueueDefinition): QueueOptions {
  return {
    durable: definition.durable ?? true,
    exclusive: false,
    autoDelete: definition.auto_delete ?? false,
    arguments: tableOfJson(definition.arguments),
  };
}

/** One command of an import, with the vhost it runs in. */
interface ImportStep {
  readonly vhost: VirtualHost;
  readonly command: TopologyCommand;
}

/** The import as topology commands, in order: exchanges, queues, then bindings (RabbitMQ's import order). */
function importSteps(host: ManagementHost, data: RequestData): ImportStep[] {
  const vhostOf = (definition: { vhost?: string }) => {
    const name = definition.vhost ?? '/';
    const vhost = host.core.getVhost(name);
    if (!vhost) throw ManagementError.badRequest(`vhost '${name}' does not exist (Warren creates vhosts at start only)`);
    return vhost;
  };
  const steps: ImportStep[] = [];
  for (const d of listOf<ExchangeDefinition>(data, 'exchanges')) {
    const options = {
      type: d.type,
      durable: d.durable ?? true,
      autoDelete: d.auto_delete ?? false,
      internal: d.internal ?? false,
      arguments: tableOfJson(d.arguments),
    };
    steps.push({ vhost: vhostOf(d), command: { kind: 'exchange.declare', exchange: d.name, options } });
  }
  for (const d of listOf<QueueDefinition>(data, 'queues')) {
    if (d.name === '') throw ManagementError.badRequest('queue name must not be empty');
    steps.push({ vhost: vhostOf(d), command: { kind: 'queue.declare', queue: d.name, options: queueOptionsOf(d) } });
  }
  for (const d of listOf<BindingDefinition>(data, 'bindings')) {
    const args = tableOfJson(d.arguments);
    const routingKey = d.routing_key ?? '';
    const command: TopologyCommand =
      d.destination_type === 'exchange'
        ? { kind: 'exchange.bind', destination: d.destination, source: d.source, routingKey, arguments: args }
        : { kind: 'queue.bind', queue: d.destination, exchange: d.source, routingKey, arguments: args };
    steps.push({ vhost: vhostOf(d), command });
  }
  return steps;
}

/**
 * Validates the whole import before changing anything: every command runs first on a scratch copy of its vhost
 * (the same `VirtualHost.execute`, so the same checks, texts and limits such as the queue limit), and only if all
 * of them succeed, on the real vhosts. Nothing runs between the two passes (no await), so the state checked is the
 * state changed.
 */
function validateImport(steps: readonly ImportStep[], actor: TopologyActor): void {
  const scratches = new Map<VirtualHost, VirtualHost>();
  try {
    for (const { vhost, command } of steps) {
      let scratch = scratches.get(vhost);
      if (!scratch) scratches.set(vhost, (scratch = scratchCopyOf(vhost)));
      scratch.execute(command, actor);
    }
  } catch (error) {
    const failure = toManagementFailure(error);
    // A binding to a missing queue or exchange makes the document invalid: 400, not 404.
    throw new ManagementError(
      failure.status === 404 ? 400 : failure.status,
      failure.status === 404 ? 'bad_request' : failure.error,
      failure.reason,
    );
  } finally {
    for (const scratch of scratches.values()) scratch.dispose();
  }
}

const importDefinitions: ManagementHandler = async (data, { host, actor }) => {
  const steps = importSteps(host, data);
  validateImport(steps, actor);
  const writes: Promise<void>[] = [];
  for (const { vhost, command } of steps) {
    const { written } = vhost.execute(command, actor);
    if (written) writes.push(written);
  }
  await Promise.all(writes);
  return {};
};

/** Definitions RPCs, by pattern. */
export const definitionsHandlers = {
  [ManagementPattern.DefinitionsExport]: exportDefinitions,
  [ManagementPattern.DefinitionsImport]: importDefinitions,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
