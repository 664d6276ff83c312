import { ChannelError, Queue, queueInequivalence, replyText, type QueueOptions, type VirtualHost } from '@app/broker-core';
import { ReplyCode } from '@app/codec';
import { ManagementPattern } from '@app/management-contract';
import { RoutingError, Topology, type RoutableQueue } from '@app/routing';
import { jsonOfTable, tableOfJson } from './json-format.js';
import { ManagementError, toManagementFailure } from './management-error.js';
import type { ManagementHandler, RequestData } from './management-request.js';
import type { ManagementHost } from './management-host.js';

// `GET/POST /api/definitions`: the topology in RabbitMQ's definitions format. Users are not exported: Warren's
// password hashes are scrypt, not RabbitMQ's format, and secrets must not leave through the API
// (reliability-and-security.md §5.7).

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

/**
 * Applies every change to a scratch copy of each vhost's topology first, so an invalid import (unknown type,
 * inequivalent redeclare, binding to nothing) is refused before anything is changed.
 */
function dryRun(host: ManagementHost, exchanges: ExchangeDefinition[], queues: QueueDefinition[], bindings: BindingDefinition[]): void {
  const scratches = new Map<string, { topology: Topology<RoutableQueue>; queues: Map<string, RoutableQueue> }>();
  const scratchOf = (name: string) => {
    let scratch = scratches.get(name);
    if (scratch) return scratch;
    const vhost = host.core.getVhost(name);
    if (!vhost) throw ManagementError.badRequest(`vhost '${name}' does not exist (Warren creates vhosts at start only)`);
    scratch = { topology: new Topology<RoutableQueue>(name), queues: new Map() };
    for (const exchange of vhost.topology.exchanges()) {
      if (isPredeclared(exchange.name)) continue;
      const options = {
        type: exchange.type.name,
        durable: exchange.durable,
        autoDelete: exchange.autoDelete,
        internal: exchange.internal,
        arguments: exchange.arguments,
      };
      scratch.topology.declareExchange(exchange.name, options);
    }
    for (const queue of vhost.allQueues()) scratch.queues.set(queue.name, { name: queue.name });
    scratches.set(name, scratch);
    return scratch;
  };
  for (const definition of exchanges) {
    scratchOf(definition.vhost).topology.declareExchange(definition.name, {
      type: definition.type,
      durable: definition.durable ?? true,
      autoDelete: definition.auto_delete ?? false,
      internal: definition.internal ?? false,
      arguments: tableOfJson(definition.arguments),
    });
  }
  for (const definition of queues) {
    const scratch = scratchOf(definition.vhost);
    const options = queueOptionsOf(definition);
    const existing = host.core.getVhost(definition.vhost)!.getQueue(definition.name);
    if (existing) {
      const difference = queueInequivalence(definition.name, definition.vhost, existing.options, options);
      if (difference) throw new ChannelError(ReplyCode.PRECONDITION_FAILED, replyText(ReplyCode.PRECONDITION_FAILED, difference));
    } else {
      if (definition.name === '' || definition.name.startsWith('amq.'))
        throw ManagementError.badRequest(`queue name '${definition.name}' is reserved`);
      // The constructor parses and checks the x-arguments, exactly as a real declare would.
      new Queue(definition.name, definition.vhost, options, null).dispose();
    }
    scratch.queues.set(definition.name, { name: definition.name });
  }
  for (const definition of bindings) {
    const scratch = scratchOf(definition.vhost);
    const args = tableOfJson(definition.arguments);
    if (definition.destination_type === 'exchange') {
      scratch.topology.bindExchange(definition.destination, definition.source, definition.routing_key ?? '', args);
    } else {
      const queue = scratch.queues.get(definition.destination);
      if (!queue) throw ManagementError.badRequest(`no queue '${definition.destination}' in vhost '${definition.vhost}'`);
      scratch.topology.bindQueue(queue, definition.source, definition.routing_key ?? '', args);
    }
  }
}

const importDefinitions: ManagementHandler = async (data, { host, owner }) => {
  const exchanges = listOf<ExchangeDefinition>(data, 'exchanges').map((d) => ({ ...d, vhost: d.vhost ?? '/' }));
  const queues = listOf<QueueDefinition>(data, 'queues').map((d) => ({ ...d, vhost: d.vhost ?? '/' }));
  const bindings = listOf<BindingDefinition>(data, 'bindings').map((d) => ({ ...d, vhost: d.vhost ?? '/' }));
  try {
    dryRun(host, exchanges, queues, bindings);
  } catch (error) {
    if (error instanceof RoutingError) throw ManagementError.badRequest(error.replyText.replace(/^[A-Z_]+ - /, ''));
    const failure = toManagementFailure(error);
    throw new ManagementError(
      failure.status === 404 ? 400 : failure.status,
      failure.status === 404 ? 'bad_request' : failure.error,
      failure.reason,
    );
  }
  const writes: Promise<void>[] = [];
  const apply = (vhost: VirtualHost, operation: () => unknown) => {
    vhost.topologyOperation(operation);
    const write = vhost.takePendingWrite();
    if (write) writes.push(write);
  };
  const vhostOf = (name: string) => host.core.getVhost(name)!;
  for (const d of exchanges) {
    const vhost = vhostOf(d.vhost);
    const options = {
      type: d.type,
      durable: d.durable ?? true,
      autoDelete: d.auto_delete ?? false,
      internal: d.internal ?? false,
      arguments: tableOfJson(d.arguments),
    };
    apply(vhost, () => vhost.topology.declareExchange(d.name, options));
  }
  for (const d of queues) {
    const vhost = vhostOf(d.vhost);
    apply(vhost, () => vhost.declareQueue(d.name, queueOptionsOf(d), false, owner));
  }
  for (const d of bindings) {
    const vhost = vhostOf(d.vhost);
    const args = tableOfJson(d.arguments);
    if (d.destination_type === 'exchange')
      apply(vhost, () => vhost.topology.bindExchange(d.destination, d.source, d.routing_key ?? '', args));
    else apply(vhost, () => vhost.topology.bindQueue(vhost.getQueue(d.destination)!, d.source, d.routing_key ?? '', args));
  }
  await Promise.all(writes);
  return {};
};

/** Definitions RPCs, by pattern. */
export const definitionsHandlers = {
  [ManagementPattern.DefinitionsExport]: exportDefinitions,
  [ManagementPattern.DefinitionsImport]: importDefinitions,
} satisfies Partial<Record<ManagementPattern, ManagementHandler>>;
