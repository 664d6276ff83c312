import type { ReplyCode } from './generated/constants.js';

/**
 * A malformed or unrepresentable frame, method, property list or field table, carrying the AMQP reply code the
 * connection must close with.
 *
 * @remarks
 * `message` is the full RabbitMQ-style reply text (`FRAME_ERROR - frame size 200000 exceeds frame_max 131072`), so
 * the connection layer can put it into `connection.close` unchanged. `classId`/`methodId` name the method being
 * decoded or encoded when the fault is inside one, else 0.
 */
export class CodecError extends Error {
  constructor(
    readonly replyCode: ReplyCode,
    message: string,
    readonly classId = 0,
    readonly methodId = 0,
  ) {
    super(message);
    this.name = 'CodecError';
  }
}
