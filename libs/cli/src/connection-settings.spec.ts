import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-error.js';
import { resolveConnectionSettings } from './connection-settings.js';

describe('connection settings', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-cli-settings-'));
    env = { XDG_CONFIG_HOME: dir };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("defaults to RabbitMQ's management listener as guest", () => {
    expect(resolveConnectionSettings({}, env)).toEqual({
      url: 'http://localhost:15672',
      user: 'guest',
      password: 'guest',
      insecure: false,
      ca: undefined,
    });
  });

  it('takes flags over the environment over the default config file', () => {
    mkdirSync(join(dir, 'warren'));
    writeFileSync(
      join(dir, 'warren', 'cli.json'),
      JSON.stringify({ url: 'https://file:1/', user: 'file', password: 'file', insecure: true }),
    );
    expect(resolveConnectionSettings({}, env)).toMatchObject({ url: 'https://file:1', user: 'file', password: 'file', insecure: true });
    env.WARREN_ADMIN_USER = 'env';
    env.WARREN_ADMIN_PASS = 'env-pass';
    expect(resolveConnectionSettings({}, env)).toMatchObject({ url: 'https://file:1', user: 'env', password: 'env-pass' });
    expect(resolveConnectionSettings({ user: 'flag', url: 'http://flag:2/prefix/' }, env)).toMatchObject({
      url: 'http://flag:2/prefix',
      user: 'flag',
      password: 'env-pass',
    });
  });

  it('refuses a missing named file, bad JSON, bad field types and bad URLs', () => {
    expect(() => resolveConnectionSettings({ config: join(dir, 'nope.json') }, env)).toThrow(/cannot read the config file/);
    writeFileSync(join(dir, 'bad.json'), '{');
    expect(() => resolveConnectionSettings({ config: join(dir, 'bad.json') }, env)).toThrow(/is not JSON/);
    writeFileSync(join(dir, 'types.json'), '{"insecure":"yes"}');
    expect(() => resolveConnectionSettings({ config: join(dir, 'types.json') }, env)).toThrow(/"insecure" must be a boolean/);
    expect(() => resolveConnectionSettings({ url: 'localhost:15672' }, env)).toThrow(CliError);
    expect(() => resolveConnectionSettings({ ca: join(dir, 'missing.pem') }, env)).toThrow(/cannot read the CA file/);
  });
});
