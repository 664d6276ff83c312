import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-error.js';

/** How to reach the admin API and as whom. */
export interface ConnectionSettings {
  /** The admin API's base URL (a path prefix such as `/rabbit` kept), without a trailing slash. */
  url: string;
  user: string;
  password: string;
  /** Skip the server certificate check (self-signed test setups). */
  insecure: boolean;
  /** PEM CA certificate(s) that the server's certificate must chain to. */
  ca?: string;
}

/** The global options that carry connection settings (commander's names). */
export interface ConnectionFlags {
  url?: string;
  user?: string;
  password?: string;
  config?: string;
  insecure?: boolean;
  ca?: string;
}

/** The settings file, `~/.config/warren/cli.json` unless `--config` or `WARREN_CLI_CONFIG` names another. */
interface SettingsFile {
  url?: string;
  user?: string;
  password?: string;
  insecure?: boolean;
  ca?: string;
}

/** RabbitMQ's management listener and default user, as `rabbitmqadmin` assumes. */
export const DEFAULT_SETTINGS = { url: 'http://localhost:15672', user: 'guest', password: 'guest' } as const;

/** The default settings file: `$XDG_CONFIG_HOME/warren/cli.json`, else `~/.config/warren/cli.json`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'warren', 'cli.json');
}

function readSettingsFile(path: string, explicit: boolean): SettingsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // The default file is optional; one the user named must exist.
    if (!explicit && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read the config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`the config file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CliError(`the config file ${path} is not a JSON object`);
  const file = parsed as Record<string, unknown>;
  for (const key of ['url', 'user', 'password', 'ca'] as const) {
    if (file[key] !== undefined && typeof file[key] !== 'string') throw new CliError(`the config file ${path}: "${key}" must be a string`);
  }
  if (file.insecure !== undefined && typeof file.insecure !== 'boolean')
    throw new CliError(`the config file ${path}: "insecure" must be a boolean`);
  return file as SettingsFile;
}

/**
 * The connection settings: flags over the environment (`WARREN_ADMIN_URL`, `WARREN_ADMIN_USER`,
 * `WARREN_ADMIN_PASS`) over the settings file over RabbitMQ's defaults (http://localhost:15672, guest/guest).
 */
export function resolveConnectionSettings(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const configPath = flags.config ?? env.WARREN_CLI_CONFIG;
  const file = readSettingsFile(configPath ?? defaultConfigPath(env), configPath !== undefined);
  const url = flags.url ?? env.WARREN_ADMIN_URL ?? file.url ?? DEFAULT_SETTINGS.url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`invalid admin API URL: ${url}`, 2);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError(`invalid admin API URL (http or https): ${url}`, 2);
  const caFile = flags.ca ?? file.ca;
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read the CA file ${caFile}: ${(error as Error).message}`);
    }
  }
  return {
    url: url.replace(/\/+$/, ''),
    user: flags.user ?? env.WARREN_ADMIN_USER ?? file.user ?? DEFAULT_SETTINGS.user,
    password: flags.password ?? env.WARREN_ADMIN_PASS ?? file.password ?? DEFAULT_SETTINGS.password,
    insecure: flags.insecure ?? file.insecure ?? false,
    ca,
  };
}
