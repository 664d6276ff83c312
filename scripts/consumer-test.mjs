// The consumer test of the npm packages (run by .ci/run after `npm test`): outside the repository, as a NestJS team
// would, it installs the packed tarballs of dist/packages/ into fresh apps and runs their own jest suites.
//
//   1. `npm run packages` (skipped with --no-build: the tarballs already in dist/packages/ are used).
//   2. Nest 12 (ESM): an app made of the root README's "Getting started" files (extracted from the README, so the
//      guide is what is tested) plus scripts/consumer-test/*.e2e-spec.ts (`npx warren start` + amqplib, plain-node
//      imports, startTestBroker, each README's first example), after `tsc --noEmit` over all of it (the published
//      declarations; counted as one test).
//   3. Nest 11 (CommonJS): an app that requires @warren-mq/transport's CommonJS build, against a broker started by
//      the Nest 12 app's installed `warren` command (scripts/consumer-test/nest11/).
//
// Usage: node scripts/consumer-test.mjs [--no-build] [--json <report>] [--keep]. The report sums both jest runs in
// jest's own field names (numPassedTests, numFailedTests, numTotalTests); the exit code is non-zero on any failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HERE = join(ROOT, 'scripts', 'consumer-test');
const args = process.argv.slice(2);
const reportPath = args.includes('--json') ? resolve(args[args.indexOf('--json') + 1]) : undefined;
const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const version = rootPkg.version;
const dev = rootPkg.devDependencies;

if (!args.includes('--no-build')) execFileSync('npm', ['run', 'packages', '--silent'], { cwd: ROOT, stdio: 'inherit' });
const tarball = (name) => join(ROOT, 'dist', 'packages', `warren-mq-${name}-${version}.tgz`);

/** The files of the README's "Getting started" section: every code block whose first line is `// <path>`. */
function gettingStartedFiles() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Getting started'), readme.indexOf('\n## ', readme.indexOf('## Getting started') + 1));
  const files = {};
  for (const [, body] of section.matchAll(/```(?:ts|js)\n([\s\S]*?)```/g)) {
    const path = /^\/\/ (\S+)\n/.exec(body);
    if (path) files[path[1]] = body;
  }
  if (Object.keys(files).length < 3) throw new Error('README.md: the Getting started files were not found');
  return files;
}

/** Writes `files` and a package.json into a fresh temp dir, installs, and runs jest there; returns its summary. */
function runApp(name, pkg, files, jestArgs) {
  const dir = mkdtempSync(join(tmpdir(), `warren-consumer-${name}-`));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, ...pkg }, null, 2));
    for (const [path, body] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), body);
    }
    process.stdout.write(`consumer test (${name}): npm install in ${dir}\n`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit', timeout: 300_000 });
    // The published declarations, as a TypeScript consumer compiles against them (when the app has a tsconfig).
    let typecheck;
    if (files['tsconfig.json']) {
      const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { cwd: dir, stdio: 'inherit' });
      typecheck = tsc.status === 0;
      process.stdout.write(`consumer test (${name}): tsc --noEmit ${typecheck ? 'passed' : 'FAILED'}\n`);
    }
    const report = join(dir, 'jest-report.json');
    spawnSync(process.execPath, [...jestArgs, 'node_modules/jest/bin/jest.js', '--ci', '--json', `--outputFile=${report}`], {
      cwd: dir,
      stdio: 'inherit',
      timeout: 300_000,
      env: { ...process.env, ...pkg.testEnv },
    });
    let summary = {};
    try {
      summary = JSON.parse(readFileSync(report, 'utf8'));
    } catch {
      // No report: jest itself failed; counted below as one failure.
    }
    return { dir, summary, typecheck };
  } finally {
    if (!args.includes('--keep') && name !== 'nest12') rmSync(dir, { recursive: true, force: true });
  }
}

const totals = { numPassedTests: 0, numFailedTests: 0, numTotalTests: 0 };
const add = (name, { summary, typecheck }) => {
  if (typecheck !== undefined) {
    totals.numTotalTests += 1;
    totals[typecheck ? 'numPassedTests' : 'numFailedTests'] += 1;
  }
  if (!summary.numTotalTests) {
    process.stderr.write(`consumer test (${name}): jest wrote no results\n`);
    totals.numFailedTests += 1;
    totals.numTotalTests += 1;
    return;
  }
  for (const key of Object.keys(totals)) totals[key] += summary[key] ?? 0;
};

const nest12 = runApp(
  'nest12',
  {
    type: 'module',
    dependencies: {
      '@nestjs/common': rootPkg.dependencies['@nestjs/common'],
      '@nestjs/core': rootPkg.dependencies['@nestjs/core'],
      '@nestjs/microservices': rootPkg.dependencies['@nestjs/microservices'],
      rxjs: rootPkg.dependencies.rxjs,
      'reflect-metadata': rootPkg.dependencies['reflect-metadata'],
      amqplib: rootPkg.dependencies.amqplib,
      '@warren-mq/transport': `file:${tarball('transport')}`,
    },
    devDependencies: {
      '@warren-mq/testing': `file:${tarball('testing')}`,
      '@warren-mq/broker': `file:${tarball('broker')}`,
      jest: dev.jest,
      '@swc/core': dev['@swc/core'],
      '@swc/jest': dev['@swc/jest'],
      typescript: dev.typescript,
      '@types/node': dev['@types/node'],
      '@types/jest': dev['@types/jest'],
    },
  },
  {
    ...gettingStartedFiles(),
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        target: 'ES2023',
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node', 'jest'],
      },
      include: ['src', 'test'],
    }),
    ...Object.fromEntries(
      readdirSync(HERE)
        .filter((file) => file.endsWith('.e2e-spec.ts'))
        .map((file) => [`test/${file}`, readFileSync(join(HERE, file), 'utf8')]),
    ),
  },
  ['--experimental-vm-modules'],
);
add('nest12', nest12);

// Nest 11, CommonJS: the transport's require() entry, against a broker run by the Nest 12 app's `warren` bin.
const nest11Files = Object.fromEntries(
  readdirSync(join(HERE, 'nest11')).map((file) => [
    file.endsWith('.e2e-spec.ts') ? `test/${file}` : file,
    readFileSync(join(HERE, 'nest11', file), 'utf8'),
  ]),
);
const nest11 = runApp(
  'nest11',
  {
    type: 'commonjs',
    dependencies: {
      '@nestjs/common': '^11.1.0',
      '@nestjs/core': '^11.1.0',
      '@nestjs/microservices': '^11.1.0',
      rxjs: rootPkg.dependencies.rxjs,
      'reflect-metadata': rootPkg.dependencies['reflect-metadata'],
      '@warren-mq/transport': `file:${tarball('transport')}`,
    },
    devDependencies: { jest: dev.jest, '@swc/core': dev['@swc/core'], '@swc/jest': dev['@swc/jest'] },
    testEnv: { WARREN_BIN: join(nest12.dir, 'node_modules', '@warren-mq', 'broker', 'bin', 'warren.mjs') },
  },
  nest11Files,
  [],
);
add('nest11', nest11);
if (!args.includes('--keep')) rmSync(nest12.dir, { recursive: true, force: true });

process.stdout.write(`consumer test: ${totals.numPassedTests} passed, ${totals.numFailedTests} failed\n`);
if (reportPath) writeFileSync(reportPath, JSON.stringify(totals));
process.exitCode = totals.numFailedTests || !totals.numTotalTests ? 1 : 0;
