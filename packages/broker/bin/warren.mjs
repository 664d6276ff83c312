#!/usr/bin/env node
// The `warren` command of @warren-mq/broker. `warren start` runs the broker, then the admin API, in the
// foreground, configured by the same WARREN_* environment variables as the repository's `npm start`, with data
// under ./warren-data unless WARREN_DATA_DIR (or --data-dir) says otherwise. Ctrl-C / SIGTERM stop both.
// The supervisor (and how the admin API finds the broker) is supervise.mjs, shared with the repository's npm start.
// Every other command (`warren list queues`, `warren publish`, …) is the admin API client of libs/cli.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli } from '../dist/libs/cli/src/index.js';
import { supervise } from './supervise.mjs';

const BROKER = fileURLToPath(new URL('../dist/apps/broker/src/main.js', import.meta.url));
const ADMIN_API = fileURLToPath(new URL('../dist/apps/admin-api/src/main.js', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Runs the broker and (unless told not to) the admin API until a signal or until one of them fails. */
function start(options) {
  const env = { ...process.env, WARREN_DATA_DIR: options.dataDir ?? process.env.WARREN_DATA_DIR ?? './warren-data' };
  supervise({ broker: BROKER, adminApi: options.adminApi ? ADMIN_API : undefined, env });
}

await runCli({ version, start });
