import { ReplyCode, TypedFieldValue, type FieldTable, type FieldValue } from '@app/codec';
import { ChannelError, replyText } from '../amqp-error.js';

/** What to do with a publish that would take a queue past its length limit (`x-overflow`). */
export type OverflowBehaviour = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

/** A queue's policies, parsed and validated from its `x-*` arguments at declare time. */
export interface QueuePolicy {
  /** `x-message-ttl`: milliseconds a message may wait in the queue. */
  readonly messageTtl?: number;
  /** `x-expires`: the queue is deleted after this many milliseconds unused. */
  readonly expires?: number;
  /** `x-max-length`: most ready messages. */
  readonly maxLength?: number;
  /** `x-max-length-bytes`: most bytes of ready message bodies. */
  readonly maxLengthBytes?: number;
  readonly overflow: OverflowBehaviour;
  /** `x-dead-letter-exchange`. */
  readonly deadLetterExchange?: string;
  /** `x-dead-letter-routing-key`; by default dead letters keep their routing keys. */
  readonly deadLetterRoutingKey?: string;
  /** `x-max-priority`: 1–255; messages above it count as it. */
  readonly maxPriority?: number;
  /** `x-delivery-limit`: deliveries after the first before the message is dead-lettered (reason `delivery_limit`). */
  readonly deliveryLimit?: number;
  /** `x-single-active-consumer`: only one consumer (the first registered) receives; the next takes over when it goes. */
  readonly singleActiveConsumer: boolean;
  /**
   * `x-max-in-memory-length`: ready messages whose bodies stay in memory; past it, persistent bodies are paged to
   * the store once durable (queue-pager.ts). `x-queue-mode=lazy` (RabbitMQ's lazy queues) means 0.
   */
  readonly maxInMemoryLength?: number;
  /** `x-max-in-memory-bytes`: the same window in body bytes. */
  readonly maxInMemoryBytes?: number;
}

const OVERFLOWS: readonly OverflowBehaviour[] = ['drop-head', 'reject-publish', 'reject-publish-dlx'];

/** RabbitMQ's AMQP type names, used in its `unacceptable_type` texts. */
function amqpTypeName(value: FieldValue): string {
  if (value instanceof TypedFieldValue) {
    return (
      (
        {
          b: 'byte',
          B: 'unsignedbyte',
          s: 'short',
          u: 'unsignedshort',
          I: 'signedint',
          i: 'unsignedint',
          l: 'long',
          f: 'float',
          d: 'double',
          D: 'decimal',
          T: 'timestamp',
          t: 'bool',
        } as Record<string, string>
      )[value.type] ?? value.type
    );
  }
  if (typeof value === 'string' || Buffer.isBuffer(value)) return 'longstr';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'signedint' : 'double';
  if (typeof value === 'bigint') return 'long';
  if (value === null) return 'void';
  return Array.isArray(value) ? 'array' : 'table';
}

/** The integer in a numeric field value (any width clients encode it with), or undefined when it is not one. */
export function integerOf(value: FieldValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof TypedFieldValue && 'bBsuIil'.includes(value.type)) return Number(value.value as number | bigint);
  return undefined;
}

function textOf(value: FieldValue): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/**
 * Parses a queue's arguments; throws 406 PRECONDITION_FAILED with RabbitMQ's text for a bad one
 * (`invalid arg 'x-max-length' for queue 'q' in vhost '/': {value_negative,-1}`).
 */
export function parseQueueArguments(name: string, vhost: string, args: FieldTable): QueuePolicy {
  const invalid = (arg: string, detail: string): ChannelError =>
    new ChannelError(
      ReplyCode.PRECONDITION_FAILED,
      replyText(ReplyCode.PRECONDITION_FAILED, `invalid arg '${arg}' for queue '${name}' in vhost '${vhost}': ${detail}`),
    );
  const integer = (arg: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    const value = args[arg];
    if (value === undefined) return undefined;
    const n = integerOf(value);
    if (n === undefined) throw invalid(arg, `{unacceptable_type,${amqpTypeName(value)}}`);
    if (n < 0) throw invalid(arg, `{value_negative,${n}}`);
    if (n < min) throw invalid(arg, `{value_zero,${n}}`);
    if (n > max) throw invalid(arg, `{value_too_large,${n},${max}}`);
    return n;
  };
  const text = (arg: string): string | undefined => {
    const value = args[arg];
    if (value === undefined) return undefined;
    const s = textOf(value);
    if (s === undefined) throw invalid(arg, `{unacceptable_type,${amqpTypeName(value)}}`);
    return s;
  };
  const bool = (arg: string): boolean => {
    const value = args[arg];
    if (value === undefined) return false;
    if (typeof value === 'boolean') return value;
    if (value instanceof TypedFieldValue && value.type === 't') return Boolean(value.value);
    throw invalid(arg, `{unacceptable_type,${amqpTypeName(value)}}`);
  };
  const overflowText = text('x-overflow');
  if (overflowText !== undefined && !OVERFLOWS.includes(overflowText as OverflowBehaviour)) {
    throw invalid('x-overflow', `{unacceptable_value,<<"${overflowText}">>}`);
  }
  const deadLetterRoutingKey = text('x-dead-letter-routing-key');
  const deadLetterExchange = text('x-dead-letter-exchange');
  if (deadLetterRoutingKey !== undefined && deadLetterExchange === undefined) {
    // RabbitMQ refuses a dead-letter routing key without an exchange to send to.
    throw new ChannelError(
      ReplyCode.PRECONDITION_FAILED,
      replyText(
        ReplyCode.PRECONDITION_FAILED,
        `invalid arg 'x-dead-letter-routing-key' for queue '${name}' in vhost '${vhost}': {dead_letter_exchange_not_set}`,
      ),
    );
  }
  const queueMode = text('x-queue-mode');
  if (queueMode !== undefined && queueMode !== 'default' && queueMode !== 'lazy') {
    throw invalid('x-queue-mode', `{unacceptable_value,<<"${queueMode}">>}`);
  }
  const isLazy = queueMode === 'lazy';
  return {
    maxInMemoryLength: integer('x-max-in-memory-length', 0) ?? (isLazy ? 0 : undefined),
    maxInMemoryBytes: integer('x-max-in-memory-bytes', 0) ?? (isLazy ? 0 : undefined),
    messageTtl: integer('x-message-ttl', 0),
    expires: integer('x-expires', 1),
    maxLength: integer('x-max-length', 0),
    maxLengthBytes: integer('x-max-length-bytes', 0),
    overflow: (overflowText as OverflowBehaviour | undefined) ?? 'drop-head',
    deadLetterExchange,
    deadLetterRoutingKey,
    maxPriority: integer('x-max-priority', 1, 255),
    deliveryLimit: integer('x-delivery-limit', 0),
    singleActiveConsumer: bool('x-single-active-consumer'),
  };
}
