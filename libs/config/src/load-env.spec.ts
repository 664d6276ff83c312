import { hostname } from 'node:os';
import { loadAdminConfig } from './admin-env.js';
import { DEFAULT_BROKER_ENV, loadBrokerEnv } from './broker-env.js';
import { ConfigError } from './config-error.js';

describe('loadBrokerEnv', () => {
  it('uses the README defaults when nothing is set', () => {
    expect(loadBrokerEnv({})).toEqual({
      host: undefined,
      port: 5672,
      dataDir: './data',
      logLevel: 'info',
      maxConnections: 0,
      memoryHighWatermark: 0.4,
      consumerTimeoutMs: 1_800_000,
      maxMessageSize: 16_777_216,
      maxQueuesPerVhost: 0,
      queueWindowMessages: 1000,
      queueWindowBytes: 8_388_608,
      levelWriteBufferSize: 33_554_432,
      levelMaxFileSize: 2_097_152,
      levelMaxOpenFiles: 74,
      managementPort: 15673,
      managementHost: '127.0.0.1',
      maxSockets: 0,
      resourceCheckMs: 1000,
      amqpsPort: undefined,
      amqpsHost: undefined,
      tlsCertFile: undefined,
      tlsKeyFile: undefined,
      tlsCaFile: undefined,
      tlsVerifyPeer: false,
      tlsFailIfNoPeerCert: false,
      authFailureDelayMs: 1000,
      authFailureMaxDelayMs: 5000,
      diskFreeLimitBytes: 52_428_800,
      defaultUser: 'guest',
      defaultPass: 'guest',
      loopbackUsers: ['guest'],
      definitionsFile: undefined,
      storage: 'level',
      postgresUrl: undefined,
      postgresSchema: 'public',
      multiNode: false,
      nodeName: `warren@${hostname()}`,
      nodeLeaseMs: 15000,
      sharedQueues: false,
      channelMax: 2047,
      frameMax: 131072,
      statsIntervalMs: 5000,
      metricsPort: 15692,
      metricsHost: undefined,
    });
    expect(loadBrokerEnv({})).toEqual(DEFAULT_BROKER_ENV);
  });

  it('reads every variable and ignores the rest of the environment', () => {
    expect(
      loadBrokerEnv({
        PATH: '/usr/bin',
        WARREN_HTTP_PORT: 'not read by the broker',
        WARREN_AMQP_HOST: '::',
        WARREN_AMQP_PORT: '5673',
        WARREN_DATA_DIR: '/var/lib/warren',
        WARREN_LOG_LEVEL: 'debug',
        WARREN_MAX_CONNECTIONS: '100',
        WARREN_MEMORY_HIGH_WATERMARK: '0.5',
        WARREN_CONSUMER_TIMEOUT_MS: '60000',
        WARREN_MAX_MESSAGE_SIZE: '1048576',
        WARREN_MAX_QUEUES_PER_VHOST: '500',
        WARREN_QUEUE_WINDOW_MESSAGES: '0',
        WARREN_QUEUE_WINDOW_BYTES: '65536',
        WARREN_LEVEL_WRITE_BUFFER_SIZE: '16777216',
        WARREN_LEVEL_MAX_FILE_SIZE: '1048576',
        WARREN_LEVEL_MAX_OPEN_FILES: '200',
        WARREN_MANAGEMENT_PORT: '0',
        WARREN_MANAGEMENT_HOST: '::1',
        WARREN_MAX_SOCKETS: '900',
        WARREN_RESOURCE_CHECK_MS: '50',
        WARREN_AMQPS_PORT: '5671',
        WARREN_AMQPS_HOST: '127.0.0.1',
        WARREN_TLS_CERT_FILE: '/etc/warren/server.crt',
        WARREN_TLS_KEY_FILE: '/etc/warren/server.key',
        WARREN_TLS_CA_FILE: '/etc/warren/ca.crt',
        WARREN_TLS_VERIFY_PEER: 'true',
        WARREN_TLS_FAIL_IF_NO_PEER_CERT: 'true',
        WARREN_AUTH_FAILURE_DELAY_MS: '0',
        WARREN_AUTH_FAILURE_MAX_DELAY_MS: '3000',
        WARREN_DISK_FREE_LIMIT: '2GB',
        WARREN_DEFAULT_USER: 'admin',
        WARREN_DEFAULT_PASS: 's3cret',
        WARREN_LOOPBACK_USERS: ' guest , local,',
        WARREN_DEFINITIONS_FILE: '/etc/warren/definitions.json',
        WARREN_STORE: 'postgres',
        WARREN_POSTGRES_URL: 'postgres://warren:pw@db:5432/warren',
        WARREN_POSTGRES_SCHEMA: 'warren_a',
        WARREN_MULTI_NODE: 'true',
        WARREN_NODE_NAME: 'warren@node-1',
        WARREN_NODE_LEASE_MS: '5000',
        WARREN_CHANNEL_MAX: '16',
        WARREN_FRAME_MAX: '8192',
        WARREN_STATS_INTERVAL_MS: '2000',
        WARREN_METRICS_PORT: '9419',
        WARREN_METRICS_HOST: '127.0.0.1',
      }),
    ).toEqual({
      host: '::',
      port: 5673,
      dataDir: '/var/lib/warren',
      logLevel: 'debug',
      maxConnections: 100,
      memoryHighWatermark: 0.5,
      consumerTimeoutMs: 60000,
      maxMessageSize: 1048576,
      maxQueuesPerVhost: 500,
      queueWindowMessages: 0,
      queueWindowBytes: 65536,
      levelWriteBufferSize: 16_777_216,
      levelMaxFileSize: 1_048_576,
      levelMaxOpenFiles: 200,
      managementPort: 0,
      maxSockets: 900,
      resourceCheckMs: 50,
      managementHost: '::1',
      amqpsPort: 5671,
      amqpsHost: '127.0.0.1',
      tlsCertFile: '/etc/warren/server.crt',
      tlsKeyFile: '/etc/warren/server.key',
      tlsCaFile: '/etc/warren/ca.crt',
      tlsVerifyPeer: true,
      tlsFailIfNoPeerCert: true,
      authFailureDelayMs: 0,
      authFailureMaxDelayMs: 3000,
      diskFreeLimitBytes: 2_000_000_000,
      defaultUser: 'admin',
      defaultPass: 's3cret',
      loopbackUsers: ['guest', 'local'],
      definitionsFile: '/etc/warren/definitions.json',
      storage: 'postgres',
      postgresUrl: 'postgres://warren:pw@db:5432/warren',
      postgresSchema: 'warren_a',
      multiNode: true,
      nodeName: 'warren@node-1',
      nodeLeaseMs: 5000,
      sharedQueues: false,
      channelMax: 16,
      frameMax: 8192,
      statsIntervalMs: 2000,
      metricsPort: 9419,
      metricsHost: '127.0.0.1',
    });
    expect(loadBrokerEnv({ WARREN_LOOPBACK_USERS: '' }).loopbackUsers).toEqual([]);
    expect(loadBrokerEnv({ WARREN_CHANNEL_MAX: '0' }).channelMax).toBe(65535);
  });

  it.each([
    ['WARREN_AMQP_HOST', 'bad host!'],
    ['WARREN_DATA_DIR', ''],
    ['WARREN_LOG_LEVEL', 'chatty'],
    ['WARREN_MAX_CONNECTIONS', '-1'],
    ['WARREN_MEMORY_HIGH_WATERMARK', '2.5'],
    ['WARREN_CONSUMER_TIMEOUT_MS', '0'],
    ['WARREN_MAX_MESSAGE_SIZE', ''],
    ['WARREN_MAX_QUEUES_PER_VHOST', '1e3'],
    ['WARREN_MANAGEMENT_HOST', ''],
    ['WARREN_AMQPS_PORT', '5671 '],
    ['WARREN_AMQPS_HOST', 'bad host!'],
    ['WARREN_TLS_CERT_FILE', ' '],
    ['WARREN_TLS_VERIFY_PEER', 'yes'],
    ['WARREN_TLS_VERIFY_PEER', 'TRUE'],
    ['WARREN_TLS_FAIL_IF_NO_PEER_CERT', '1'],
    ['WARREN_AUTH_FAILURE_DELAY_MS', '-5'],
    ['WARREN_AUTH_FAILURE_MAX_DELAY_MS', '600000'],
    ['WARREN_DISK_FREE_LIMIT', '50 MB'],
    ['WARREN_CHANNEL_MAX', '65536'],
    ['WARREN_FRAME_MAX', '4095'],
    ['WARREN_DEFAULT_USER', ''],
    ['WARREN_DEFINITIONS_FILE', ' '],
    ['WARREN_STORE', 'redis'],
    ['WARREN_POSTGRES_URL', 'localhost:5432'],
    ['WARREN_POSTGRES_SCHEMA', 'Warren'],
    ['WARREN_MULTI_NODE', 'yes'],
    ['WARREN_NODE_NAME', 'node a'],
    ['WARREN_NODE_LEASE_MS', '100'],
  ])('rejects %s=%j with a ConfigError naming it and the value', (name, value) => {
    expect(() => loadBrokerEnv({ [name]: value })).toThrow(ConfigError);
    expect(() => loadBrokerEnv({ [name]: value })).toThrow(`config: ${name} must be`);
    expect(() => loadBrokerEnv({ [name]: value })).toThrow(`got ${JSON.stringify(value)}`);
  });

  it.each([
    [{ WARREN_AMQPS_PORT: '5671', WARREN_TLS_KEY_FILE: 'k' }, 'WARREN_TLS_CERT_FILE must be set when WARREN_AMQPS_PORT is set'],
    [{ WARREN_AMQPS_PORT: '5671', WARREN_TLS_CERT_FILE: 'c' }, 'WARREN_TLS_KEY_FILE must be set when WARREN_AMQPS_PORT is set'],
    [{ WARREN_TLS_VERIFY_PEER: 'true' }, 'WARREN_TLS_CA_FILE must be set when WARREN_TLS_VERIFY_PEER is true'],
    [{ WARREN_STORE: 'postgres' }, 'WARREN_POSTGRES_URL must be set when WARREN_STORE is postgres'],
    [{ WARREN_MULTI_NODE: 'true' }, 'WARREN_MULTI_NODE must be false unless WARREN_STORE is postgres'],
    [
      { WARREN_STORE: 'postgres', WARREN_POSTGRES_URL: 'postgres://db/warren', WARREN_SHARED_QUEUES: 'true' },
      'WARREN_SHARED_QUEUES must be false unless WARREN_MULTI_NODE is true',
    ],
    [{ WARREN_TLS_FAIL_IF_NO_PEER_CERT: 'true' }, 'WARREN_TLS_FAIL_IF_NO_PEER_CERT must be false unless WARREN_TLS_VERIFY_PEER is true'],
  ])('refuses TLS settings that do not go together: %j', (env, message) => {
    expect(() => loadBrokerEnv(env)).toThrow(ConfigError);
    expect(() => loadBrokerEnv(env)).toThrow(`config: ${message}`);
  });

  it('takes WARREN_SHARED_QUEUES in multi-node mode', () => {
    const env = {
      WARREN_STORE: 'postgres',
      WARREN_POSTGRES_URL: 'postgres://db/warren',
      WARREN_MULTI_NODE: 'true',
      WARREN_SHARED_QUEUES: 'true',
    };
    expect(loadBrokerEnv(env)).toMatchObject({ multiNode: true, sharedQueues: true });
    expect(loadBrokerEnv({ ...env, WARREN_SHARED_QUEUES: undefined })).toMatchObject({ multiNode: true, sharedQueues: true });
    expect(loadBrokerEnv({ ...env, WARREN_SHARED_QUEUES: 'false' })).toMatchObject({ multiNode: true, sharedQueues: false });
  });

  it('takes the TLS files without a listener (no TLS until WARREN_AMQPS_PORT is set)', () => {
    expect(loadBrokerEnv({ WARREN_TLS_CERT_FILE: 'c', WARREN_TLS_KEY_FILE: 'k' })).toMatchObject({
      amqpsPort: undefined,
      tlsCertFile: 'c',
    });
  });

  it('refuses LevelDB sizes LevelDB would silently clip', () => {
    expect(() => loadBrokerEnv({ WARREN_LEVEL_MAX_OPEN_FILES: '10' })).toThrow(/WARREN_LEVEL_MAX_OPEN_FILES/);
    expect(() => loadBrokerEnv({ WARREN_LEVEL_MAX_FILE_SIZE: '4096' })).toThrow(/WARREN_LEVEL_MAX_FILE_SIZE/);
    expect(() => loadBrokerEnv({ WARREN_LEVEL_WRITE_BUFFER_SIZE: '1024' })).toThrow(/WARREN_LEVEL_WRITE_BUFFER_SIZE/);
  });

  it('names every bad variable at once', () => {
    expect(() => loadBrokerEnv({ WARREN_AMQP_PORT: 'x', WARREN_LOG_LEVEL: 'y' })).toThrow(/WARREN_AMQP_PORT.*; WARREN_LOG_LEVEL/);
  });
});

describe('loadAdminConfig', () => {
  it('uses the README defaults when nothing is set', () => {
    expect(loadAdminConfig({})).toEqual({
      host: '127.0.0.1',
      port: 15672,
      broker: { hostname: '127.0.0.1', port: 15673, username: 'guest', password: 'guest' },
      https: undefined,
    });
  });

  it('reads every variable', () => {
    const env = {
      WARREN_HTTP_HOST: '0.0.0.0',
      WARREN_HTTP_PORT: '0',
      WARREN_BROKER_URL: 'amqp://admin:p%40ss@[::1]:25673',
      WARREN_HTTP_TLS_CERT_FILE: '/etc/warren/http.crt',
      WARREN_HTTP_TLS_KEY_FILE: '/etc/warren/http.key',
    };
    expect(loadAdminConfig(env)).toEqual({
      host: '0.0.0.0',
      port: 0,
      broker: { hostname: '::1', port: 25673, username: 'admin', password: 'p@ss' },
      https: { certFile: '/etc/warren/http.crt', keyFile: '/etc/warren/http.key' },
    });
  });

  it.each([
    [{ WARREN_HTTP_TLS_CERT_FILE: 'c' }, 'config: WARREN_HTTP_TLS_KEY_FILE must be set when WARREN_HTTP_TLS_CERT_FILE is set'],
    [{ WARREN_HTTP_TLS_KEY_FILE: 'k' }, 'config: WARREN_HTTP_TLS_CERT_FILE must be set when WARREN_HTTP_TLS_KEY_FILE is set'],
  ])('refuses half an HTTPS setup: %j', (env, message) => {
    expect(() => loadAdminConfig(env)).toThrow(message);
  });

  it('never echoes the broker URL, which may carry a password', () => {
    expect(() => loadAdminConfig({ WARREN_BROKER_URL: 'http://admin:s3cret@host' })).toThrow('WARREN_BROKER_URL');
    expect(() => loadAdminConfig({ WARREN_BROKER_URL: 'http://admin:s3cret@host' })).not.toThrow(/s3cret/);
  });
});

// The same port rules for every port variable of every app (the admin API used to take '' as 0 and 0x50 as 80).
describe.each([
  ['WARREN_AMQP_PORT', (env: NodeJS.ProcessEnv) => loadBrokerEnv(env).port],
  ['WARREN_MANAGEMENT_PORT', (env: NodeJS.ProcessEnv) => loadBrokerEnv(env).managementPort],
  ['WARREN_HTTP_PORT', (env: NodeJS.ProcessEnv) => loadAdminConfig(env).port],
])('%s', (name, read) => {
  it.each([
    ['80', 80],
    ['0', 0],
    ['65535', 65535],
  ])('takes %j as %d', (value, expected) => {
    expect(read({ [name]: value })).toBe(expected);
  });

  it.each(['', '0x50', '65536', '-1', ' 80', '80 ', '8e1'])('rejects %j naming the variable', (value) => {
    expect(() => read({ [name]: value })).toThrow(ConfigError);
    expect(() => read({ [name]: value })).toThrow(name);
  });
});
