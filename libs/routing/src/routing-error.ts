/** The AMQP reply codes routing raises (the broker's `ReplyCode` enum carries the same numbers). */
export const RoutingReplyCode = {
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  PRECONDITION_FAILED: 406,
  COMMAND_INVALID: 503,
} as const;

// Hard errors close the connection, soft ones the channel (AMQP 0-9-1 §1.4.2, "amqp-error" constants).
const HARD_REPLY_CODES: ReadonlySet<number> = new Set([320, 402, 501, 502, 503, 504, 505, 506, 530, 540, 541]);

/** Error raised by topology operations; the broker turns it into a channel.close or connection.close. */
export class RoutingError extends Error {
  /** True when the code is a connection-level (hard) error, e.g. 503 COMMAND_INVALID for an unknown type. */
  readonly isHard: boolean;

  /** `replyText` is RabbitMQ's full text, e.g. `NOT_FOUND - no exchange 'x' in vhost '/'`. */
  constructor(
    readonly replyCode: number,
    readonly replyText: string,
  ) {
    super(replyText);
    this.name = 'RoutingError';
    this.isHard = HARD_REPLY_CODES.has(replyCode);
  }
}
