import { ReplyCode, type Method } from '@app/codec';
import { ChannelError, DIRECT_REPLY_TO, replyText, type Message } from '@app/broker-core';
import { isManagementResource } from '@app/management-contract';

// Who may touch the management path. The management exchange and queue (`amq.warren.management`) belong to the
// broker: ordinary connections get 403 for every use of them (declare, delete, bind, consume, get, purge, publish),
// with RabbitMQ's permission-refusal text. Connections accepted on the management listener may do only what the
// admin API needs (publish requests, consume their direct reply-to replies), so their flow-control exemption
// cannot carry anything else. Not on the per-message path except one string compare per `basic.publish`.

/** Where a management connection's requests go: the broker-owned management queue (bounded). */
export interface ManagementInbox {
  /** The management exchange's name (stamped on each request as its exchange). */
  readonly name: string;
  /** Takes one request; false when the queue is full (the publisher gets a nack, as with `reject-publish`). */
  accept(message: Message): boolean;
}

/** RabbitMQ's text for a resource the user has no permission on. */
export function accessRefused(kind: 'exchange' | 'queue', name: string, vhost: string, userName: string): ChannelError {
  return new ChannelError(
    ReplyCode.ACCESS_REFUSED,
    replyText(ReplyCode.ACCESS_REFUSED, `access to ${kind} '${name}' in vhost '${vhost}' refused for user '${userName}'`),
  );
}

/** The exchange and queue names a method refers to (AMQP 0-9-1 field names). */
function resourcesOf(method: Method): Array<['exchange' | 'queue', string]> {
  switch (method.name) {
    case 'exchange.declare':
    case 'exchange.delete':
      return [['exchange', method.exchange]];
    case 'exchange.bind':
    case 'exchange.unbind':
      return [
        ['exchange', method.destination],
        ['exchange', method.source],
      ];
    case 'queue.declare':
    case 'queue.purge':
    case 'queue.delete':
    case 'basic.consume':
    case 'basic.get':
      return [['queue', method.queue]];
    case 'queue.bind':
    case 'queue.unbind':
      return [
        ['queue', method.queue],
        ['exchange', method.exchange],
      ];
    default:
      return [];
  }
}

/**
 * 403 when an ordinary connection's method names the management exchange or queue. `basic.publish` is checked by
 * the channel itself (a management connection may publish there).
 */
export function refuseManagementResource(method: Method, vhost: string, userName: string): void {
  for (const [kind, name] of resourcesOf(method)) if (isManagementResource(name)) throw accessRefused(kind, name, vhost, userName);
}

/** What the admin API does on a management connection; everything else is refused there. */
const MANAGEMENT_LISTENER_METHODS: ReadonlySet<string> = new Set([
  'basic.publish',
  'basic.consume',
  'basic.cancel',
  'basic.qos',
  'confirm.select',
  'channel.flow',
]);

/**
 * 403 for anything a management connection has no business doing: it may publish requests and consume the
 * replies on direct reply-to, nothing else (no queues, no bindings, no other consumers).
 */
export function assertManagementListenerMethod(method: Method): void {
  const isAllowed = MANAGEMENT_LISTENER_METHODS.has(method.name) && (method.name !== 'basic.consume' || method.queue === DIRECT_REPLY_TO);
  if (!isAllowed) {
    throw new ChannelError(
      ReplyCode.ACCESS_REFUSED,
      replyText(ReplyCode.ACCESS_REFUSED, `'${method.name}' is not permitted on the management listener`),
    );
  }
}
