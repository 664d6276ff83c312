import { z } from 'zod';
import { amqpUrlKind, hostKind, portKind } from './env-kinds.js';
import { parseEnv } from './parse-env.js';

/** Settings of the admin API process, from the environment (README, "Configuration"). */
export interface AdminConfig {
  /** `WARREN_HTTP_HOST`: the HTTP bind address; loopback by default, so the API is not exposed unless asked. */
  readonly host: string;
  /** `WARREN_HTTP_PORT`: 15672 as RabbitMQ's management plugin; 0 picks a free port (tests). */
  readonly port: number;
  /** `WARREN_BROKER_URL`: the broker the management RPCs go to. */
  readonly brokerUrl: string;
}

const adminEnvSchema = z
  .object({
    WARREN_HTTP_HOST: hostKind().default('127.0.0.1'),
    WARREN_HTTP_PORT: portKind().default(15672),
    WARREN_BROKER_URL: amqpUrlKind().default('amqp://guest:guest@127.0.0.1:5672'),
  })
  .transform((vars): AdminConfig => ({ host: vars.WARREN_HTTP_HOST, port: vars.WARREN_HTTP_PORT, brokerUrl: vars.WARREN_BROKER_URL }));

/** Reads the admin API's `WARREN_*` variables; throws ConfigError naming each bad one (never echoing the URL). */
export function loadAdminConfig(env: NodeJS.ProcessEnv = process.env): AdminConfig {
  return parseEnv(adminEnvSchema, env, { secret: ['WARREN_BROKER_URL'] });
}
