/** Where the broker's management listener is, and the admin API's own login there. */
export interface BrokerEndpoint {
  readonly hostname: string;
  readonly port: number;
  /** The admin API's own user (must be tagged `administrator` to send management requests). */
  readonly username: string;
  readonly password: string;
}

/** Settings of the admin API process, from the environment. */
export interface AdminConfig {
  /** `WARREN_HTTP_HOST`: the HTTP bind address; loopback by default (reliability-and-security.md §5.7). */
  readonly host: string;
  /** `WARREN_HTTP_PORT`: 15672 as RabbitMQ's management plugin; 0 picks a free port (tests). */
  readonly port: number;
  /** `WARREN_BROKER_URL`: the broker's management listener (not its client port), with the admin API's login. */
  readonly broker: BrokerEndpoint;
}

/** The broker's management listener on this host, as `npm start` runs it. */
export const DEFAULT_BROKER_URL = 'amqp://guest:guest@127.0.0.1:15673';

/** Parses `WARREN_BROKER_URL` (`amqp://user:pass@host:port`); throws naming the variable on a bad value. */
export function brokerEndpointOf(text: string): BrokerEndpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`admin-api: WARREN_BROKER_URL '${text}' is not a URL`);
  }
  if (url.protocol !== 'amqp:') throw new Error(`admin-api: WARREN_BROKER_URL must be an amqp:// URL, got '${url.protocol}'`);
  return {
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 15673 : Number(url.port),
    username: url.username === '' ? 'guest' : decodeURIComponent(url.username),
    password: url.password === '' ? 'guest' : decodeURIComponent(url.password),
  };
}

/** Reads the admin API's configuration; throws on a malformed port or broker URL. */
export function loadAdminConfig(env: NodeJS.ProcessEnv): AdminConfig {
  const rawPort = env.WARREN_HTTP_PORT ?? '15672';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`admin-api: WARREN_HTTP_PORT '${rawPort}' is not a port`);
  return {
    host: env.WARREN_HTTP_HOST ?? '127.0.0.1',
    port,
    broker: brokerEndpointOf(env.WARREN_BROKER_URL || DEFAULT_BROKER_URL),
  };
}

/** Injection token of the {@link AdminConfig}. */
export const ADMIN_CONFIG = Symbol('ADMIN_CONFIG');
