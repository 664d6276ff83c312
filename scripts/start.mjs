// `npm start`: runs every built Warren app (the broker, then the admin API) in the foreground, with data under
// ./data unless WARREN_DATA_DIR says otherwise. Ctrl-C / SIGTERM stop them all.
//
// The admin API talks to the broker's management listener. Unless WARREN_BROKER_URL is set, it is pointed at the
// address the broker prints once that listener is bound, so WARREN_MANAGEMENT_HOST/PORT (port 0 included) and
// WARREN_AMQP_PORT need no second setting; it logs in as WARREN_DEFAULT_USER/PASS (guest/guest by default).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const BROKER = 'dist/apps/broker/apps/broker/src/main.js';
const ADMIN_API = 'dist/apps/admin-api/apps/admin-api/src/main.js';
const env = { ...process.env, WARREN_DATA_DIR: process.env.WARREN_DATA_DIR ?? './data' };

const children = [];
let exitCode = 0;
let stopping = false;

/** Starts one app; when it fails, the others are stopped. */
function run(name, entry, appEnv, stdio = 'inherit') {
  const child = spawn(process.execPath, [entry], { stdio, env: appEnv });
  children.push({ name, child });
  child.on('exit', (code, signal) => {
    if (code) exitCode = code;
    if (code && !stopping) {
      process.stderr.write(`warren: ${name} exited with ${code ?? signal}; stopping the others\n`);
      stop('SIGTERM');
    }
    if (children.every(({ child: other }) => other.exitCode !== null || other.signalCode !== null)) process.exit(exitCode);
  });
  return child;
}

/** The admin API's broker URL from the broker's "management listener on amqp://HOST:PORT" line. */
function managementUrlOf(line) {
  const match = /management listener on amqp:\/\/(\[[^\]]+\]|[^:\s]+):(\d+)/.exec(line);
  if (!match) return undefined;
  const host = match[1] === '0.0.0.0' || match[1] === '[::]' ? '127.0.0.1' : match[1];
  // The admin API logs in as the administrator the broker creates on its first start (WARREN_DEFAULT_USER/PASS).
  const user = encodeURIComponent(process.env.WARREN_DEFAULT_USER || 'guest');
  const password = encodeURIComponent(process.env.WARREN_DEFAULT_PASS ?? 'guest');
  return `amqp://${user}:${password}@${host}:${match[2]}`;
}

if (!existsSync(BROKER)) {
  process.stderr.write('warren: the broker is not built (npm run build)\n');
  process.exit(1);
}
const broker = run('broker', BROKER, env, ['inherit', 'pipe', 'inherit']);
let printed = '';
let isAdminStarted = false;
broker.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (isAdminStarted || !existsSync(ADMIN_API)) return;
  printed += chunk.toString();
  const url = process.env.WARREN_BROKER_URL || managementUrlOf(printed);
  if (!url || stopping) return;
  isAdminStarted = true;
  run('admin-api', ADMIN_API, { ...env, WARREN_BROKER_URL: url });
});

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
