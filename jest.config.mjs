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
