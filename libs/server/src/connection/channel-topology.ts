import type { Method } from '@app/codec';
import { DIRECT_REPLY_TO, type Queue, type QueueUseCounts, type TopologyCommand } from '@app/broker-core';
import type { Channel } from './channel.js';

/**
 * Exchange and queue class methods (declare, delete, bind, unbind, purge) for one channel: each becomes one
 * topology command on the vhost (`VirtualHost.execute`), and the reply waits for its storage write.
 * Returns false when the method is not a topology method.
 */
export function handleTopologyMethod(channel: Channel, method: Method): boolean {
  switch (method.name) {
    case 'exchange.declare': {
      const options = {
        type: method.type,
        durable: method.durable,
        autoDelete: method.autoDelete,
        internal: method.internal,
        arguments: method.arguments,
      };
      run(channel, { kind: 'exchange.declare', exchange: method.exchange, options, passive: method.passive });
      if (!method.nowait) channel.send({ name: 'exchange.declare-ok', classId: 40, methodId: 11 });
      return true;
    }
    case 'exchange.delete':
      run(channel, { kind: 'exchange.delete', exchange: method.exchange, ifUnused: method.ifUnused });
      if (!method.nowait) channel.send({ name: 'exchange.delete-ok', classId: 40, methodId: 21 });
      return true;
    case 'exchange.bind':
    case 'exchange.unbind': {
      const { destination, source, routingKey } = method;
      run(channel, { kind: method.name, destination, source, routingKey, arguments: method.arguments });
      if (!method.nowait) {
        if (method.name === 'exchange.bind') channel.send({ name: 'exchange.bind-ok', classId: 40, methodId: 31 });
        else channel.send({ name: 'exchange.unbind-ok', classId: 40, methodId: 51 });
      }
      return true;
    }
    case 'queue.declare': {
      if (method.queue === DIRECT_REPLY_TO && method.passive) {
        // Clients check that direct reply-to is available with a passive declare.
        if (!method.nowait) {
          channel.send({ name: 'queue.declare-ok', classId: 50, methodId: 11, queue: DIRECT_REPLY_TO, messageCount: 0, consumerCount: 0 });
        }
        return true;
      }
      const name = method.passive ? channel.resolveQueueName(method.queue) : method.queue;
      const options = { durable: method.durable, exclusive: method.exclusive, autoDelete: method.autoDelete, arguments: method.arguments };
      const { queue } = run(channel, { kind: 'queue.declare', queue: name, options, passive: method.passive });
      channel.lastQueueName = queue.name;
      if (!method.nowait) {
        const reply: Extract<Method, { name: 'queue.declare-ok' }> = {
          name: 'queue.declare-ok',
          classId: 50,
          methodId: 11,
          queue: queue.name,
          messageCount: queue.messageCount,
          consumerCount: queue.consumerCount,
        };
        // A shared queue answers with its whole backlog across nodes (one count query), as one node would.
        if (queue.shared !== undefined) sendCounted(channel, queue.shared.count(queue), reply);
        else channel.send(reply);
      }
      return true;
    }
    case 'queue.bind':
    case 'queue.unbind': {
      const { exchange, routingKey } = method;
      run(channel, { kind: method.name, queue: channel.resolveQueueName(method.queue), exchange, routingKey, arguments: method.arguments });
      if (method.name === 'queue.unbind') channel.send({ name: 'queue.unbind-ok', classId: 50, methodId: 51 });
      else if (!method.nowait) channel.send({ name: 'queue.bind-ok', classId: 50, methodId: 21 });
      return true;
    }
    case 'queue.purge': {
      const name = channel.resolveQueueName(method.queue);
      channel.host.access.check('read', 'queue', name);
      const queue = channel.vhost.requireQueue(name, channel.owner);
      const purged = queue.purgeAll();
      if (typeof purged === 'number') {
        if (!method.nowait) channel.send({ name: 'queue.purge-ok', classId: 50, methodId: 31, messageCount: purged });
        return true;
      }
      // A shared queue's purge is a statement on the shared store: the channel's later methods (a publish to the
      // queue) wait until it has run, or the purge could take what they publish.
      channel.afterStep(
        purged,
        (messageCount) => {
          if (!method.nowait && channel.state === 'open') channel.send({ name: 'queue.purge-ok', classId: 50, methodId: 31, messageCount });
        },
        (error) => channel.host.failChannel(channel.id, error, method.classId, method.methodId),
      );
      return true;
    }
    case 'queue.delete': {
      const { ifUnused, ifEmpty } = method;
      const name = channel.resolveQueueName(method.queue);
      const queue = channel.vhost.getQueue(name);
      if (queue?.shared?.judgeDelete !== undefined) {
        deleteSharedQueue(channel, method, queue, queue.shared.judgeDelete(queue));
        return true;
      }
      const { messageCount } = run(channel, { kind: 'queue.delete', queue: name, ifUnused, ifEmpty });
      if (!method.nowait) channel.send({ name: 'queue.delete-ok', classId: 50, methodId: 41, messageCount });
      return true;
    }
    default:
      return false;
  }
}

/**
 * Sends `reply` with its `messageCount` from `counted` (a shared queue's count across nodes). The channel's later
 * methods wait for the count (method-sequencer.ts), so it is the count when this method acted: a publish pipelined
 * after a declare is not counted in its declare-ok, as on RabbitMQ.
 */
function sendCounted<M extends Method & { messageCount: number }>(channel: Channel, counted: Promise<number>, reply: M): void {
  channel.afterStep(
    counted,
    (count) => {
      reply.messageCount = count;
      if (channel.state === 'open') channel.send(reply);
    },
    (error) => channel.host.failChannel(channel.id, error, reply.classId, reply.methodId - 1),
  );
}

/**
 * `queue.delete` of a shared queue (multi-node): judged on its consumers of every node and its whole ready backlog,
 * counted first (one query each), as RabbitMQ judges one queue. The channel's later methods wait for the judgement
 * (method-sequencer.ts), so a declare or publish pipelined after the delete acts on what the delete left, and the
 * reply (or the 406) goes out in order. A judgement the database could not make is a 541 storage failure, never a
 * delete on a guess. Applied even if the channel or connection closed meanwhile: the client asked for it.
 */
function deleteSharedQueue(
  channel: Channel,
  method: Extract<Method, { name: 'queue.delete' }>,
  queue: Queue,
  judged: Promise<QueueUseCounts>,
): void {
  const { ifUnused, ifEmpty } = method;
  channel.afterStep(
    judged,
    (acrossNodes) => {
      try {
        const { messageCount } = run(channel, { kind: 'queue.delete', queue: queue.name, ifUnused, ifEmpty, acrossNodes });
        if (!method.nowait && channel.state === 'open') channel.send({ name: 'queue.delete-ok', classId: 50, methodId: 41, messageCount });
        // Later methods also wait for the shared store's removal of its messages: a queue re-declared under the same
        // name (same rows' key) and published to must not lose what it gets to that removal.
        const erased = queue.shared?.erased?.(queue);
        if (erased !== undefined) channel.afterStep(erased, noop, noop);
      } catch (error) {
        channel.host.failChannel(channel.id, error, method.classId, method.methodId);
      }
    },
    (error) => {
      if (channel.state === 'open') channel.storageFailed(error);
    },
  );
}

/** Runs the command as this channel's connection and holds the channel's output until it is durable. */
function run<C extends TopologyCommand>(channel: Channel, command: C) {
  const { result, written } = channel.vhost.execute(command, channel.actor);
  channel.holdForStorage(written);
  return result;
}

/** Nothing to do once a step is over but let the channel's later methods act. */
function noop(): void {}
