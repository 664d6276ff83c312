import { ReplyCode } from '@app/codec';
import { checkShortstrName, type Topology } from '@app/routing';
import { ChannelError, replyText } from '../amqp-error.js';
import type { QueueUseCounts } from '../queue/queue-ports.js';
import type { Queue, QueueOptions } from '../queue/queue.js';
import { queueInequivalence } from './queue-equivalence.js';
import type { TopologyActor, TopologyCommand, TopologyResults } from './topology-command.js';

/** What the executor needs from its virtual host: the queue table and the topology. */
export interface TopologyTarget {
  readonly name: string;
  readonly topology: Topology<Queue>;
  getQueue(name: string): Queue | undefined;
  /** Finds a queue for an operation on it: 404, or 405 when another connection holds it exclusively. */
  requireQueue(name: string, owner: object): Queue;
  /** Creates and registers a queue (checks the vhost's queue limit); `owner` holds it when exclusive. */
  createQueue(name: string, options: QueueOptions, owner: object): Queue;
  /** Removes a queue and its bindings; returns the number of messages dropped. */
  removeQueue(queue: Queue): number;
  generateQueueName(): string;
}

/**
 * Validates, authorizes and applies one topology command, in RabbitMQ's order: the checks that depend only on the
 * request, then `actor.authorize`, then the checks against existing state and the change itself (which throw
 * before changing anything). Persisting is the caller's part ({@link VirtualHost.execute}).
 * Synchronous: runs on the event loop without awaiting, so nothing interleaves between check and change.
 */
export function runTopologyCommand<C extends TopologyCommand>(
  target: TopologyTarget,
  command: C,
  actor: TopologyActor,
): TopologyResults[C['kind']] {
  validate(target.topology, command);
  // RabbitMQ names a server-named queue before the permission check, so `configure` is checked on `amq.gen-…`.
  let serverName: string | undefined;
  if (command.kind === 'queue.declare' && !command.passive && command.queue === '') {
    serverName = target.generateQueueName();
    actor.authorize?.({ ...command, queue: serverName }, target.name);
  } else {
    actor.authorize?.(command, target.name);
  }
  return apply(target, command, actor.owner, serverName) as TopologyResults[C['kind']];
}

/**
 * The request-only checks. Names and routing keys must be valid shortstrs (≤ 255 bytes of valid UTF-8): the codec
 * guarantees it for AMQP, but the admin API, definitions and the test kit pass JS strings, and a name UTF-8 cannot
 * encode exactly would be stored under another key and lose its messages at restart.
 */
function validate(topology: Topology<Queue>, command: TopologyCommand): void {
  switch (command.kind) {
    case 'exchange.declare':
      return topology.checkDeclareExchange(command.exchange, command.options, command.passive);
    case 'exchange.delete':
      return topology.checkDeleteExchange(command.exchange);
    case 'exchange.bind':
    case 'exchange.unbind':
      topology.checkBindingEnds(command.source, command.destination);
      return checkShortstrName('routing key', command.routingKey);
    case 'queue.bind':
    case 'queue.unbind':
      topology.checkBindingEnds(command.exchange);
      return checkShortstrName('routing key', command.routingKey);
    case 'queue.declare':
      return checkShortstrName('queue', command.queue);
    case 'queue.delete':
      return;
  }
}

function apply(
  target: TopologyTarget,
  command: TopologyCommand,
  owner: object,
  serverName: string | undefined,
): TopologyResults[TopologyCommand['kind']] {
  const topology = target.topology;
  switch (command.kind) {
    case 'exchange.declare':
      return { created: topology.declareExchange(command.exchange, command.options, command.passive).created };
    case 'exchange.delete':
      return { deleted: topology.deleteExchange(command.exchange, command.ifUnused) };
    case 'exchange.bind':
      return { changed: topology.bindExchange(command.destination, command.source, command.routingKey, command.arguments) };
    case 'exchange.unbind':
      return { changed: topology.unbindExchange(command.destination, command.source, command.routingKey, command.arguments) };
    case 'queue.declare':
      return declareQueue(target, command.queue, command.options, command.passive === true, owner, serverName);
    case 'queue.delete':
      return { messageCount: deleteQueue(target, command.queue, command.ifUnused, command.ifEmpty, owner, command.acrossNodes) };
    case 'queue.bind': {
      const queue = target.requireQueue(command.queue, owner);
      return { changed: topology.bindQueue(queue, command.exchange, command.routingKey, command.arguments) };
    }
    case 'queue.unbind': {
      const queue = target.requireQueue(command.queue, owner);
      return { changed: topology.unbindQueue(queue, command.exchange, command.routingKey, command.arguments) };
    }
  }
}

/** `queue.declare`: passive lookup, server-named queue, redeclare (equivalence) or creation. */
function declareQueue(
  target: TopologyTarget,
  requestedName: string,
  options: QueueOptions,
  isPassive: boolean,
  owner: object,
  serverName: string | undefined,
): { queue: Queue; created: boolean } {
  if (isPassive) return { queue: target.requireQueue(requestedName, owner), created: false };
  if (requestedName === '') return { queue: target.createQueue(serverName ?? target.generateQueueName(), options, owner), created: true };
  const existing = target.getQueue(requestedName);
  if (existing) {
    target.requireQueue(requestedName, owner);
    if (options.exclusive && !existing.exclusiveOwner) throw lockedQueue(requestedName, target.name);
    const difference = queueInequivalence(requestedName, target.name, existing.options, options);
    if (difference) throw new ChannelError(ReplyCode.PRECONDITION_FAILED, replyText(ReplyCode.PRECONDITION_FAILED, difference));
    existing.touch();
    return { queue: existing, created: false };
  }
  if (requestedName.startsWith('amq.')) {
    throw new ChannelError(
      ReplyCode.ACCESS_REFUSED,
      replyText(ReplyCode.ACCESS_REFUSED, `queue name '${requestedName}' contains reserved prefix 'amq.*'`),
    );
  }
  return { queue: target.createQueue(requestedName, options, owner), created: true };
}

/** `queue.delete`; returns the number of messages dropped. A missing queue is not an error (RabbitMQ 3.x). */
function deleteQueue(
  target: TopologyTarget,
  name: string,
  ifUnused: boolean,
  ifEmpty: boolean,
  owner: object,
  acrossNodes: QueueUseCounts | undefined,
): number {
  if (target.getQueue(name) === undefined) return 0;
  const queue = target.requireQueue(name, owner);
  if (ifUnused && (acrossNodes?.consumers ?? queue.consumerCount) > 0) {
    throw new ChannelError(
      ReplyCode.PRECONDITION_FAILED,
      replyText(ReplyCode.PRECONDITION_FAILED, `queue '${name}' in vhost '${target.name}' in use`),
    );
  }
  if (ifEmpty && (acrossNodes?.messages ?? queue.messageCount) > 0) {
    throw new ChannelError(
      ReplyCode.PRECONDITION_FAILED,
      replyText(ReplyCode.PRECONDITION_FAILED, `queue '${name}' in vhost '${target.name}' not empty`),
    );
  }
  const dropped = target.removeQueue(queue);
  return acrossNodes === undefined ? dropped : acrossNodes.messages;
}

/** 405 RESOURCE_LOCKED with RabbitMQ's text. */
export function lockedQueue(name: string, vhost: string): ChannelError {
  return new ChannelError(
    ReplyCode.RESOURCE_LOCKED,
    replyText(
      ReplyCode.RESOURCE_LOCKED,
      `cannot obtain exclusive access to locked queue '${name}' in vhost '${vhost}'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    ),
  );
}
