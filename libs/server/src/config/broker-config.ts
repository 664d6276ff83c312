/** Log levels, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Everything the broker can be tuned with. Timers are configurable so tests run in milliseconds.
 */
export interface BrokerConfig {
  /** Interface to listen on; undefined = every interface, IPv4 and IPv6. */
  host: string | undefined;
  /** AMQP port; 0 picks a free one. */
  port: number;
  /**
   * Interface of the management listener: the second AMQP port, reserved for the admin API (only its connections
   * may publish management requests). Loopback by default.
   */
  managementHost: string;
  /** Management listener port; 0 picks a free one (read it back from `WarrenBroker.managementPort`). */
  managementPort: number;
  /** LevelDB directory. */
  dataDir: string;
  logLevel: LogLevel;
  /** Largest frame offered in `connection.tune` (bytes, including frame header and end). */
  frameMax: number;
  /** Highest channel number offered in `connection.tune`. */
  channelMax: number;
  /** Heartbeat interval offered in `connection.tune`, in seconds (0 disables). */
  heartbeatSec: number;
  /** Milliseconds per negotiated heartbeat second: 1000 in production, smaller in tests. */
  heartbeatUnitMs: number;
  /** A client must complete the handshake (open-ok) within this time. */
  handshakeTimeoutMs: number;
  /** After a failed login, how long before the socket is dropped (RabbitMQ waits ~3 s to slow down guessing). */
  authFailureDelayMs: number;
  /** After the server sends `connection.close`, how long it waits for `close-ok` before dropping the socket. */
  closeTimeoutMs: number;
  /** Largest message body accepted (406 above it). */
  maxMessageSize: number;
  /** Most concurrent client connections; 0 = unlimited. */
  maxConnections: number;
  /** `level`: LevelDB under dataDir; `memory`: in-process maps (tests, transient deployments). */
  storage: 'level' | 'memory';
  /** After a storage fault, how often to try reopening the store. */
  storageRetryMs: number;
  /** Memory alarm threshold: a fraction of RAM (≤ 1) or a number of bytes (> 1). */
  memoryHighWatermark: number;
  /** Disk alarm: free bytes below this on the data directory's file system block publishers. */
  diskFreeLimitBytes: number;
  /** How often memory and disk are checked. */
  resourceCheckMs: number;
  /** An unacked delivery older than this closes its channel with 406 (RabbitMQ's consumer_timeout). */
  consumerTimeoutMs: number;
  /** How often consumer timeouts are checked. */
  consumerTimeoutCheckMs: number;
  /** Most queues per virtual host; 0 = unlimited. */
  maxQueuesPerVhost: number;
}

/** Defaults (RabbitMQ's where it has one). */
export const DEFAULT_CONFIG: BrokerConfig = {
  host: undefined,
  port: 5672,
  managementHost: '127.0.0.1',
  managementPort: 15673,
  dataDir: './data',
  logLevel: 'info',
  frameMax: 131072,
  channelMax: 2047,
  heartbeatSec: 60,
  heartbeatUnitMs: 1000,
  handshakeTimeoutMs: 10_000,
  authFailureDelayMs: 1000,
  closeTimeoutMs: 1000,
  maxMessageSize: 16 * 1024 * 1024,
  maxConnections: 0,
  storage: 'level',
  storageRetryMs: 1000,
  memoryHighWatermark: 0.4,
  diskFreeLimitBytes: 50 * 1024 * 1024,
  resourceCheckMs: 1000,
  consumerTimeoutMs: 30 * 60 * 1000,
  consumerTimeoutCheckMs: 60_000,
  maxQueuesPerVhost: 0,
};

/** A bad configuration value; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`config: ${name} must be an integer, got '${raw}'`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`config: ${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A host variable: undefined when unset, '' when empty; throws on characters no host name or address has. */
function hostOf(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const host = env[name]?.trim();
  if (host !== undefined && host !== '' && !/^[A-Za-z0-9.:_%-]+$/.test(host)) {
    throw new ConfigError(`config: ${name} is not a valid host name or address: '${host}'`);
  }
  return host;
}

/**
 * Reads the broker configuration from environment variables (documented in the README).
 * Throws ConfigError naming the variable on a bad value.
 */
export function loadConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  const logLevel = (env.WARREN_LOG_LEVEL ?? DEFAULT_CONFIG.logLevel).trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`config: WARREN_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${env.WARREN_LOG_LEVEL}'`);
  }
  const host = hostOf(env, 'WARREN_AMQP_HOST');
  const managementHost = hostOf(env, 'WARREN_MANAGEMENT_HOST');
  const dataDir = env.WARREN_DATA_DIR?.trim();
  if (dataDir === '') throw new ConfigError('config: WARREN_DATA_DIR must not be empty');
  const watermarkText = env.WARREN_MEMORY_HIGH_WATERMARK?.trim();
  let memoryHighWatermark = DEFAULT_CONFIG.memoryHighWatermark;
  if (watermarkText) {
    memoryHighWatermark = Number(watermarkText);
    if (!Number.isFinite(memoryHighWatermark) || memoryHighWatermark <= 0) {
      throw new ConfigError(
        `config: WARREN_MEMORY_HIGH_WATERMARK must be a fraction of RAM (0-1] or a number of bytes, got '${watermarkText}'`,
      );
    }
  }
  return {
    ...DEFAULT_CONFIG,
    memoryHighWatermark,
    consumerTimeoutMs: integer(env, 'WARREN_CONSUMER_TIMEOUT_MS', DEFAULT_CONFIG.consumerTimeoutMs, 1, 2 ** 31 - 1),
    maxMessageSize: integer(env, 'WARREN_MAX_MESSAGE_SIZE', DEFAULT_CONFIG.maxMessageSize, 1, 512 * 1024 * 1024),
    maxQueuesPerVhost: integer(env, 'WARREN_MAX_QUEUES_PER_VHOST', DEFAULT_CONFIG.maxQueuesPerVhost, 0, 10_000_000),
    host: host === '' ? undefined : host,
    port: integer(env, 'WARREN_AMQP_PORT', DEFAULT_CONFIG.port, 0, 65535),
    managementHost: managementHost || DEFAULT_CONFIG.managementHost,
    managementPort: integer(env, 'WARREN_MANAGEMENT_PORT', DEFAULT_CONFIG.managementPort, 0, 65535),
    dataDir: dataDir ?? DEFAULT_CONFIG.dataDir,
    logLevel: logLevel as LogLevel,
    maxConnections: integer(env, 'WARREN_MAX_CONNECTIONS', DEFAULT_CONFIG.maxConnections, 0, 1_000_000),
  };
}
