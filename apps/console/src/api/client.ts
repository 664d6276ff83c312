import { basicAuth, clearCredentials, loadCredentials, type Credentials } from './session';

/** A failed management API call: the HTTP status and RabbitMQ's `reason`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the API answers 401 to a logged-in user (password changed, user deleted): back to the login page. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** Encodes one path segment (a vhost `/` becomes `%2F`), as RabbitMQ's API expects. */
export const seg = (value: string) => encodeURIComponent(value);

/**
 * Calls the management API with the session's Basic credentials. `X-Requested-With` makes the admin API leave out
 * `WWW-Authenticate` on a 401, so the browser never shows its own login prompt.
 */
export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  options: { credentials?: Credentials; headers?: Record<string, string> } = {},
): Promise<T> {
  const credentials = options.credentials ?? loadCredentials();
  const headers: Record<string, string> = { 'X-Requested-With': 'XMLHttpRequest', Accept: 'application/json', ...options.headers };
  if (credentials) headers.Authorization = basicAuth(credentials);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const reason = (parsed as { reason?: unknown } | undefined)?.reason;
    if (response.status === 401 && !options.credentials) {
      clearCredentials();
      onUnauthorized();
    }
    throw new ApiError(response.status, typeof reason === 'string' ? reason : `${response.status} ${response.statusText}`);
  }
  return parsed as T;
}
