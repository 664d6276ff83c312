import { z } from 'zod';
import { amqpUrlKind, hostKind, pathKind, portKind } from './env-kinds.js';
import { parseEnv } from './parse-env.js';

/** Settings of the admin API process, from the environment (README, "Configuration"). */
export interface AdminConfig {
  /** `WARREN_HTTP_HOST`: the HTTP bind address; loopback by default, so the API is not exposed unless asked. */
  readonly host: string;
  /** `WARREN_HTTP_PORT`: 15672 as RabbitMQ's management plugin; 0 picks a free port (tests). */
  readonly port: number;
  /** `WARREN_BROKER_URL`: the broker's management listener (not its client port), with the admin API's login. */
  readonly broker: BrokerEndpoint;
  /** `WARREN_HTTP_TLS_CERT_FILE` and `WARREN_HTTP_TLS_KEY_FILE`: serve HTTPS with these PEM files; undefined = HTTP. */
  readonly https: HttpsFiles | undefined;
}

/** The PEM files the admin API serves HTTPS with. */
export interface HttpsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Where the broker's management listener is, and the admin API's own login there. */
export interface BrokerEndpoint {
  readonly hostname: string;
  readonly port: number;
  /** The admin API's own user (must be tagged `administrator` to send management requests). */
  readonly username: string;
  readonly password: string;
}

/** The management listener's port when the URL names none. */
const MANAGEMENT_PORT = 15673;

/** The parts of an `amqp://user:pass@host:port` URL the admin API needs (guest/guest when it names no user). */
function brokerEndpointOf(text: string): BrokerEndpoint {
  const url = new URL(text);
  return {
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? MANAGEMENT_PORT : Number(url.port),
    username: url.username === '' ? 'guest' : decodeURIComponent(url.username),
    password: url.password === '' ? 'guest' : decodeURIComponent(url.password),
  };
}

const adminEnvSchema = z
  .object({
    WARREN_HTTP_HOST: hostKind().default('127.0.0.1'),
    WARREN_HTTP_PORT: portKind().default(15672),
    WARREN_BROKER_URL: amqpUrlKind().default(`amqp://guest:guest@127.0.0.1:${MANAGEMENT_PORT}`),
    WARREN_HTTP_TLS_CERT_FILE: pathKind().optional(),
    WARREN_HTTP_TLS_KEY_FILE: pathKind().optional(),
  })
  .superRefine((vars, context) => {
    // Half an HTTPS setup would silently serve plain HTTP: name the missing half instead.
    const cert = vars.WARREN_HTTP_TLS_CERT_FILE;
    const key = vars.WARREN_HTTP_TLS_KEY_FILE;
    if (cert !== undefined && key === undefined)
      context.addIssue({
        code: 'custom',
        path: ['WARREN_HTTP_TLS_KEY_FILE'],
        message: 'must be set when WARREN_HTTP_TLS_CERT_FILE is set',
      });
    if (key !== undefined && cert === undefined)
      context.addIssue({
        code: 'custom',
        path: ['WARREN_HTTP_TLS_CERT_FILE'],
        message: 'must be set when WARREN_HTTP_TLS_KEY_FILE is set',
      });
  })
  .transform((vars): AdminConfig => ({
    host: vars.WARREN_HTTP_HOST,
    port: vars.WARREN_HTTP_PORT,
    broker: brokerEndpointOf(vars.WARREN_BROKER_URL),
    https:
      vars.WARREN_HTTP_TLS_CERT_FILE !== undefined && vars.WARREN_HTTP_TLS_KEY_FILE !== undefined
        ? { certFile: vars.WARREN_HTTP_TLS_CERT_FILE, keyFile: vars.WARREN_HTTP_TLS_KEY_FILE }
        : undefined,
  }));

/** Reads the admin API's `WARREN_*` variables; throws ConfigError naming each bad one (never echoing the URL). */
export function loadAdminConfig(env: NodeJS.ProcessEnv = process.env): AdminConfig {
  return parseEnv(adminEnvSchema, env, { secret: ['WARREN_BROKER_URL'] });
}
