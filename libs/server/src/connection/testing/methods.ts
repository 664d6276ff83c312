import type { FieldTable, Method } from '@app/codec';

/** `channel.open`, as a client sends it. */
export function channelOpen(): Method {
  return { name: 'channel.open', classId: 20, methodId: 10, outOfBand: '' };
}

/** The flags and arguments of a `queue.declare` a test may set (see {@link queueDeclare}). */
export interface QueueDeclareFields {
  passive?: boolean;
  durable?: boolean;
  exclusive?: boolean;
  autoDelete?: boolean;
  arguments?: FieldTable;
}

/** `queue.declare` of `queue`: a plain one (not passive, durable, exclusive or auto-delete; no arguments) unless `fields` say otherwise. */
export function queueDeclare(queue = 'q', fields: QueueDeclareFields = {}): Method {
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
    ...fields,
  };
}

/** `basic.publish` to the default exchange with `routingKey`, neither mandatory nor immediate. */
export function basicPublish(routingKey: string): Method {
  return { name: 'basic.publish', classId: 60, methodId: 40, ticket: 0, exchange: '', routingKey, mandatory: false, immediate: false };
}
