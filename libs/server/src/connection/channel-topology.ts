import type { FieldTable, Method } from '@app/codec';
import { DIRECT_REPLY_TO } from '@app/broker-core';
import type { Channel } from './channel.js';

/**
 * Exchange and queue class methods (declare, delete, bind, unbind, purge) for one channel.
 * Returns false when the method is not a topology method.
 */
export function handleTopologyMethod(channel: Channel, method: Method): boolean {
  const vhost = channel.vhost;
  const topology = vhost.topology;
  switch (method.name) {
    case 'exchange.declare': {
      vhost.topologyOperation(() =>
        topology.declareExchange(
          method.exchange,
          {
            type: method.type,
            durable: method.durable,
            autoDelete: method.autoDelete,
            internal: method.internal,
            arguments: method.arguments,
          },
          method.passive,
        ),
      );
      channel.holdForStorage();
      if (!method.nowait) channel.send({ name: 'exchange.declare-ok', classId: 40, methodId: 11 });
      return true;
    }
    case 'exchange.delete':
      vhost.topologyOperation(() => topology.deleteExchange(method.exchange, method.ifUnused));
      channel.holdForStorage();
      if (!method.nowait) channel.send({ name: 'exchange.delete-ok', classId: 40, methodId: 21 });
      return true;
    case 'exchange.bind':
      vhost.topologyOperation(() => topology.bindExchange(method.destination, method.source, method.routingKey, method.arguments));
      channel.holdForStorage();
      if (!method.nowait) channel.send({ name: 'exchange.bind-ok', classId: 40, methodId: 31 });
      return true;
    case 'exchange.unbind':
      vhost.topologyOperation(() => topology.unbindExchange(method.destination, method.source, method.routingKey, method.arguments));
      channel.holdForStorage();
      if (!method.nowait) channel.send({ name: 'exchange.unbind-ok', classId: 40, methodId: 51 });
      return true;
    case 'queue.declare': {
      if (method.queue === DIRECT_REPLY_TO && method.passive) {
        // Clients check that direct reply-to is available with a passive declare.
        if (!method.nowait) {
          channel.send({ name: 'queue.declare-ok', classId: 50, methodId: 11, queue: DIRECT_REPLY_TO, messageCount: 0, consumerCount: 0 });
        }
        return true;
      }
      const name = method.passive ? channel.resolveQueueName(method.queue) : method.queue;
      const { queue } = vhost.declareQueue(
        name,
        { durable: method.durable, exclusive: method.exclusive, autoDelete: method.autoDelete, arguments: method.arguments },
        method.passive,
        channel.owner,
      );
      channel.lastQueueName = queue.name;
      channel.holdForStorage();
      if (!method.nowait) {
        channel.send({
          name: 'queue.declare-ok',
          classId: 50,
          methodId: 11,
          queue: queue.name,
          messageCount: queue.messageCount,
          consumerCount: queue.consumerCount,
        });
      }
      return true;
    }
    case 'queue.bind': {
      const queue = vhost.requireQueue(channel.resolveQueueName(method.queue), channel.owner);
      vhost.topologyOperation(() => topology.bindQueue(queue, method.exchange, method.routingKey, method.arguments));
      channel.holdForStorage();
      if (!method.nowait) channel.send({ name: 'queue.bind-ok', classId: 50, methodId: 21 });
      return true;
    }
    case 'queue.unbind': {
      const queue = vhost.requireQueue(channel.resolveQueueName(method.queue), channel.owner);
      vhost.topologyOperation(() => topology.unbindQueue(queue, method.exchange, method.routingKey, method.arguments as FieldTable));
      channel.holdForStorage();
      channel.send({ name: 'queue.unbind-ok', classId: 50, methodId: 51 });
      return true;
    }
    case 'queue.purge': {
      const queue = vhost.requireQueue(channel.resolveQueueName(method.queue), channel.owner);
      const messageCount = queue.purge();
      if (!method.nowait) channel.send({ name: 'queue.purge-ok', classId: 50, methodId: 31, messageCount });
      return true;
    }
    case 'queue.delete': {
      const messageCount = vhost.deleteQueue(channel.resolveQueueName(method.queue), method.ifUnused, method.ifEmpty, channel.owner);
      channel.holdForStorage();
      if (!method.nowait) channel.send({ name: 'queue.delete-ok', classId: 50, methodId: 41, messageCount });
      return true;
    }
    default:
      return false;
  }
}
