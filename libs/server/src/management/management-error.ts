import { ChannelError, ConnectionError } from '@app/broker-core';
import { ReplyCode } from '@app/codec';
import type { ManagementFailure } from '@app/management-contract';

/** Thrown by management handlers; the RPC consumer replies with its {@link ManagementFailure}. */
export class ManagementError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
    readonly retryAfter?: number,
  ) {
    super(`management: ${reason}`);
    this.name = 'ManagementError';
  }

  /** RabbitMQ's 404 body. */
  static notFound(): ManagementError {
    return new ManagementError(404, 'Object Not Found', 'Not Found');
  }

  /** RabbitMQ's 400 body carrying a reason text. */
  static badRequest(reason: string): ManagementError {
    return new ManagementError(400, 'bad_request', reason);
  }

  /** RabbitMQ's 401 body for a failed login. */
  static notAuthorized(reason = 'Login failed'): ManagementError {
    return new ManagementError(401, 'not_authorized', reason);
  }

  /**
   * RabbitMQ's 401 body for a logged-in user refused by its tags or permissions: its management plugin spells this
   * error `not_authorised` (rabbit_mgmt_util:not_authorised), unlike a failed login's `not_authorized`.
   */
  static notAuthorised(reason: string): ManagementError {
    return new ManagementError(401, 'not_authorised', reason);
  }

  /** 503 for publishes refused by backpressure (full queue, resource alarm). */
  static unavailable(reason: string, retryAfter = 5): ManagementError {
    return new ManagementError(503, 'service_unavailable', reason, retryAfter);
  }
}

/** Whether an error is a permission refusal (403 with RabbitMQ's `… refused for user 'bob'` text). */
export function isPermissionRefusal(error: unknown): boolean {
  return isAccessRefused(error) && / refused for user '/.test((error as ChannelError).replyText);
}

/** Whether an error is any 403 ACCESS_REFUSED (a permission refusal or a reserved `amq.*` name). */
export function isAccessRefused(error: unknown): boolean {
  return (error instanceof ChannelError || error instanceof ConnectionError) && error.replyCode === ReplyCode.ACCESS_REFUSED;
}

/**
 * Runs `action`, turning any 403 into RabbitMQ's answer to a refused management action that it runs as a direct
 * AMQP method (declare, delete, bind, unbind, purge: its `direct_request`): 401 `not_authorised`, `Access refused.`.
 */
export function asDirectRequest<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (isAccessRefused(error)) throw ManagementError.notAuthorised('Access refused.');
    throw error;
  }
}

/**
 * Maps anything a handler threw to a failure: AMQP errors keep their text without the `CODE - ` prefix, as RabbitMQ's
 * management plugin shows them (`inequivalent arg 'durable' for queue …`); NOT_FOUND is a 404; ACCESS_REFUSED a 401.
 */
export function toManagementFailure(error: unknown): ManagementFailure {
  if (error instanceof ManagementError) {
    return { status: error.status, error: error.error, reason: error.reason, retryAfter: error.retryAfter };
  }
  if (error instanceof ChannelError || error instanceof ConnectionError) {
    // RabbitMQ's management plugin answers a channel closed with 403 (a get as the caller) with 401 and the
    // channel's whole reply text (its `with_channel`).
    if (isPermissionRefusal(error)) return { status: 401, error: 'not_authorised', reason: error.replyText };
    const reason = error.replyText.replace(/^[A-Z_]+ - /, '');
    if (error.replyCode === ReplyCode.NOT_FOUND) return { status: 404, error: 'Object Not Found', reason };
    return { status: 400, error: 'bad_request', reason };
  }
  const reason = error instanceof Error ? error.message : String(error);
  return { status: 500, error: 'internal_error', reason };
}
