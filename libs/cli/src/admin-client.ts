import { Agent, fetch, type BodyInit, type Response } from 'undici';
import { CliError, describeError } from './cli-error.js';
import type { ConnectionSettings } from './connection-settings.js';

/** One request to the admin API. */
export interface AdminRequest {
  method?: string;
  /** JSON body (serialised here). */
  json?: unknown;
  /** A raw body (a stream for uploads), sent as-is with `contentType`. */
  body?: BodyInit;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Encodes one path segment as RabbitMQ's API expects (the default vhost `/` is `%2F`). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/**
 * The admin API over HTTP, as one user. Every failure becomes a {@link CliError} with a one-line message: the HTTP
 * status with RabbitMQ's `error`/`reason`, or why the server could not be reached.
 */
export class AdminClient {
  private readonly dispatcher: Agent;
  private readonly authorization: string;

  constructor(readonly settings: ConnectionSettings) {
    // undici's own fetch and Agent: Node's global fetch takes no TLS options (a CA, or no verification).
    this.dispatcher = new Agent({ connect: { rejectUnauthorized: !settings.insecure, ...(settings.ca ? { ca: settings.ca } : {}) } });
    this.authorization = `Basic ${Buffer.from(`${settings.user}:${settings.password}`).toString('base64')}`;
  }

  /** Sends a request and returns the raw response once it is a 2xx; throws a CliError otherwise. */
  async send(path: string, request: AdminRequest = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json', ...request.headers };
    let body: BodyInit | undefined = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] = 'application/json';
    } else if (request.contentType) headers['content-type'] = request.contentType;
    const url = this.settings.url + path;
    let response: Response;
    try {
      response = await fetch(url, {
        method: request.method ?? 'GET',
        headers,
        body,
        dispatcher: this.dispatcher,
        // A stream body needs half-duplex (the request is sent before the response is read).
        ...(body && typeof body === 'object' && !(body instanceof Uint8Array) ? { duplex: 'half' } : {}),
      });
    } catch (error) {
      throw new CliError(`cannot reach the admin API at ${this.settings.url}: ${describeError(error)}`);
    }
    if (response.ok) return response;
    throw new CliError(`${request.method ?? 'GET'} ${path}: ${await failureOf(response)}`);
  }

  /** Sends a request and parses the JSON answer (undefined for an empty body, as 201/204 are). */
  async request<T = unknown>(path: string, request: AdminRequest = {}): Promise<T> {
    const response = await this.send(path, request);
    const text = await response.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${request.method ?? 'GET'} ${path}: the admin API answered with something that is not JSON`);
    }
  }

  /** Closes the connection pool (so the process exits at once). */
  close(): Promise<void> {
    return this.dispatcher.close();
  }
}

/** "HTTP 404 Not Found: Object Not Found" style text from an error response: the status, then RabbitMQ's reason. */
async function failureOf(response: Response): Promise<string> {
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown; reason?: unknown };
    // RabbitMQ's 404 says `{"error":"Object Not Found","reason":"Not Found"}`: the reason repeats the status text.
    const reason = body.reason === undefined || body.reason === response.statusText ? (body.error ?? body.reason) : body.reason;
    if (reason !== undefined) return `${status}: ${typeof reason === 'string' ? reason : JSON.stringify(reason)}`;
  } catch {
    // Not RabbitMQ's JSON error body: show the start of the text.
  }
  const brief = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return brief ? `${status}: ${brief}` : status;
}
