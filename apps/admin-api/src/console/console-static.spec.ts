import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findConsoleDir, isConsolePath } from './console-static.js';

describe('findConsoleDir', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'warren-console-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const built = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<div id="app"></div>');
  };

  it('finds the repo’s dist/console from the sources and from the compiled app', () => {
    built(join(root, 'dist', 'console'));
    expect(findConsoleDir(join(root, 'apps', 'admin-api', 'src', 'console'))).toBe(join(root, 'dist', 'console'));
    expect(findConsoleDir(join(root, 'dist', 'apps', 'admin-api', 'apps', 'admin-api', 'src', 'console'))).toBe(
      join(root, 'dist', 'console'),
    );
  });

  it('finds the package’s dist/console from its compiled app', () => {
    const pkg = join(root, 'node_modules', '@warren-mq', 'broker');
    built(join(pkg, 'dist', 'console'));
    expect(findConsoleDir(join(pkg, 'dist', 'apps', 'admin-api', 'src', 'console'))).toBe(join(pkg, 'dist', 'console'));
  });

  it('is undefined when the console was not built', () => {
    mkdirSync(join(root, 'dist', 'console'), { recursive: true });
    expect(findConsoleDir(join(root, 'apps', 'admin-api', 'src', 'console'))).toBeUndefined();
  });
});

describe('isConsolePath', () => {
  it('is everything outside /api/', () => {
    expect(['/', '/queues/%2F/q', '/assets/index.js', '/apis'].map(isConsolePath)).toEqual([true, true, true, true]);
    expect(['/api', '/api/', '/api/overview', '/api?x=1', '/api/docs'].map(isConsolePath)).toEqual([false, false, false, false, false]);
  });
});
