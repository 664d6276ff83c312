import { ConfigError, DEFAULT_CONFIG, loadConfigFromEnv } from './broker-config.js';

describe('loadConfigFromEnv', () => {
  it('uses the defaults when nothing is set', () => {
    expect(loadConfigFromEnv({})).toEqual(DEFAULT_CONFIG);
  });

  it('keeps the settings only code sets', () => {
    expect(loadConfigFromEnv({ WARREN_AMQP_PORT: '0' })).toMatchObject({ port: 0, frameMax: DEFAULT_CONFIG.frameMax, storage: 'level' });
  });

  it('reads every variable', () => {
    const config = loadConfigFromEnv({
      WARREN_AMQP_HOST: '127.0.0.1',
      WARREN_AMQP_PORT: '5673',
      WARREN_DATA_DIR: '/var/lib/warren',
      WARREN_LOG_LEVEL: 'DEBUG',
      WARREN_MAX_CONNECTIONS: '100',
      WARREN_MEMORY_HIGH_WATERMARK: '0.5',
      WARREN_CONSUMER_TIMEOUT_MS: '60000',
      WARREN_MAX_MESSAGE_SIZE: '1048576',
      WARREN_MAX_QUEUES_PER_VHOST: '500',
      WARREN_MANAGEMENT_PORT: '15700',
      WARREN_MANAGEMENT_HOST: '::1',
      WARREN_MAX_SOCKETS: '900',
      WARREN_RESOURCE_CHECK_MS: '50',
    });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 5673,
      dataDir: '/var/lib/warren',
      logLevel: 'debug',
      maxConnections: 100,
      memoryHighWatermark: 0.5,
      consumerTimeoutMs: 60000,
      maxMessageSize: 1048576,
      maxQueuesPerVhost: 500,
      managementPort: 15700,
      managementHost: '::1',
      maxSockets: 900,
      resourceCheckMs: 50,
    });
  });

  it.each([
    ['WARREN_AMQP_PORT', 'abc'],
    ['WARREN_AMQP_PORT', '70000'],
    ['WARREN_AMQP_PORT', '-1'],
    ['WARREN_AMQP_PORT', ''],
    ['WARREN_AMQP_PORT', ' 5672'],
    ['WARREN_LOG_LEVEL', 'verbose'],
    ['WARREN_AMQP_HOST', 'bad host!'],
    ['WARREN_DATA_DIR', ' '],
    ['WARREN_MEMORY_HIGH_WATERMARK', 'lots'],
    ['WARREN_MAX_MESSAGE_SIZE', '0'],
    ['WARREN_MAX_QUEUES_PER_VHOST', '-5'],
    ['WARREN_MAX_SOCKETS', 'many'],
    ['WARREN_RESOURCE_CHECK_MS', '0'],
    ['WARREN_MANAGEMENT_PORT', '65536'],
    ['WARREN_MANAGEMENT_PORT', 'x'],
    ['WARREN_MANAGEMENT_HOST', 'bad host!'],
  ])('rejects %s=%s with an error naming the variable', (name, value) => {
    expect(() => loadConfigFromEnv({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfigFromEnv({ [name]: value })).toThrow(name);
  });
});
