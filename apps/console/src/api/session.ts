/** The logged-in user's credentials, kept for this browser tab only (sessionStorage), as RabbitMQ's UI does. */
export interface Credentials {
  username: string;
  password: string;
}

const KEY = 'warren.credentials';

/** The stored credentials, or undefined before login. */
export function loadCredentials(): Credentials | undefined {
  const text = sessionStorage.getItem(KEY);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Credentials;
  } catch {
    return undefined;
  }
}

export function saveCredentials(credentials: Credentials): void {
  sessionStorage.setItem(KEY, JSON.stringify(credentials));
}

export function clearCredentials(): void {
  sessionStorage.removeItem(KEY);
}

/** The Basic `Authorization` header value (UTF-8 safe). */
export function basicAuth({ username, password }: Credentials): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}
