// ESLint for the whole repo, run by `npm test` (`npm run lint`). Besides typescript-eslint's recommended rules it
// enforces the layers of docs/ARCHITECTURE.md with `no-restricted-imports`: each layer lists what it must not import.
// Prettier owns formatting (eslint-config-prettier turns off the rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NEST = { regex: '^(@nestjs/|rxjs($|/))', message: 'Nest and RxJS live in apps, the transport and the test kit’s Nest helpers only.' };
const LEVELDB = {
  regex: '^(classic-level|level|memory-level|pg)$',
  message: 'Only the storage backends load LevelDB or the PostgreSQL driver.',
};
const LEVEL_BACKEND = {
  regex: '^@app/storage/(level|postgres)$',
  message: 'Only the broker app (and the test kit, lazily) wires the LevelDB and PostgreSQL backends.',
};
const APPS = { regex: '(^|/)apps/', message: 'A library never imports an app.' };
const OTHER_LIBS_BY_PATH = { regex: '^(\\.\\./)+(libs|apps)/', message: 'Import another library through its @app/* alias.' };
const TRANSPORT = { regex: '^@app/transport($|/)', message: 'The broker never depends on the NestJS transport (it is a client).' };

/** A `no-restricted-imports` rule from a list of forbidden patterns. */
const forbid = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
/** Forbids every `@app/*` library except the ones named. */
const onlyLibs = (...allowed) => ({
  regex: `^@app/(?!(${allowed.join('|')})($|/))`,
  message: `This layer may import only ${allowed.length ? allowed.map((name) => '@app/' + name).join(', ') : 'no library of ours'}.`,
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.amqplib-suite/**', '.bench-out/**', 'libs/codec/src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Field tables and JSON bodies are untyped by nature; `unknown` is used where it helps.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', '**/test/**/*.ts'], languageOptions: { globals: { ...globals.jest } } },

  // Layer rules. Specs beside the code follow the layer of the code they test.
  { files: ['libs/codec/**/*.ts'], rules: forbid(onlyLibs(), NEST, LEVELDB, APPS, OTHER_LIBS_BY_PATH) },
  // The shared configuration schema stands alone: the broker and the admin API both import it.
  { files: ['libs/config/**/*.ts'], rules: forbid(onlyLibs(), NEST, LEVELDB, APPS, OTHER_LIBS_BY_PATH) },
  { files: ['libs/routing/**/*.ts'], rules: forbid(onlyLibs('codec'), NEST, LEVELDB, APPS, OTHER_LIBS_BY_PATH) },
  // The storage ports (the barrel and the files beside it) load no backend.
  {
    files: ['libs/storage/src/*.ts'],
    rules: forbid(onlyLibs('codec'), NEST, LEVELDB, APPS, OTHER_LIBS_BY_PATH, {
      regex: '^\\./(level|memory|postgres)/',
      message: 'The ports barrel must not load a backend: backends are their own entry points.',
    }),
  },
  {
    files: ['libs/storage/src/{level,memory,postgres}/**/*.ts', 'libs/storage/test/**/*.ts'],
    rules: forbid(onlyLibs('codec'), NEST, APPS),
  },
  {
    files: ['libs/broker-core/**/*.ts'],
    ignores: ['libs/broker-core/**/*.spec.ts'],
    rules: forbid(onlyLibs('codec', 'routing', 'storage', 'management-contract'), NEST, LEVELDB, APPS, OTHER_LIBS_BY_PATH, {
      regex: '^@app/storage/',
      message: 'The core codes against the storage ports only.',
    }),
  },
  // The core's specs may build it on the in-memory backend, never on LevelDB.
  {
    files: ['libs/broker-core/**/*.spec.ts'],
    rules: forbid(onlyLibs('codec', 'routing', 'storage', 'management-contract'), NEST, LEVELDB, APPS, OTHER_LIBS_BY_PATH, {
      regex: '^@app/storage/(?!memory$)',
      message: 'Core specs use the storage ports or the in-memory backend only.',
    }),
  },
  {
    files: ['libs/management-contract/**/*.ts'],
    rules: forbid(onlyLibs('codec'), NEST, LEVELDB, APPS, OTHER_LIBS_BY_PATH),
  },
  {
    files: ['libs/server/**/*.ts'],
    rules: forbid(
      onlyLibs('codec', 'routing', 'storage', 'broker-core', 'management-contract', 'config'),
      NEST,
      LEVELDB,
      LEVEL_BACKEND,
      APPS,
      TRANSPORT,
      OTHER_LIBS_BY_PATH,
    ),
  },
  {
    files: ['libs/transport/**/*.ts'],
    rules: forbid(onlyLibs('transport', 'codec'), LEVELDB, APPS, OTHER_LIBS_BY_PATH),
  },
  // The test kit embeds the broker; only its Nest helpers may use Nest.
  {
    files: ['libs/testing/**/*.ts'],
    ignores: ['libs/testing/src/nest/**', 'libs/testing/src/nest.ts'],
    rules: forbid(NEST, LEVELDB, APPS, OTHER_LIBS_BY_PATH),
  },
  { files: ['libs/testing/src/nest/**', 'libs/testing/src/nest.ts'], rules: forbid(LEVELDB, APPS, OTHER_LIBS_BY_PATH) },
  // The admin API talks to the broker over AMQP: it never loads the core, the server or a store.
  {
    files: ['apps/admin-api/**/*.ts'],
    rules: forbid(onlyLibs('transport', 'management-contract', 'codec', 'config'), LEVELDB),
  },
  { files: ['apps/broker/**/*.ts'], rules: forbid(TRANSPORT) },
  // The web console runs in the browser and talks to the admin API over HTTP only: no library of ours, no Node.
  {
    files: ['apps/console/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: forbid(onlyLibs(), NEST, LEVELDB, { regex: '^node:', message: 'The console runs in the browser.' }),
  },
  // The `warren` CLI is an HTTP client of the admin API: none of our libraries, no Nest.
  { files: ['libs/cli/**/*.ts'], rules: forbid(onlyLibs(), NEST, LEVELDB, APPS, OTHER_LIBS_BY_PATH) },
);
