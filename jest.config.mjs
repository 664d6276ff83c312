import { availableParallelism } from 'node:os';

// Run through `npm test` (node --experimental-vm-modules): the project is ESM-only, as NestJS 12 is.
const moduleNameMapper = {
  '^(\\.{1,2}/.*)\\.js$': '$1',
  '^@app/([^/]+)$': '<rootDir>/libs/$1/src/index.ts',
  // Backend entry points of the storage library (each a folder with its own barrel).
  '^@app/storage/(level|memory|postgres)$': '<rootDir>/libs/storage/src/$1/index.ts',
  '^@app/([^/]+)/(.*?)(\\.js)?$': '<rootDir>/libs/$1/src/$2',
};
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];
const common = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper,
  transform: { '^.+\\.ts$': swc },
};
export default {
  // Jest's default on a 2-core machine is one worker; the e2e files spend most of their time waiting on brokers,
  // leases and timers, so two run side by side in about 60 % of the time (every wait polls with a generous bound).
  maxWorkers: Math.max(2, availableParallelism() - 1),
  // A global option: jest ignores testTimeout inside a project. Generous, since CI machines are busy.
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/apps', '<rootDir>/libs'], testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
    },
  ],
};
