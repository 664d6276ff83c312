#!/usr/bin/env node
// The repository's `warren` command (`npx warren …` after `npm run build`): the CLI of libs/cli, compiled into
// dist/libs/cli, with `warren start` running the built broker and admin API as `npm start` does. The published
// package's `warren` is packages/broker/bin/warren.mjs, the same CLI with the package's own paths.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = new URL('../dist/libs/cli/index.js', import.meta.url);
if (!existsSync(CLI)) {
  process.stderr.write('warren: the CLI is not built (npm run build)\n');
  process.exit(1);
}
const { runCli } = await import(CLI.href);
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await runCli({
  version,
  async start(options) {
    const { supervise } = await import('../packages/broker/bin/supervise.mjs');
    const broker = `${ROOT}dist/apps/broker/apps/broker/src/main.js`;
    const adminApi = `${ROOT}dist/apps/admin-api/apps/admin-api/src/main.js`;
    if (!existsSync(broker)) {
      process.stderr.write('warren: the broker is not built (npm run build)\n');
      process.exit(1);
    }
    const env = { ...process.env, WARREN_DATA_DIR: options.dataDir ?? process.env.WARREN_DATA_DIR ?? './data' };
    supervise({ broker, adminApi: options.adminApi && existsSync(adminApi) ? adminApi : undefined, env });
  },
});
