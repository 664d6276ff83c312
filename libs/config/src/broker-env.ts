import { hostname } from 'node:os';
import { z } from 'zod';
import {
  booleanKind,
  diskFreeLimitKind,
  fractionOrCountKind,
  hostKind,
  integerKind,
  listenHostKind,
  logLevelKind,
  nameListKind,
  pathKind,
  portKind,
} from './env-kinds.js';
import type { LogLevel } from './log-level.js';
import { parseEnv } from './parse-env.js';

/** The broker settings that come from `WARREN_*` environment variables (README, "Configuration"). */
export interface BrokerEnv {
  /** `WARREN_AMQP_HOST`: interface to listen on; undefined = every interface, IPv4 and IPv6. */
  host: string | undefined;
  /** `WARREN_AMQP_PORT`: AMQP port; 0 picks a free one. */
  port: number;
  /** `WARREN_DATA_DIR`: LevelDB directory. */
  dataDir: string;
  /** `WARREN_LOG_LEVEL`: the most verbose level written. */
  logLevel: LogLevel;
  /** `WARREN_MAX_CONNECTIONS`: most concurrent client connections; 0 = unlimited. */
  maxConnections: number;
  /** `WARREN_MEMORY_HIGH_WATERMARK`: memory alarm threshold, a fraction of RAM (≤ 1) or a number of bytes (> 1). */
  memoryHighWatermark: number;
  /** `WARREN_CONSUMER_TIMEOUT_MS`: an unacked delivery older than this closes its channel with 406. */
  consumerTimeoutMs: number;
  /** `WARREN_MAX_MESSAGE_SIZE`: largest message body accepted (406 above it). */
  maxMessageSize: number;
  /** `WARREN_MAX_QUEUES_PER_VHOST`: most queues per virtual host; 0 = unlimited. */
  maxQueuesPerVhost: number;
  /** `WARREN_QUEUE_WINDOW_MESSAGES`: ready messages per queue whose bodies stay in memory (the rest is paged to disk). */
  queueWindowMessages: number;
  /** `WARREN_QUEUE_WINDOW_BYTES`: body bytes per queue kept in memory, whichever of the two limits comes first. */
  queueWindowBytes: number;
  /** `WARREN_LEVEL_WRITE_BUFFER_SIZE`: LevelDB's memtable in bytes (two at most in memory; docs/RELIABILITY.md, "Memory"). */
  levelWriteBufferSize: number;
  /** `WARREN_LEVEL_MAX_FILE_SIZE`: LevelDB's table file size in bytes after compaction. */
  levelMaxFileSize: number;
  /** `WARREN_LEVEL_MAX_OPEN_FILES`: table files LevelDB keeps open, each memory-mapped (74, LevelDB's minimum, by default). */
  levelMaxOpenFiles: number;
  /** `WARREN_MANAGEMENT_PORT`: the AMQP port reserved for the admin API; 0 picks a free one. */
  managementPort: number;
  /** `WARREN_MANAGEMENT_HOST`: the interface the admin API's AMQP port binds (loopback by default). */
  managementHost: string;
  /** `WARREN_MAX_SOCKETS`: most open client sockets (refused past it, before any AMQP byte); 0 = from the fd limit. */
  maxSockets: number;
  /** `WARREN_RESOURCE_CHECK_MS`: how often memory and disk are checked. */
  resourceCheckMs: number;
  /** `WARREN_AMQPS_PORT`: the AMQP-over-TLS port (RabbitMQ's 5671); undefined = no TLS listener; 0 picks a free one. */
  amqpsPort: number | undefined;
  /** `WARREN_AMQPS_HOST`: interface the TLS listener binds; undefined = every interface, IPv4 and IPv6. */
  amqpsHost: string | undefined;
  /** `WARREN_TLS_CERT_FILE`: the server's PEM certificate chain (required with `amqpsPort`). */
  tlsCertFile: string | undefined;
  /** `WARREN_TLS_KEY_FILE`: the server's PEM private key (required with `amqpsPort`). */
  tlsKeyFile: string | undefined;
  /** `WARREN_TLS_CA_FILE`: PEM CA certificates that client certificates must chain to (required to verify peers). */
  tlsCaFile: string | undefined;
  /** `WARREN_TLS_VERIFY_PEER`: ask for and check client certificates (RabbitMQ's `verify_peer`; false = `verify_none`). */
  tlsVerifyPeer: boolean;
  /** `WARREN_TLS_FAIL_IF_NO_PEER_CERT`: with `tlsVerifyPeer`, refuse clients that present no certificate. */
  tlsFailIfNoPeerCert: boolean;
  /** `WARREN_AUTH_FAILURE_DELAY_MS`: a failed login is answered after this, doubled per recent failure from its address. */
  authFailureDelayMs: number;
  /** `WARREN_AUTH_FAILURE_MAX_DELAY_MS`: the cap on that growing delay. */
  authFailureMaxDelayMs: number;
  /** `WARREN_DISK_FREE_LIMIT`: disk alarm: free bytes below this on the data directory's file system block publishers. */
  diskFreeLimitBytes: number;
  /** `WARREN_DEFAULT_USER`: the administrator created (full permissions on `/`) when no user is stored yet. */
  defaultUser: string;
  /** `WARREN_DEFAULT_PASS`: that user's password. */
  defaultPass: string;
  /** `WARREN_LOOPBACK_USERS`: users who may log in from loopback addresses only (RabbitMQ's `loopback_users`). */
  loopbackUsers: string[];
  /** `WARREN_CHANNEL_MAX`: highest channel number (and most channels) per connection offered in `connection.tune`. */
  channelMax: number;
  /** `WARREN_FRAME_MAX`: largest frame offered in `connection.tune` (bytes, including frame header and end). */
  frameMax: number;
  /** `WARREN_DEFINITIONS_FILE`: a RabbitMQ definitions file imported at start; undefined = none. */
  definitionsFile: string | undefined;
  /** `WARREN_STATS_INTERVAL_MS`: how often message rates and queue lengths are sampled (RabbitMQ's `collect_statistics_interval`). */
  statsIntervalMs: number;
  /** `WARREN_METRICS_PORT`: the Prometheus `/metrics` port (RabbitMQ's 15692); 0 = no metrics listener. */
  metricsPort: number;
  /** `WARREN_METRICS_HOST`: interface the metrics listener binds; undefined = every interface, as RabbitMQ's plugin. */
  metricsHost: string | undefined;
  /** `WARREN_STORE`: `level` (LevelDB under dataDir), `memory` (nothing survives the process) or `postgres`. */
  storage: 'level' | 'memory' | 'postgres';
  /** `WARREN_POSTGRES_URL`: the database of `storage: 'postgres'` (`postgres://user:pass@host:5432/db`). */
  postgresUrl: string | undefined;
  /** `WARREN_POSTGRES_SCHEMA`: the schema holding Warren's `warren_*` tables (created when missing). */
  postgresSchema: string;
  /** `WARREN_MULTI_NODE`: several nodes share the PostgreSQL schema (docs/SCALE-OUT.md); needs `storage: 'postgres'`. */
  multiNode: boolean;
  /** `WARREN_NODE_NAME`: this node's name (RabbitMQ's `rabbit@host`); unique among the live nodes of a schema. */
  nodeName: string;
  /** `WARREN_NODE_LEASE_MS`: a node that has not renewed its membership for this long is dead (heartbeat every third). */
  nodeLeaseMs: number;
  /**
   * `WARREN_SHARED_QUEUES`: multi-node only: durable queues' messages are shared by every node (claims,
   * docs/SCALE-OUT.md); on by default in multi-node mode, false keeps each node's messages on that node.
   */
  sharedQueues: boolean;
}

// One line per variable: name, kind and default. An unset variable takes the default; a set one must parse.
const brokerEnvSchema = z
  .object({
    WARREN_AMQP_HOST: listenHostKind().optional(),
    WARREN_AMQP_PORT: portKind().default(5672),
    WARREN_DATA_DIR: pathKind().default('./data'),
    WARREN_LOG_LEVEL: logLevelKind().default('info'),
    WARREN_MAX_CONNECTIONS: integerKind(0, 1_000_000).default(0),
    WARREN_MEMORY_HIGH_WATERMARK: fractionOrCountKind().default(0.4),
    WARREN_CONSUMER_TIMEOUT_MS: integerKind(1, 2 ** 31 - 1).default(30 * 60 * 1000),
    WARREN_MAX_MESSAGE_SIZE: integerKind(1, 512 * 1024 * 1024).default(16 * 1024 * 1024),
    WARREN_MAX_QUEUES_PER_VHOST: integerKind(0, 10_000_000).default(0),
    WARREN_QUEUE_WINDOW_MESSAGES: integerKind(0, 100_000_000).default(1000),
    WARREN_QUEUE_WINDOW_BYTES: integerKind(0, 2 ** 40).default(8 * 1024 * 1024),
    WARREN_LEVEL_WRITE_BUFFER_SIZE: integerKind(64 * 1024, 2 ** 30).default(32 * 1024 * 1024),
    WARREN_LEVEL_MAX_FILE_SIZE: integerKind(2 ** 20, 2 ** 30).default(2 * 1024 * 1024),
    WARREN_LEVEL_MAX_OPEN_FILES: integerKind(74, 50_000).default(74),
    WARREN_MANAGEMENT_PORT: portKind().default(15673),
    WARREN_MANAGEMENT_HOST: hostKind().default('127.0.0.1'),
    WARREN_MAX_SOCKETS: integerKind(0, 10_000_000).default(0),
    WARREN_RESOURCE_CHECK_MS: integerKind(1, 3_600_000).default(1000),
    WARREN_AMQPS_PORT: portKind().optional(),
    WARREN_AMQPS_HOST: listenHostKind().optional(),
    WARREN_TLS_CERT_FILE: pathKind().optional(),
    WARREN_TLS_KEY_FILE: pathKind().optional(),
    WARREN_TLS_CA_FILE: pathKind().optional(),
    WARREN_TLS_VERIFY_PEER: booleanKind().default(false),
    WARREN_TLS_FAIL_IF_NO_PEER_CERT: booleanKind().default(false),
    WARREN_AUTH_FAILURE_DELAY_MS: integerKind(0, 60_000).default(1000),
    WARREN_AUTH_FAILURE_MAX_DELAY_MS: integerKind(0, 60_000).default(5000),
    WARREN_DISK_FREE_LIMIT: diskFreeLimitKind().default(50 * 1024 * 1024),
    WARREN_DEFAULT_USER: z.string().min(1, 'must be a user name, not empty').default('guest'),
    WARREN_DEFAULT_PASS: z.string().default('guest'),
    WARREN_LOOPBACK_USERS: nameListKind().default(['guest']),
    WARREN_DEFINITIONS_FILE: pathKind().optional(),
    WARREN_STORE: z.enum(['level', 'memory', 'postgres'], { message: 'must be one of level, memory, postgres' }).default('level'),
    WARREN_POSTGRES_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    WARREN_POSTGRES_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
      .default('public'),
    WARREN_MULTI_NODE: booleanKind().default(false),
    WARREN_NODE_NAME: z
      .string()
      .regex(/^[A-Za-z0-9@._-]{1,255}$/, 'must be 1 to 255 letters, digits or @ . _ -')
      .default(`warren@${hostname()}`),
    WARREN_NODE_LEASE_MS: integerKind(300, 3_600_000).default(15_000),
    WARREN_SHARED_QUEUES: booleanKind().optional(),
    // RabbitMQ's `channel_max` (0 = the protocol's most, 65535) and `frame_max` (at least the protocol's 4096).
    WARREN_CHANNEL_MAX: integerKind(0, 65535).default(2047),
    WARREN_FRAME_MAX: integerKind(4096, 2 ** 31 - 1).default(131072),
    WARREN_STATS_INTERVAL_MS: integerKind(10, 3_600_000).default(5000),
    WARREN_METRICS_PORT: portKind().default(15692),
    WARREN_METRICS_HOST: listenHostKind().optional(),
  })
  .superRefine((vars, context) => {
    // Settings that only make sense together: say which one is missing rather than start a listener that cannot work.
    const needs = (name: keyof typeof vars, message: string): void => {
      if (vars[name] === undefined) context.addIssue({ code: 'custom', path: [name], message });
    };
    if (vars.WARREN_AMQPS_PORT !== undefined) {
      needs('WARREN_TLS_CERT_FILE', 'must be set when WARREN_AMQPS_PORT is set (the server certificate, PEM)');
      needs('WARREN_TLS_KEY_FILE', 'must be set when WARREN_AMQPS_PORT is set (the server private key, PEM)');
    }
    if (vars.WARREN_TLS_VERIFY_PEER) {
      needs('WARREN_TLS_CA_FILE', 'must be set when WARREN_TLS_VERIFY_PEER is true (client certificates are checked against it)');
    }
    if (vars.WARREN_STORE === 'postgres') needs('WARREN_POSTGRES_URL', 'must be set when WARREN_STORE is postgres');
    if (vars.WARREN_MULTI_NODE && vars.WARREN_STORE !== 'postgres') {
      context.addIssue({ code: 'custom', path: ['WARREN_MULTI_NODE'], message: 'must be false unless WARREN_STORE is postgres' });
    }
    if (vars.WARREN_SHARED_QUEUES && !vars.WARREN_MULTI_NODE) {
      context.addIssue({ code: 'custom', path: ['WARREN_SHARED_QUEUES'], message: 'must be false unless WARREN_MULTI_NODE is true' });
    }
    if (vars.WARREN_TLS_FAIL_IF_NO_PEER_CERT && !vars.WARREN_TLS_VERIFY_PEER) {
      context.addIssue({
        code: 'custom',
        path: ['WARREN_TLS_FAIL_IF_NO_PEER_CERT'],
        message: 'must be false unless WARREN_TLS_VERIFY_PEER is true (no client certificate is asked for)',
      });
    }
  })
  .transform((vars): BrokerEnv => ({
    host: vars.WARREN_AMQP_HOST,
    port: vars.WARREN_AMQP_PORT,
    dataDir: vars.WARREN_DATA_DIR,
    logLevel: vars.WARREN_LOG_LEVEL,
    maxConnections: vars.WARREN_MAX_CONNECTIONS,
    memoryHighWatermark: vars.WARREN_MEMORY_HIGH_WATERMARK,
    consumerTimeoutMs: vars.WARREN_CONSUMER_TIMEOUT_MS,
    maxMessageSize: vars.WARREN_MAX_MESSAGE_SIZE,
    maxQueuesPerVhost: vars.WARREN_MAX_QUEUES_PER_VHOST,
    queueWindowMessages: vars.WARREN_QUEUE_WINDOW_MESSAGES,
    queueWindowBytes: vars.WARREN_QUEUE_WINDOW_BYTES,
    levelWriteBufferSize: vars.WARREN_LEVEL_WRITE_BUFFER_SIZE,
    levelMaxFileSize: vars.WARREN_LEVEL_MAX_FILE_SIZE,
    levelMaxOpenFiles: vars.WARREN_LEVEL_MAX_OPEN_FILES,
    managementPort: vars.WARREN_MANAGEMENT_PORT,
    managementHost: vars.WARREN_MANAGEMENT_HOST,
    maxSockets: vars.WARREN_MAX_SOCKETS,
    resourceCheckMs: vars.WARREN_RESOURCE_CHECK_MS,
    amqpsPort: vars.WARREN_AMQPS_PORT,
    amqpsHost: vars.WARREN_AMQPS_HOST,
    tlsCertFile: vars.WARREN_TLS_CERT_FILE,
    tlsKeyFile: vars.WARREN_TLS_KEY_FILE,
    tlsCaFile: vars.WARREN_TLS_CA_FILE,
    tlsVerifyPeer: vars.WARREN_TLS_VERIFY_PEER,
    tlsFailIfNoPeerCert: vars.WARREN_TLS_FAIL_IF_NO_PEER_CERT,
    authFailureDelayMs: vars.WARREN_AUTH_FAILURE_DELAY_MS,
    authFailureMaxDelayMs: vars.WARREN_AUTH_FAILURE_MAX_DELAY_MS,
    diskFreeLimitBytes: vars.WARREN_DISK_FREE_LIMIT,
    defaultUser: vars.WARREN_DEFAULT_USER,
    defaultPass: vars.WARREN_DEFAULT_PASS,
    loopbackUsers: vars.WARREN_LOOPBACK_USERS,
    definitionsFile: vars.WARREN_DEFINITIONS_FILE,
    storage: vars.WARREN_STORE,
    postgresUrl: vars.WARREN_POSTGRES_URL,
    postgresSchema: vars.WARREN_POSTGRES_SCHEMA,
    multiNode: vars.WARREN_MULTI_NODE,
    nodeName: vars.WARREN_NODE_NAME,
    nodeLeaseMs: vars.WARREN_NODE_LEASE_MS,
    // Several nodes are one broker: a message published through one reaches consumers on any, unless turned off.
    sharedQueues: vars.WARREN_SHARED_QUEUES ?? vars.WARREN_MULTI_NODE,
    channelMax: vars.WARREN_CHANNEL_MAX === 0 ? 65535 : vars.WARREN_CHANNEL_MAX,
    frameMax: vars.WARREN_FRAME_MAX,
    statsIntervalMs: vars.WARREN_STATS_INTERVAL_MS,
    metricsPort: vars.WARREN_METRICS_PORT,
    metricsHost: vars.WARREN_METRICS_HOST,
  }));

/** The broker's environment settings when no variable is set. */
export const DEFAULT_BROKER_ENV: Readonly<BrokerEnv> = Object.freeze(brokerEnvSchema.parse({}));

/** Reads the broker's `WARREN_*` variables; throws ConfigError naming each bad one. */
export function loadBrokerEnv(env: NodeJS.ProcessEnv = process.env): BrokerEnv {
  return parseEnv(brokerEnvSchema, env);
}
