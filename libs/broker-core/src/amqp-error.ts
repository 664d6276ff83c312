import { ReplyCode } from '@app/codec';

/**
 * A soft protocol error: closes only the channel it happened on.
 * Core and channel code throw it; only the connection layer turns it into `channel.close`.
 */
export class ChannelError extends Error {
  constructor(
    readonly replyCode: ReplyCode,
    readonly replyText: string,
    readonly classId = 0,
    readonly methodId = 0,
  ) {
    super(replyText);
    this.name = 'ChannelError';
  }
}

/**
 * A hard protocol error: closes the whole connection with `connection.close`.
 */
export class ConnectionError extends Error {
  constructor(
    readonly replyCode: ReplyCode,
    readonly replyText: string,
    readonly classId = 0,
    readonly methodId = 0,
  ) {
    super(replyText);
    this.name = 'ConnectionError';
  }
}

/** Builds RabbitMQ's reply text form, `NOT_FOUND - no queue 'q' in vhost '/'`. */
export function replyText(code: ReplyCode, detail: string): string {
  return `${ReplyCode[code] ?? 'UNKNOWN'} - ${detail}`;
}
