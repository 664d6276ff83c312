import { PATTERN_HEADER, RETRY_COUNT_HEADER } from './warren-constants.js';

/**
 * Wire format. Nest-compatible JSON bodies (the same as Transport.RMQ): requests `{pattern, data, id}`, events
 * `{pattern, data}`, replies `{id, response | err, isDisposed}`. Non-Nest producers may send any body: a JSON
 * body without a `pattern` key is the data, and the pattern is the `x-warren-pattern` header or else the routing
 * key; a non-JSON body is the data as a string (text) or a Buffer.
 */

/** A request or event as decoded from a delivery. */
export interface DecodedMessage {
  pattern: unknown;
  data: unknown;
  /** Request id: the body's `id`, else the `correlationId` of a message that asks for a reply. */
  id?: string;
  metadata?: Record<string, string>;
}

/** A reply as decoded from the reply-to consumer. */
export interface DecodedReply {
  id?: string;
  err?: unknown;
  response?: unknown;
  isDisposed?: boolean;
  status?: string;
}

/** Routing facts of a delivery that decoding needs besides the body. */
export interface DeliveryInfo {
  routingKey: string;
  properties: { headers?: Record<string, unknown>; correlationId?: string; replyTo?: string; contentType?: string };
}

const REPLY_KEYS = new Set(['id', 'err', 'response', 'isDisposed', 'status']);

/** Serialises a packet (request, event or reply) as a JSON body. */
export function encodeBody(packet: object): Buffer {
  return Buffer.from(JSON.stringify(packet));
}

/** Parses a body by content type: JSON when declared or undeclared (Nest sends none), text, or raw bytes. */
export function parseBody(content: Buffer, contentType: string | undefined): unknown {
  const type = contentType?.toLowerCase();
  if (type === undefined || type.includes('json')) {
    const text = content.toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return type.startsWith('text/') ? content.toString('utf8') : content;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function asMetadata(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) if (typeof item === 'string') out[key] = item;
  return out;
}

/** Decodes an incoming request or event, accepting Nest packets and plain bodies from other producers. */
export function decodeMessage(content: Buffer, info: DeliveryInfo): DecodedMessage {
  const body = parseBody(content, info.properties.contentType);
  const headers = info.properties.headers ?? {};
  const wantsReply = typeof info.properties.replyTo === 'string' && info.properties.replyTo !== '';
  const correlationId = info.properties.correlationId;
  if (isRecord(body) && body.pattern !== undefined) {
    const id = typeof body.id === 'string' ? body.id : wantsReply ? correlationId : undefined;
    return { pattern: body.pattern, data: body.data, id, metadata: asMetadata(body.metadata) };
  }
  const headerPattern = headers[PATTERN_HEADER];
  return {
    pattern: typeof headerPattern === 'string' ? headerPattern : info.routingKey,
    data: body,
    id: wantsReply ? correlationId : undefined,
  };
}

/**
 * Decodes a reply. A Nest reply is recognised by having only reply keys; anything else came from a non-Nest
 * responder and is one complete response.
 */
export function decodeReply(content: Buffer, contentType: string | undefined, correlationId: string | undefined): DecodedReply {
  const body = parseBody(content, contentType);
  if (isRecord(body) && Object.keys(body).length > 0 && Object.keys(body).every((key) => REPLY_KEYS.has(key))) {
    return { ...body, id: typeof body.id === 'string' ? body.id : correlationId } as DecodedReply;
  }
  return { id: correlationId, response: body, isDisposed: true };
}

/** The retry count a message carries (absent, malformed or negative = 0). */
export function readRetryCount(headers: Record<string, unknown> | undefined): number {
  const raw = headers?.[RETRY_COUNT_HEADER];
  const value = typeof raw === 'number' ? raw : typeof raw === 'bigint' ? Number(raw) : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(value) && value > 0 ? value : 0;
}
