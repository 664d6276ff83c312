// `npm run packages`: builds Warren's npm packages and packs them into dist/packages/ (see packages/README.md).
//
// No npm workspaces: the sources keep their layout and their `@app/*` aliases. Each package is compiled on its own
// by tsc (a generated tsconfig), against the declarations of the packages it depends on, never against their
// sources; the `@app/*` specifiers in the emitted .js and .d.ts are then rewritten to package names (or to relative
// paths inside @warren-mq/broker, which bundles the broker's internal libraries). No source maps are emitted.
//
//   @warren-mq/transport  libs/transport            ESM + a CommonJS build (Nest 11 apps)
//   @warren-mq/broker     libs/{codec,…,server,config,management-contract} + apps/{broker,admin-api} + the `warren` bin
//                         + the built web console (dist/console)
//   @warren-mq/testing    libs/testing              depends on the two above
//
// One version for all: the root package.json's `version`. `node scripts/build-packages.mjs transport` builds one
// package (and what it depends on) without packing the others.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STAGE = join(ROOT, 'dist', 'packages-build');
const OUT = join(ROOT, 'dist', 'packages');
const SCOPE = '@warren-mq';
const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const VERSION = rootPkg.version;
const ENGINES = rootPkg.engines;
const ALL_DEPS = { ...rootPkg.dependencies, ...rootPkg.devDependencies };
const ALIASES = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')).compilerOptions.paths;
const NEST_PEERS = ['@nestjs/common', '@nestjs/core', '@nestjs/microservices', 'rxjs', 'reflect-metadata'];
/** The broker's internal libraries, bundled inside @warren-mq/broker. */
const BUNDLED = ['codec', 'routing', 'storage', 'broker-core', 'server', 'config', 'management-contract'];
/** Entry points of the bundled libraries that @warren-mq/testing may import (`@app/storage/level` → `./storage/level`). */
const BROKER_ENTRIES = Object.keys(ALIASES).filter((key) => !key.endsWith('*') && BUNDLED.includes(key.split('/')[1]));

const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Every .ts file under dir except specs. */
function sources(dir) {
  const files = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sources(path));
    else if (entry.endsWith('.ts') && !entry.endsWith('.spec.ts') && !entry.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

/** Every emitted file under dir. */
function emitted(dir) {
  return readdirSync(dir, { recursive: true })
    .map((entry) => join(dir, entry))
    .filter((path) => statSync(path).isFile());
}

/** Compiles `files` with the root tsconfig's options plus `options`, through a generated tsconfig. */
function compile(name, files, options) {
  const config = join(STAGE, `tsconfig.${name}.json`);
  const compilerOptions = { declaration: true, sourceMap: false, inlineSourceMap: false, types: ['node'], paths: {}, ...options };
  writeFileSync(config, JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), compilerOptions, files }, null, 2));
  execFileSync(process.execPath, [tsc, '-p', config], { cwd: ROOT, stdio: 'inherit' });
}

/** Rewrites every module specifier of the emitted .js/.d.ts files under dir with `map` (undefined: unchanged). */
function rewriteSpecifiers(dir, map) {
  const pattern = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])([^'"\n]+)\2/g;
  for (const file of emitted(dir).filter((path) => /\.(c|m)?js$|\.d\.ts$/.test(path))) {
    const text = readFileSync(file, 'utf8');
    const next = text.replace(pattern, (whole, head, quote, specifier) => {
      const mapped = map(specifier, file);
      return mapped === undefined ? whole : `${head}${quote}${mapped}${quote}`;
    });
    if (/['"]@app\//.test(next)) throw new Error(`${relative(ROOT, file)}: an @app/* alias is left`);
    if (next !== text) writeFileSync(file, next);
  }
}

/** The bare package names every emitted .js file under dir imports (node: builtins excluded). */
function importedPackages(dir) {
  const names = new Set();
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'".][^'"\n]*)['"]/g;
  for (const file of emitted(dir).filter((path) => path.endsWith('.js'))) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(pattern)) {
      if (specifier.startsWith('node:')) continue;
      const parts = specifier.split('/');
      names.add(specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]);
    }
  }
  return names;
}

/** `{ name: range }` from the root package.json for each imported package (ours at this version). */
function rangesFor(names) {
  const ranges = {};
  for (const name of [...names].sort()) {
    if (name.startsWith(`${SCOPE}/`)) ranges[name] = VERSION;
    else if (ALL_DEPS[name]) ranges[name] = ALL_DEPS[name];
    else throw new Error(`${name} is imported but not a dependency of the root package.json`);
  }
  return ranges;
}

/** Copies README (packages/<name>/README.md), LICENSE, CHANGELOG into the staged package and writes package.json. */
function finish(name, pkg) {
  const dir = join(STAGE, name);
  cpSync(join(ROOT, 'packages', name, 'README.md'), join(dir, 'README.md'));
  cpSync(join(ROOT, 'packages', 'LICENSE'), join(dir, 'LICENSE'));
  cpSync(join(ROOT, 'packages', 'CHANGELOG.md'), join(dir, 'CHANGELOG.md'));
  const full = {
    name: `${SCOPE}/${name}`,
    version: VERSION,
    license: rootPkg.license,
    type: 'module',
    engines: ENGINES,
    files: ['dist', ...(pkg.bin ? ['bin'] : []), 'README.md', 'LICENSE', 'CHANGELOG.md'],
    keywords: ['amqp', 'amqp-0-9-1', 'rabbitmq', 'nestjs', 'message-broker', 'warren'],
    ...pkg,
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(full, null, 2) + '\n');
}

function buildTransport() {
  const dir = join(STAGE, 'transport');
  const files = sources(join(ROOT, 'libs', 'transport', 'src'));
  compile('transport', files, { rootDir: join(ROOT, 'libs', 'transport', 'src'), outDir: join(dir, 'dist') });
  // CommonJS: the same sources compiled again under a `"type": "commonjs"` package.json (nodenext then emits
  // require()), for Nest 11 apps, which are CommonJS.
  const cjsSrc = join(STAGE, 'transport-cjs-src');
  rmSync(cjsSrc, { recursive: true, force: true });
  mkdirSync(cjsSrc, { recursive: true });
  for (const file of files) cpSync(file, join(cjsSrc, relative(join(ROOT, 'libs', 'transport', 'src'), file)));
  writeFileSync(join(cjsSrc, 'package.json'), '{ "type": "commonjs" }\n');
  compile('transport-cjs', sources(cjsSrc), { rootDir: cjsSrc, outDir: join(dir, 'dist', 'cjs') });
  writeFileSync(join(dir, 'dist', 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
  rewriteSpecifiers(join(dir, 'dist'), () => undefined);
  const used = importedPackages(join(dir, 'dist'));
  const peers = [...used].filter((name) => NEST_PEERS.includes(name));
  finish('transport', {
    description: "Warren's NestJS microservice transport: consumer groups, topic patterns, retries and dead-lettering over AMQP 0-9-1",
    main: './dist/cjs/index.js',
    types: './dist/index.d.ts',
    exports: {
      '.': {
        import: { types: './dist/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
      },
      './package.json': './package.json',
    },
    dependencies: rangesFor([...used].filter((name) => !NEST_PEERS.includes(name))),
    peerDependencies: Object.fromEntries(
      peers.sort().map((name) => [name, name.startsWith('@nestjs/') ? `^11.1.0 || ${ALL_DEPS[name]}` : ALL_DEPS[name]]),
    ),
  });
}

/** Where `@app/…` points inside the broker package's dist (the alias table of tsconfig.json, .ts → .js). */
function brokerTarget(specifier) {
  if (ALIASES[specifier]) return ALIASES[specifier][0].replace(/\.ts$/, '.js');
  for (const [key, [target]] of Object.entries(ALIASES)) {
    if (key.endsWith('/*') && specifier.startsWith(key.slice(0, -1))) return target.replace('*', specifier.slice(key.length - 1));
  }
  return undefined;
}

function buildBroker() {
  const dir = join(STAGE, 'broker');
  const libs = BUNDLED.flatMap((lib) => sources(join(ROOT, 'libs', lib, 'src')));
  const apps = ['broker', 'admin-api'].flatMap((app) => sources(join(ROOT, 'apps', app, 'src')));
  const paths = {};
  for (const [alias, targets] of Object.entries(ALIASES)) {
    if (BUNDLED.includes(alias.split('/')[1])) paths[alias] = targets.map((target) => join(ROOT, target));
  }
  paths['@app/transport'] = [join(STAGE, 'transport', 'dist', 'index.d.ts')];
  compile('broker', [...libs, ...apps], { rootDir: ROOT, outDir: join(dir, 'dist'), paths });
  const dist = join(dir, 'dist');
  rewriteSpecifiers(dist, (specifier, file) => {
    if (specifier === '@app/transport') return `${SCOPE}/transport`;
    if (!specifier.startsWith('@app/')) return undefined;
    const target = brokerTarget(specifier);
    if (!target) throw new Error(`${specifier}: no alias in tsconfig.json`);
    const path = relative(dirname(file), join(dist, target)).split(sep).join('/');
    return path.startsWith('.') ? path : `./${path}`;
  });
  // The web console the admin API serves at `/` (found as dist/console beside the package's compiled apps), built
  // straight into the package so it matches the sources and never touches the repo's dist/console.
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  execFileSync(
    process.execPath,
    [vite, 'build', '--config', 'apps/console/vite.config.ts', '--logLevel', 'error', '--outDir', join(dist, 'console')],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  mkdirSync(join(dir, 'bin'), { recursive: true });
  for (const file of ['warren.mjs', 'supervise.mjs']) cpSync(join(ROOT, 'packages', 'broker', 'bin', file), join(dir, 'bin', file));
  const used = importedPackages(dist);
  // Loaded by Nest at run time (the HTTP adapter) or by the bin, so never seen in an import of the compiled apps.
  for (const name of ['@nestjs/platform-express', 'rxjs', 'commander']) used.add(name);
  const exports = { '.': entry('./dist/libs/server/src/index') };
  for (const alias of BROKER_ENTRIES)
    exports[`./${alias.slice('@app/'.length)}`] = entry(`./dist/${brokerTarget(alias).replace(/^\.\//, '').replace(/\.js$/, '')}`);
  exports['./package.json'] = './package.json';
  finish('broker', {
    description: 'Warren: an AMQP 0-9-1 message broker (RabbitMQ-compatible) with its admin API and the `warren` command',
    bin: { warren: './bin/warren.mjs' },
    types: './dist/libs/server/src/index.d.ts',
    exports,
    dependencies: rangesFor(used),
  });
}

/** An exports entry for an ESM module with its declarations. */
function entry(base) {
  return { types: `${base}.d.ts`, default: `${base}.js` };
}

function buildTesting() {
  const dir = join(STAGE, 'testing');
  const paths = {};
  for (const alias of BROKER_ENTRIES) paths[alias] = [join(STAGE, 'broker', 'dist', brokerTarget(alias).replace(/\.js$/, '.d.ts'))];
  paths['@app/transport'] = [join(STAGE, 'transport', 'dist', 'index.d.ts')];
  compile('testing', sources(join(ROOT, 'libs', 'testing', 'src')), {
    rootDir: join(ROOT, 'libs', 'testing', 'src'),
    outDir: join(dir, 'dist'),
    paths,
  });
  rewriteSpecifiers(join(dir, 'dist'), (specifier) => {
    if (specifier === '@app/transport') return `${SCOPE}/transport`;
    if (!specifier.startsWith('@app/')) return undefined;
    if (!BROKER_ENTRIES.includes(specifier)) throw new Error(`@warren-mq/testing imports ${specifier}: not a broker entry point`);
    return `${SCOPE}/broker/${specifier.slice('@app/'.length)}`;
  });
  const used = importedPackages(join(dir, 'dist'));
  const peers = [...used].filter((name) => NEST_PEERS.includes(name));
  finish('testing', {
    description: "Warren's in-process test broker: a real AMQP broker in your jest process, with waits, peeks, captures and Nest helpers",
    types: './dist/index.d.ts',
    exports: {
      '.': entry('./dist/index'),
      './nest': entry('./dist/nest'),
      './nest.js': entry('./dist/nest'),
      './package.json': './package.json',
    },
    dependencies: rangesFor([...used].filter((name) => !NEST_PEERS.includes(name))),
    peerDependencies: Object.fromEntries(peers.sort().map((name) => [name, ALL_DEPS[name]])),
    peerDependenciesMeta: Object.fromEntries(peers.map((name) => [name, { optional: true }])),
  });
}

const BUILDS = { transport: [buildTransport], broker: [buildTransport, buildBroker], testing: [buildTransport, buildBroker, buildTesting] };
const wanted = process.argv[2] ?? 'testing';
if (!BUILDS[wanted]) throw new Error(`unknown package ${wanted} (transport, broker, testing)`);
rmSync(STAGE, { recursive: true, force: true });
mkdirSync(STAGE, { recursive: true });
mkdirSync(OUT, { recursive: true });
for (const build of BUILDS[wanted]) build();
for (const name of ['transport', 'broker', 'testing']) {
  if (!existsSync(join(STAGE, name, 'package.json'))) continue;
  const packed = execFileSync('npm', ['pack', '--pack-destination', OUT, '--silent'], { cwd: join(STAGE, name), encoding: 'utf8' });
  process.stdout.write(`dist/packages/${packed.trim().split('\n').pop()}\n`);
}
