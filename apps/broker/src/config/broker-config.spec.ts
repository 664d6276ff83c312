import { ConfigError, DEFAULT_CONFIG, loadConfigFromEnv } from './broker-config.js';

describe('loadConfigFromEnv', () => {
  it('uses the defaults when nothing is set', () => {
    expect(loadConfigFromEnv({})).toEqual(DEFAULT_CONFIG);
  });

  it('reads every variable', () => {
    const config = loadConfigFromEnv({
      WARREN_AMQP_HOST: '127.0.0.1',
      WARREN_AMQP_PORT: '5673',
      WARREN_DATA_DIR: '/var/lib/warren',
      WARREN_LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 5673, dataDir: '/var/lib/warren', logLevel: 'debug' });
  });

  it.each([
    ['WARREN_AMQP_PORT', 'abc'],
    ['WARREN_AMQP_PORT', '70000'],
    ['WARREN_AMQP_PORT', '-1'],
    ['WARREN_LOG_LEVEL', 'verbose'],
    ['WARREN_AMQP_HOST', 'bad host!'],
    ['WARREN_DATA_DIR', ' '],
  ])('rejects %s=%s with an error naming the variable', (name, value) => {
    expect(() => loadConfigFromEnv({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfigFromEnv({ [name]: value })).toThrow(name);
  });
});
