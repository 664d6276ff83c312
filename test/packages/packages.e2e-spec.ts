import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

// `npm run packages` (scripts/build-packages.mjs) builds the npm packages and packs them into dist/packages/. This
// checks the tarballs as a user would receive them: what `tar tzf` lists, the package.json, and that every import
// of the compiled code names a package or a file inside the package (no `@app/*` alias, no path out of it).
// scripts/consumer-test.mjs (run by .ci/run) then installs them into fresh NestJS apps.
const ROOT = resolve(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'dist', 'packages');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const NAMES = ['transport', 'testing', 'broker'];
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"\n]+)['"]/g;

/** Every file under dir. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(dir, entry))
    .filter((path) => statSync(path).isFile());
}

describe('npm run packages', () => {
  let unpacked: string;

  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-packages.mjs')], { cwd: ROOT, stdio: 'pipe' });
    unpacked = mkdtempSync(join(tmpdir(), 'warren-packages-'));
  }, 300_000);

  afterAll(() => rmSync(unpacked, { recursive: true, force: true }));

  describe.each(NAMES)('@warren-mq/%s', (name) => {
    const tarball = join(OUT, `warren-mq-${name}-${version}.tgz`);
    let listing: string[];
    let dir: string;

    beforeAll(() => {
      listing = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
      dir = join(unpacked, name);
      execFileSync('mkdir', ['-p', dir]);
      execFileSync('tar', ['xzf', tarball, '-C', dir]);
    });

    it('has its README, LICENSE, CHANGELOG and package.json', () => {
      for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json']) expect(listing).toContain(`package/${file}`);
    });

    it('has no tests, sources, source maps or ../shared paths', () => {
      expect(listing.filter((path) => /\.(e2e-)?spec\.|(^|\/)test\/|\.map$|(?<!\.d)\.ts$|\.\.\/|shared\//.test(path))).toEqual([]);
      for (const file of filesUnder(dir)) expect(readFileSync(file, 'utf8')).not.toMatch(/\.\.\/shared\/|sourceMappingURL/);
    });

    it('declares ESM, types, an exports map, engines, the one version and a files whitelist', () => {
      const pkg = JSON.parse(readFileSync(join(dir, 'package', 'package.json'), 'utf8'));
      expect(pkg).toMatchObject({ name: `@warren-mq/${name}`, version, type: 'module', license: 'MIT', engines: { node: '>=20.19' } });
      expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md', 'LICENSE', 'CHANGELOG.md']));
      const root = pkg.exports['.'];
      const types = root.types ?? root.import.types;
      expect(listing).toContain(`package/${types.replace(/^\.\//, '')}`);
      for (const range of Object.values({ ...pkg.dependencies, ...pkg.peerDependencies }) as string[])
        expect(range).not.toMatch(/^(file|link):/);
    });

    it('imports only packages and files inside itself: no @app/* alias leaks', () => {
      const bad: string[] = [];
      for (const file of filesUnder(dir).filter((path) => /\.(js|mjs|d\.ts)$/.test(path))) {
        for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
          const outside = specifier.startsWith('.') && relative(join(dir, 'package'), resolve(dirname(file), specifier)).startsWith('..');
          if (specifier.startsWith('@app/') || outside) bad.push(`${relative(dir, file)}: ${specifier}`);
        }
      }
      expect(bad).toEqual([]);
    });
  });

  it('gives the broker package the warren bin and the transport a CommonJS entry', () => {
    const broker = JSON.parse(readFileSync(join(unpacked, 'broker', 'package', 'package.json'), 'utf8'));
    expect(broker.bin).toEqual({ warren: './bin/warren.mjs' });
    // The web console its admin API serves at `/`.
    expect(readFileSync(join(unpacked, 'broker', 'package', 'dist', 'console', 'index.html'), 'utf8')).toContain('<div id="app">');
    const transport = JSON.parse(readFileSync(join(unpacked, 'transport', 'package', 'package.json'), 'utf8'));
    expect(transport.exports['.'].require.default).toBe('./dist/cjs/index.js');
    expect(readFileSync(join(unpacked, 'transport', 'package', 'dist', 'cjs', 'package.json'), 'utf8')).toContain('commonjs');
  });
});
