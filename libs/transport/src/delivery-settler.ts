import type { Logger } from '@nestjs/common';
import type { ConfirmChannel, ConsumeMessage, MessageProperties, Options } from 'amqplib';
import type { RetryDecision, RetryPolicy } from './retry-policy.js';
import { ERROR_HEADER, ORIGIN_QUEUE_HEADER, PATTERN_HEADER, RETRY_COUNT_HEADER, type GroupQueueNames } from './warren-constants.js';
import type { DeliverySettler, NackOptions } from './warren-context.js';

/** Longest failure reason kept in a header: a stack trace per message would bloat every retried copy. */
const MAX_REASON_LENGTH = 1000;

/** What a settler needs from its server. */
export interface SettlerDeps {
  names: GroupQueueNames;
  policy: RetryPolicy;
  logger: Logger;
}

/** Calls a channel method that throws once the channel is closed: the broker then requeues the delivery itself. */
function onOpenChannel(action: () => void): void {
  try {
    action();
  } catch {
    // IllegalOperationError: the channel (or connection) closed; the unacked delivery goes back to its queue.
  }
}

/** Properties a retried or dead-lettered copy keeps (expiration is dropped: the delay queue's TTL decides). */
function copyProperties(properties: MessageProperties, headers: Record<string, unknown>): Options.Publish {
  return {
    contentType: properties.contentType,
    contentEncoding: properties.contentEncoding,
    correlationId: properties.correlationId,
    messageId: properties.messageId,
    timestamp: properties.timestamp,
    type: properties.type,
    appId: properties.appId,
    priority: properties.priority,
    headers,
    persistent: true,
  };
}

/** Publishes on a confirm channel and resolves once the broker confirmed. */
function publishConfirmed(channel: ConfirmChannel, queue: string, content: Buffer, options: Options.Publish): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      channel.publish('', queue, content, options, (error) => (error ? reject(error) : resolve()));
    } catch (error) {
      reject(error);
    }
  });
}

/**
 * Settles one request delivery: its outcome is its reply, so there is no retry topology. `nack()` drops the
 * request (the requester times out) unless `requeue` asks for another instance to take it.
 */
export function createRequestSettler(channel: ConfirmChannel, message: ConsumeMessage): DeliverySettler {
  return {
    ack: async () => onOpenChannel(() => channel.ack(message)),
    nack: async (options: NackOptions) => onOpenChannel(() => channel.nack(message, false, options.requeue === true)),
  };
}

/**
 * Settles one event delivery of a group queue. `ack` acks; `nack` follows the retry policy: it publishes a copy to the
 * delay queue for the next retry (or straight back to the group queue for a 0 ms delay, or to the dead-letter
 * queue when out of retries), waits for the broker's confirm, and only then acks the original. So a message is
 * never lost between the two: at worst (a crash in between) it is delivered twice.
 */
export function createDeliverySettler(
  deps: SettlerDeps,
  channel: ConfirmChannel,
  message: ConsumeMessage,
  pattern: string,
  retryCount: number,
): DeliverySettler {
  return {
    ack: async () => onOpenChannel(() => channel.ack(message)),
    nack: async (options: NackOptions) => {
      if (options.requeue) return onOpenChannel(() => channel.nack(message, false, true));
      const decision: RetryDecision = options.retry === false ? { kind: 'dead-letter', retryCount } : deps.policy.decide(retryCount);
      const headers: Record<string, unknown> = {
        ...message.properties.headers,
        [RETRY_COUNT_HEADER]: decision.retryCount,
        [PATTERN_HEADER]: pattern,
        [ERROR_HEADER]: (options.reason ?? 'rejected').slice(0, MAX_REASON_LENGTH),
      };
      let target: string;
      if (decision.kind === 'dead-letter') {
        target = deps.names.deadLetter;
        headers[ORIGIN_QUEUE_HEADER] = deps.names.events;
        deps.logger.warn(`'${pattern}' dead-lettered to ${target} after ${decision.retryCount} retries: ${options.reason ?? 'rejected'}`);
      } else {
        target = decision.delayMs === 0 ? deps.names.events : deps.names.retry(decision.delayMs);
      }
      try {
        await publishConfirmed(channel, target, message.content, copyProperties(message.properties, headers));
      } catch (error) {
        // Not stored: keep the original instead (requeued now, or by the broker if the channel is gone).
        deps.logger.error(`could not move '${pattern}' to ${target} (${String(error)}); requeued`);
        return onOpenChannel(() => channel.nack(message, false, true));
      }
      onOpenChannel(() => channel.ack(message));
    },
  };
}
