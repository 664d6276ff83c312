import { isManagementPattern, type ManagementPattern } from './management-patterns.js';

// The message format of the management path. A request is one AMQP message published by the admin API on a
// management connection to the management exchange: routing key = pattern, `replyTo` = the channel's direct
// reply-to address, `correlationId` = the envelope's id, `contentType` application/json, body = the request
// envelope. The reply comes back over direct reply-to with the same `correlationId`.
//
// No password travels here: the admin API verifies HTTP credentials by logging in on the management listener, and a
// request names only the user it acts for. The broker believes that name only on a management connection.

/** The content type of every management message. */
export const MANAGEMENT_CONTENT_TYPE = 'application/json';

/** Who a request acts for: the HTTP user (already verified by the admin API) and the HTTP client's address. */
export interface ManagementCaller {
  readonly username: string;
  /** The HTTP client's address, for loopback-only users (`guest`). */
  readonly remote_address?: string;
}

/** A management request as it travels. */
export interface ManagementRequestEnvelope {
  readonly id: string;
  readonly pattern: ManagementPattern;
  readonly caller: ManagementCaller;
  readonly data: Record<string, unknown>;
}

/**
 * A refused request, turned into the HTTP status and RabbitMQ-style `{error, reason}` body by the admin API.
 */
export interface ManagementFailure {
  readonly status: number;
  readonly error: string;
  readonly reason: string;
  /** Seconds the client should wait before retrying (503 on backpressure). */
  readonly retryAfter?: number;
}

/** A reply: the handler's `response`, or `err`. */
export type ManagementReplyEnvelope =
  { readonly id: string; readonly response: unknown } | { readonly id: string; readonly err: ManagementFailure };

/** Bytes of a request envelope. */
export function encodeManagementRequest(request: ManagementRequestEnvelope): Buffer {
  return Buffer.from(JSON.stringify(request));
}

/** Bytes of a reply envelope. */
export function encodeManagementReply(reply: ManagementReplyEnvelope): Buffer {
  return Buffer.from(JSON.stringify(reply));
}

/** A malformed management message (wrong JSON shape). */
export class ManagementFormatError extends Error {
  constructor(message: string) {
    super(`management-contract: ${message}`);
    this.name = 'ManagementFormatError';
  }
}

function objectOf(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ManagementFormatError(`body is not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ManagementFormatError('body is not a JSON object');
  return value as Record<string, unknown>;
}

/** Parses and checks a request envelope; throws ManagementFormatError naming what is wrong. */
export function decodeManagementRequest(body: Buffer): ManagementRequestEnvelope {
  const value = objectOf(body);
  if (typeof value.id !== 'string') throw new ManagementFormatError("'id' must be a string");
  if (!isManagementPattern(value.pattern)) throw new ManagementFormatError(`unknown pattern '${String(value.pattern)}'`);
  const caller = value.caller as Record<string, unknown> | undefined;
  if (typeof caller !== 'object' || caller === null || typeof caller.username !== 'string') {
    throw new ManagementFormatError("'caller.username' must be a string");
  }
  if (caller.remote_address !== undefined && typeof caller.remote_address !== 'string') {
    throw new ManagementFormatError("'caller.remote_address' must be a string");
  }
  const data = value.data ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ManagementFormatError("'data' must be an object");
  return {
    id: value.id,
    pattern: value.pattern,
    caller: { username: caller.username, remote_address: caller.remote_address as string | undefined },
    data: data as Record<string, unknown>,
  };
}

/** Parses and checks a reply envelope; throws ManagementFormatError naming what is wrong. */
export function decodeManagementReply(body: Buffer): ManagementReplyEnvelope {
  const value = objectOf(body);
  if (typeof value.id !== 'string') throw new ManagementFormatError("'id' must be a string");
  if (value.err !== undefined) {
    const err = value.err as Record<string, unknown>;
    if (typeof err !== 'object' || err === null || typeof err.status !== 'number' || typeof err.reason !== 'string') {
      throw new ManagementFormatError("'err' must be {status, error, reason}");
    }
    return { id: value.id, err: err as unknown as ManagementFailure };
  }
  return { id: value.id, response: value.response };
}
