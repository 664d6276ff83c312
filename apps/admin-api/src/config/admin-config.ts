/** Settings of the admin API process, from the environment. */
export interface AdminConfig {
  /** `WARREN_HTTP_HOST`: the HTTP bind address; loopback by default (reliability-and-security.md §5.7). */
  readonly host: string;
  /** `WARREN_HTTP_PORT`: 15672 as RabbitMQ's management plugin; 0 picks a free port (tests). */
  readonly port: number;
  /** `WARREN_BROKER_URL`: the broker the management RPCs go to. */
  readonly brokerUrl: string;
}

/** Reads the admin API's configuration; throws on a malformed port. */
export function loadAdminConfig(env: NodeJS.ProcessEnv): AdminConfig {
  const rawPort = env.WARREN_HTTP_PORT ?? '15672';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`admin-api: WARREN_HTTP_PORT '${rawPort}' is not a port`);
  return {
    host: env.WARREN_HTTP_HOST ?? '127.0.0.1',
    port,
    brokerUrl: env.WARREN_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  };
}

/** Injection token of the {@link AdminConfig}. */
export const ADMIN_CONFIG = Symbol('ADMIN_CONFIG');
