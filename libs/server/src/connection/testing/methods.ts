import type { Method } from '@app/codec';

/** `channel.open`, as a client sends it. */
export function channelOpen(): Method {
  return { name: 'channel.open', classId: 20, methodId: 10, outOfBand: '' };
}

/** `queue.declare` of a plain queue (not passive, durable, exclusive or auto-delete; no arguments). */
export function queueDeclare(queue = 'q'): Method {
  return {
    name: 'queue.declare',
    classId: 50,
    methodId: 10,
    ticket: 0,
    queue,
    passive: false,
    durable: false,
    exclusive: false,
    autoDelete: false,
    nowait: false,
    arguments: {},
  };
}

/** `basic.publish` to the default exchange with `routingKey`, neither mandatory nor immediate. */
export function basicPublish(routingKey: string): Method {
  return { name: 'basic.publish', classId: 60, methodId: 40, ticket: 0, exchange: '', routingKey, mandatory: false, immediate: false };
}
