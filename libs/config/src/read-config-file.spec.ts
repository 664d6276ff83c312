import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error.js';
import { readConfigFile } from './read-config-file.js';

describe('readConfigFile', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-config-'));
    writeFileSync(join(dir, 'cert.pem'), 'PEM');
    writeFileSync(join(dir, 'empty.pem'), '');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file', () => {
    expect(readConfigFile('WARREN_TLS_CERT_FILE', join(dir, 'cert.pem')).toString()).toBe('PEM');
  });

  it.each([
    ['missing.pem', 'WARREN_TLS_CERT_FILE names a file that cannot be read (ENOENT)'],
    ['.', 'WARREN_TLS_CERT_FILE names a file that cannot be read (EISDIR)'],
    ['empty.pem', 'WARREN_TLS_CERT_FILE names an empty file'],
  ])('refuses %s, naming the variable', (name, message) => {
    expect(() => readConfigFile('WARREN_TLS_CERT_FILE', join(dir, name))).toThrow(ConfigError);
    expect(() => readConfigFile('WARREN_TLS_CERT_FILE', join(dir, name))).toThrow(`config: ${message}`);
  });
});
