// Jest for the Nest 11 CommonJS consumer app: swc compiles the tests to CommonJS, as a Nest 11 app's build would.
module.exports = {
  testEnvironment: 'node',
  testTimeout: 60000,
  testMatch: ['**/test/**/*.e2e-spec.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true } },
        module: { type: 'commonjs' },
      },
    ],
  },
};
