import {
  AccessControlError,
  compilePermissionPattern,
  isImportableHashingAlgorithm,
  parsePasswordHash,
  PasswordHashError,
  PermissionPatternError,
  scratchCopyOf,
  VirtualHost,
  type BrokerCore,
  type QueueOptions,
  type TopicPermissions,
  type TopologyActor,
  type TopologyCommand,
  type UserSpec,
  type VhostPermissions,
} from '@app/broker-core';
import { tableOfJson } from '../management/json-format.js';

// RabbitMQ's definitions format (`rabbitmqctl export_definitions`, `GET /api/definitions`, `load_definitions`):
// users, vhosts, permissions, topic_permissions, exchanges, queues, bindings. One import path for the management
// API's `POST /api/definitions` and `WARREN_DEFINITIONS_FILE` at start-up. Everything is checked before anything
// changes: access entries are parsed (hashes, regexes, references), and every topology command runs first on a
// scratch copy of its vhost.

/** A definitions document that cannot be imported: the text says which entry and why (HTTP 400). */
export class DefinitionsError extends Error {
  constructor(
    message: string,
    /** The AMQP error a topology command failed with, when that is the reason (keeps its reply code). */
    readonly amqpError?: unknown,
  ) {
    super(message);
    this.name = 'DefinitionsError';
  }
}

/** A parsed definitions document (RabbitMQ's field names). */
export type DefinitionsDocument = Readonly<Record<string, unknown>>;

interface ExchangeDefinition {
  name: string;
  vhost?: string;
  type: string;
  durable?: boolean;
  auto_delete?: boolean;
  internal?: boolean;
  arguments?: Record<string, unknown>;
}
interface QueueDefinition {
  name: string;
  vhost?: string;
  durable?: boolean;
  auto_delete?: boolean;
  arguments?: Record<string, unknown>;
}
interface BindingDefinition {
  source: string;
  vhost?: string;
  destination: string;
  destination_type?: 'queue' | 'exchange';
  routing_key?: string;
  arguments?: Record<string, unknown>;
}

/** One command of an import, with the name of the vhost it runs in. */
interface ImportStep {
  readonly vhost: string;
  readonly command: TopologyCommand;
}

/** What an import changes besides topology. */
interface AccessPlan {
  vhosts: string[];
  users: Array<{ name: string; spec: UserSpec }>;
  permissions: Array<{ user: string; vhost: string; permissions: VhostPermissions }>;
  topicPermissions: Array<{ user: string; vhost: string; exchange: string; permissions: TopicPermissions }>;
}

/** What {@link importDefinitions} may change: the management API keeps users and permissions to administrators. */
export interface ImportOptions {
  /** Whether users, vhosts, permissions and topic permissions may be imported (else their presence is an error). */
  readonly isAccessAllowed: boolean;
}

function listOf<T>(data: DefinitionsDocument, key: string): T[] {
  const value = data[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new DefinitionsError(`'${key}' must be an array`);
  for (const entry of value) if (typeof entry !== 'object' || entry === null) throw new DefinitionsError(`'${key}' must hold objects`);
  return value as T[];
}

function stringOf(entry: Record<string, unknown>, key: string, what: string): string {
  const value = entry[key];
  if (typeof value !== 'string') throw new DefinitionsError(`${what}: '${key}' must be a string`);
  return value;
}

/** RabbitMQ writes tags as an array (3.9+) or a comma-separated string (older exports). */
export function tagsOf(value: unknown, user: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string')
    return value
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean);
  if (Array.isArray(value) && value.every((tag) => typeof tag === 'string')) return value as string[];
  throw new DefinitionsError(`user '${user}': 'tags' must be an array of strings or a comma-separated string`);
}

/**
 * A user entry of a definitions file (or the HTTP API's PUT): a clear-text `password`, or a `password_hash` of an
 * importable `hashing_algorithm` (RabbitMQ's, or Warren's own scrypt export), or neither (no password). Throws
 * DefinitionsError.
 */
export function userSpecOf(entry: Record<string, unknown>): { name: string; spec: UserSpec } {
  const name = stringOf(entry, 'name', 'user');
  const tags = tagsOf(entry.tags, name);
  if (typeof entry.password === 'string') return { name, spec: { password: entry.password, tags } };
  const hash = entry.password_hash ?? '';
  if (typeof hash !== 'string') throw new DefinitionsError(`user '${name}': 'password_hash' must be a string`);
  if (hash === '') return { name, spec: { tags } };
  const algorithm = entry.hashing_algorithm ?? 'rabbit_password_hashing_sha256';
  if (typeof algorithm !== 'string' || !isImportableHashingAlgorithm(algorithm)) {
    throw new DefinitionsError(`user '${name}': unsupported hashing_algorithm ${JSON.stringify(algorithm)}`);
  }
  try {
    return { name, spec: { passwordHash: parsePasswordHash(hash, algorithm), tags } };
  } catch (error) {
    if (error instanceof PasswordHashError) throw new DefinitionsError(`user '${name}': ${error.message}`);
    throw error;
  }
}

function checkPattern(pattern: unknown, what: string): string {
  if (typeof pattern !== 'string') throw new DefinitionsError(`${what}: must be a string`);
  try {
    compilePermissionPattern(pattern);
  } catch (error) {
    if (error instanceof PermissionPatternError) throw new DefinitionsError(`${what}: ${error.message}`);
    throw error;
  }
  return pattern;
}

/** Users, vhosts and permissions of a document, checked against each other and the broker. */
function accessPlanOf(core: BrokerCore, data: DefinitionsDocument): AccessPlan {
  const vhosts = listOf<Record<string, unknown>>(data, 'vhosts').map((entry) => stringOf(entry, 'name', 'vhost'));
  const users = listOf<Record<string, unknown>>(data, 'users').map(userSpecOf);
  const userNames = new Set([...users.map((u) => u.name), ...core.users.list().map((u) => u.name)]);
  const vhostNames = new Set([...vhosts, ...[...core.allVhosts()].map((v) => v.name)]);
  const reference = (entry: Record<string, unknown>, what: string): { user: string; vhost: string } => {
    const user = stringOf(entry, 'user', what);
    const vhost = stringOf(entry, 'vhost', what);
    if (!userNames.has(user)) throw new DefinitionsError(`${what}: no user '${user}'`);
    if (!vhostNames.has(vhost)) throw new DefinitionsError(`${what}: no vhost '${vhost}'`);
    return { user, vhost };
  };
  const permissions = listOf<Record<string, unknown>>(data, 'permissions').map((entry) => {
    const { user, vhost } = reference(entry, 'permission');
    const what = `permission of '${user}' in '${vhost}'`;
    return {
      user,
      vhost,
      permissions: {
        configure: checkPattern(entry.configure, `${what}, configure`),
        write: checkPattern(entry.write, `${what}, write`),
        read: checkPattern(entry.read, `${what}, read`),
      },
    };
  });
  const topicPermissions = listOf<Record<string, unknown>>(data, 'topic_permissions').map((entry) => {
    const { user, vhost } = reference(entry, 'topic permission');
    const exchange = stringOf(entry, 'exchange', 'topic permission');
    const what = `topic permission of '${user}' in '${vhost}' on '${exchange}'`;
    return {
      user,
      vhost,
      exchange,
      permissions: { write: checkPattern(entry.write, `${what}, write`), read: checkPattern(entry.read, `${what}, read`) },
    };
  });
  return { vhosts, users, permissions, topicPermissions };
}

function queueOptionsOf(definition: QueueDefinition): QueueOptions {
  return {
    durable: definition.durable ?? true,
    exclusive: false,
    autoDelete: definition.auto_delete ?? false,
    arguments: tableOfJson(definition.arguments),
  };
}

/** The topology as commands, in RabbitMQ's import order: exchanges, queues, then bindings. */
function topologySteps(data: DefinitionsDocument): ImportStep[] {
  const steps: ImportStep[] = [];
  for (const d of listOf<ExchangeDefinition>(data, 'exchanges')) {
    const options = {
      type: d.type,
      durable: d.durable ?? true,
      autoDelete: d.auto_delete ?? false,
      internal: d.internal ?? false,
      arguments: tableOfJson(d.arguments),
    };
    steps.push({ vhost: d.vhost ?? '/', command: { kind: 'exchange.declare', exchange: d.name, options } });
  }
  for (const d of listOf<QueueDefinition>(data, 'queues')) {
    if (d.name === '') throw new DefinitionsError('queue name must not be empty');
    steps.push({ vhost: d.vhost ?? '/', command: { kind: 'queue.declare', queue: d.name, options: queueOptionsOf(d) } });
  }
  for (const d of listOf<BindingDefinition>(data, 'bindings')) {
    const args = tableOfJson(d.arguments);
    const routingKey = d.routing_key ?? '';
    const command: TopologyCommand =
      d.destination_type === 'exchange'
        ? { kind: 'exchange.bind', destination: d.destination, source: d.source, routingKey, arguments: args }
        : { kind: 'queue.bind', queue: d.destination, exchange: d.source, routingKey, arguments: args };
    steps.push({ vhost: d.vhost ?? '/', command });
  }
  return steps;
}

/**
 * Runs every topology command on a scratch copy of its vhost (an empty one for a vhost the document creates): the
 * same `VirtualHost.execute`, so the same checks, texts and limits. Throws DefinitionsError naming the first failure.
 */
function validateTopology(core: BrokerCore, steps: readonly ImportStep[], newVhosts: ReadonlySet<string>, actor: TopologyActor): void {
  const scratches = new Map<string, VirtualHost>();
  try {
    for (const { vhost, command } of steps) {
      let scratch = scratches.get(vhost);
      if (!scratch) {
        const real = core.getVhost(vhost);
        if (real) scratch = scratchCopyOf(real);
        else if (newVhosts.has(vhost)) (scratch = new VirtualHost(vhost)).maxQueues = core.maxQueuesPerVhost;
        else throw new DefinitionsError(`vhost '${vhost}' does not exist`);
        scratches.set(vhost, scratch);
      }
      scratch.execute(command, actor);
    }
  } catch (error) {
    if (error instanceof DefinitionsError) throw error;
    throw new DefinitionsError(error instanceof Error ? error.message : String(error), error);
  } finally {
    for (const scratch of scratches.values()) scratch.dispose();
  }
}

/**
 * Imports a definitions document all-or-nothing as far as checking goes: every entry is validated first (hashes,
 * regexes, users and vhosts referred to, every topology command on a scratch copy); only then vhosts are created
 * and the topology applied, with no `await` between validation and change, then users and permissions are written.
 * Resolves once everything is durable; rejects with DefinitionsError before changing anything for a bad document.
 * Imported users keep their RabbitMQ hashes, so a RabbitMQ export logs in unchanged.
 */
export async function importDefinitions(
  core: BrokerCore,
  data: DefinitionsDocument,
  actor: TopologyActor,
  options: ImportOptions,
): Promise<void> {
  const plan = accessPlanOf(core, data);
  const hasAccess = plan.vhosts.length + plan.users.length + plan.permissions.length + plan.topicPermissions.length > 0;
  if (hasAccess && !options.isAccessAllowed) {
    throw new DefinitionsError('users, vhosts and permissions may only be imported by an administrator');
  }
  const newVhosts = new Set(plan.vhosts.filter((name) => !core.getVhost(name)));
  const steps = topologySteps(data);
  validateTopology(core, steps, newVhosts, actor);
  const writes: Array<Promise<unknown>> = [];
  // createVhost registers the vhost synchronously (before its first await), so the steps below find it.
  for (const name of newVhosts) writes.push(core.createVhost(name));
  for (const { vhost, command } of steps) {
    const { written } = core.getVhost(vhost)!.execute(command, actor);
    if (written) writes.push(written);
  }
  const users = plan.users.map(({ name, spec }) => core.users.putUser(name, spec));
  await Promise.all(users);
  for (const { user, vhost, permissions } of plan.permissions) writes.push(core.permissions.set(user, vhost, permissions));
  for (const { user, vhost, exchange, permissions } of plan.topicPermissions) {
    writes.push(core.permissions.setTopic(user, vhost, exchange, permissions));
  }
  try {
    await Promise.all(writes);
  } catch (error) {
    if (error instanceof AccessControlError) throw new DefinitionsError(error.message, error);
    throw error;
  }
}
