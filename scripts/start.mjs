// `npm start`: runs every built Warren app (the broker, and the admin API once it exists) in the foreground,
// with data under ./data unless WARREN_DATA_DIR says otherwise. Ctrl-C / SIGTERM stop them all.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const apps = [
  { name: 'broker', entry: 'dist/apps/broker/apps/broker/src/main.js' },
  { name: 'admin-api', entry: 'dist/apps/admin-api/apps/admin-api/src/main.js' },
].filter((app) => existsSync(app.entry));

const env = { ...process.env, WARREN_DATA_DIR: process.env.WARREN_DATA_DIR ?? './data' };
const children = apps.map((app) => ({ app, child: spawn(process.execPath, [app.entry], { stdio: 'inherit', env }) }));
let exitCode = 0;
let remaining = children.length;
for (const { app, child } of children) {
  child.on('exit', (code, signal) => {
    if (code) exitCode = code;
    if (code && !stopping) {
      process.stderr.write(`warren: ${app.name} exited with ${code ?? signal}; stopping the others\n`);
      stop('SIGTERM');
    }
    if (--remaining === 0) process.exit(exitCode);
  });
}
let stopping = false;
/** Stops the apps in reverse start order (the admin API before the broker it talks to), each after the previous exited. */
function stop(signal) {
  if (stopping) return;
  stopping = true;
  const running = children.filter(({ child }) => child.exitCode === null && child.signalCode === null).reverse();
  const next = () => {
    const item = running.shift();
    if (!item) return;
    item.child.once('exit', next);
    item.child.kill(signal);
  };
  next();
}
process.on('SIGINT', () => stop('SIGTERM'));
process.on('SIGTERM', () => stop('SIGTERM'));
