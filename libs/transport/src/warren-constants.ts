/** Identifies Warren's transport, so `@EventPattern(p, WARREN_TRANSPORT)` binds a handler to WarrenServer only. */
export const WARREN_TRANSPORT: unique symbol = Symbol('WARREN');

/** Topic exchange that events are published to, with the pattern as routing key. */
export const DEFAULT_EVENTS_EXCHANGE = 'warren.events';
/** Topic exchange that requests are published to; each group's `<group>.rpc` queue is bound to it. */
export const DEFAULT_REQUESTS_EXCHANGE = 'warren.requests';
/** RabbitMQ's direct reply-to pseudo-queue (consumed with noAck on the requesting channel). */
export const DIRECT_REPLY_QUEUE = 'amq.rabbitmq.reply-to';

/** Header carrying how many times a message has been retried (absent = 0). */
export const RETRY_COUNT_HEADER = 'x-warren-retry-count';
/** Header carrying the pattern of a retried or dead-lettered message, whose routing key no longer says it. */
export const PATTERN_HEADER = 'x-warren-pattern';
/** Header carrying why the last attempt failed (on retried and dead-lettered messages). */
export const ERROR_HEADER = 'x-warren-error';
/** Header carrying the group queue a dead-lettered message came from. */
export const ORIGIN_QUEUE_HEADER = 'x-warren-origin-queue';

/** Nest's own reply for a request without handler, kept verbatim so existing client code recognises it. */
export const NO_MESSAGE_HANDLER = 'There is no matching message handler defined in the remote service.';

/** The queue names of one consumer group. */
export interface GroupQueueNames {
  /** Events for the group: bound to the events exchange with each @EventPattern. */
  events: string;
  /** Requests for the group: bound to the requests exchange with each @MessagePattern. */
  requests: string;
  /** Messages that failed every attempt. */
  deadLetter: string;
  /** The delay queue for one retry delay. */
  retry(delayMs: number): string;
}

/** Queue naming: `<group>`, `<group>.rpc`, `<group>.dlq`, `<group>.retry.<delayMs>`. */
export function groupQueueNames(group: string): GroupQueueNames {
  return {
    events: group,
    requests: `${group}.rpc`,
    deadLetter: `${group}.dlq`,
    retry: (delayMs) => `${group}.retry.${delayMs}`,
  };
}
