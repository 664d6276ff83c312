// `npm start`: runs every built Warren app (the broker, then the admin API) in the foreground, with data under
// ./data unless WARREN_DATA_DIR says otherwise. Ctrl-C / SIGTERM stop them all.
// The supervisor, shared with the `warren start` command of @warren-mq/broker, is packages/broker/bin/supervise.mjs.
import { existsSync } from 'node:fs';
import { supervise } from '../packages/broker/bin/supervise.mjs';

const BROKER = 'dist/apps/broker/apps/broker/src/main.js';
const ADMIN_API = 'dist/apps/admin-api/apps/admin-api/src/main.js';
const env = { ...process.env, WARREN_DATA_DIR: process.env.WARREN_DATA_DIR ?? './data' };

if (!existsSync(BROKER)) {
  process.stderr.write('warren: the broker is not built (npm run build)\n');
  process.exit(1);
}
supervise({ broker: BROKER, adminApi: existsSync(ADMIN_API) ? ADMIN_API : undefined, env });
