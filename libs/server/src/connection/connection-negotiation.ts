import { FRAME_MIN_SIZE, ReplyCode, type FieldTable, type Method } from '@app/codec';
import { ConnectionError, replyText } from '@app/broker-core';
import { serverProperties } from './server-properties.js';

/** The optional protocol extensions a client announced in `connection.start-ok`. */
export interface ClientCapabilities {
  readonly isCancelNotifySupported: boolean;
  readonly isAuthFailureCloseSupported: boolean;
  readonly isBlockedNotificationSupported: boolean;
}

/** The limits the broker offers in `connection.tune`. */
export interface TuneLimits {
  readonly channelMax: number;
  readonly frameMax: number;
  readonly heartbeatSec: number;
}

/** The `connection.start` the broker sends after a valid protocol header, offering `mechanisms` (space-separated). */
export function connectionStart(mechanisms: string): Method {
  return {
    name: 'connection.start',
    classId: 10,
    methodId: 10,
    versionMajor: 0,
    versionMinor: 9,
    serverProperties: serverProperties(),
    mechanisms: Buffer.from(mechanisms),
    locales: Buffer.from('en_US'),
  };
}

/** Reads the `capabilities` table of the client properties; a missing or malformed table announces nothing. */
export function clientCapabilities(clientProperties: FieldTable): ClientCapabilities | undefined {
  const capabilities = clientProperties.capabilities;
  if (!capabilities || typeof capabilities !== 'object' || Array.isArray(capabilities) || Buffer.isBuffer(capabilities)) return undefined;
  const table = capabilities as FieldTable;
  return {
    isCancelNotifySupported: table.consumer_cancel_notify === true,
    isAuthFailureCloseSupported: table.authentication_failure_close === true,
    isBlockedNotificationSupported: table['connection.blocked'] === true,
  };
}

/** The `connection.tune` offering the broker's limits. */
export function connectionTune(limits: TuneLimits): Method {
  return {
    name: 'connection.tune',
    classId: 10,
    methodId: 30,
    channelMax: limits.channelMax,
    frameMax: limits.frameMax,
    heartbeat: limits.heartbeatSec,
  };
}

/**
 * The limits in force after `connection.tune-ok` (0 means "the broker's limit"); a client asking for more than was
 * offered, or for frames below the protocol minimum, gets a hard error.
 */
export function negotiateTuning(limits: TuneLimits, channelMax: number, frameMax: number): { channelMax: number; frameMax: number } {
  const effectiveFrameMax = frameMax === 0 ? limits.frameMax : frameMax;
  if (effectiveFrameMax > limits.frameMax) {
    throw new ConnectionError(
      ReplyCode.NOT_ALLOWED,
      replyText(ReplyCode.NOT_ALLOWED, `frame_max=${frameMax} > ${limits.frameMax} max size`),
      10,
      31,
    );
  }
  if (effectiveFrameMax < FRAME_MIN_SIZE) {
    throw new ConnectionError(
      ReplyCode.NOT_ALLOWED,
      replyText(ReplyCode.NOT_ALLOWED, `frame_max=${frameMax} < ${FRAME_MIN_SIZE} min size`),
      10,
      31,
    );
  }
  const effectiveChannelMax = channelMax === 0 ? limits.channelMax : channelMax;
  if (effectiveChannelMax > limits.channelMax) {
    throw new ConnectionError(
      ReplyCode.NOT_ALLOWED,
      replyText(ReplyCode.NOT_ALLOWED, `channel_max=${channelMax} > ${limits.channelMax} max`),
      10,
      31,
    );
  }
  return { channelMax: effectiveChannelMax, frameMax: effectiveFrameMax };
}

/** The hard error for a connection-class method that is out of order in the handshake. */
export function unexpectedMethod(method: Method, expected: string): ConnectionError {
  return new ConnectionError(
    ReplyCode.COMMAND_INVALID,
    replyText(ReplyCode.COMMAND_INVALID, `expected '${expected}', got '${method.name}'`),
  );
}
