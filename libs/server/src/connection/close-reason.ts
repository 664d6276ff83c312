import { CodecError, ReplyCode } from '@app/codec';
import { ChannelError, ConnectionError, replyText } from '@app/broker-core';

/** The arguments of a `channel.close` or `connection.close`. */
export interface CloseReason {
  readonly replyCode: number;
  readonly replyText: string;
  readonly classId: number;
  readonly methodId: number;
}

/**
 * The `connection.close` for anything thrown while handling a frame; `classId`/`methodId` name the failing method
 * when the error does not. Anything else is a bug: it becomes INTERNAL_ERROR, and `detail` (its stack) is for the
 * log only, since the client must not see internals.
 */
export function connectionCloseReason(error: unknown, classId: number, methodId: number): CloseReason & { detail?: string } {
  if (error instanceof ConnectionError || error instanceof ChannelError) {
    return {
      replyCode: error.replyCode,
      replyText: error.replyText,
      classId: error.classId || classId,
      methodId: error.methodId || methodId,
    };
  }
  if (error instanceof CodecError) {
    return {
      replyCode: error.replyCode,
      replyText: error.message,
      classId: error.classId || classId,
      methodId: error.methodId || methodId,
    };
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return {
    replyCode: ReplyCode.INTERNAL_ERROR,
    replyText: replyText(ReplyCode.INTERNAL_ERROR, 'internal error'),
    classId,
    methodId,
    detail,
  };
}
