// Runs the broker, then the admin API, in the foreground until a signal or until one of them fails: the supervisor
// behind both `npm start` (scripts/start.mjs) and the `warren start` command of @warren-mq/broker.
//
// The admin API talks to the broker's management listener. Unless WARREN_BROKER_URL is set, it is pointed at the
// address the broker prints once that listener is bound, so WARREN_MANAGEMENT_HOST/PORT (port 0 included) and
// WARREN_AMQP_PORT need no second setting; it logs in as WARREN_DEFAULT_USER/PASS (guest/guest by default).
import { spawn } from 'node:child_process';

/** The admin API's broker URL from the broker's "management listener on amqp://HOST:PORT" line. */
export function managementUrlOf(text, env = process.env) {
  const match = /management listener on amqp:\/\/(\[[^\]]+\]|[^:\s]+):(\d+)/.exec(text);
  if (!match) return undefined;
  const host = match[1] === '0.0.0.0' || match[1] === '[::]' ? '127.0.0.1' : match[1];
  // The admin API logs in as the administrator the broker creates on its first start (WARREN_DEFAULT_USER/PASS).
  const user = encodeURIComponent(env.WARREN_DEFAULT_USER || 'guest');
  const password = encodeURIComponent(env.WARREN_DEFAULT_PASS ?? 'guest');
  return `amqp://${user}:${password}@${host}:${match[2]}`;
}

/**
 * Starts `broker` (a built main.js) with `env`, then `adminApi` (unless undefined) once the broker's management
 * listener is known. Ctrl-C / SIGTERM stop them in reverse order; when one fails, the others are stopped and the
 * process exits with its code.
 */
export function supervise({ broker, adminApi, env }) {
  const children = [];
  let exitCode = 0;
  let stopping = false;

  const run = (name, entry, appEnv, stdio = 'inherit') => {
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
  };

  // Stops the apps in reverse start order (the admin API before the broker it talks to), each after the previous exited.
  const stop = (signal) => {
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
  };

  const brokerChild = run('broker', broker, env, ['inherit', 'pipe', 'inherit']);
  let printed = '';
  let isAdminStarted = adminApi === undefined;
  brokerChild.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (isAdminStarted) return;
    printed += chunk.toString();
    const url = env.WARREN_BROKER_URL || managementUrlOf(printed, env);
    if (!url || stopping) return;
    isAdminStarted = true;
    run('admin-api', adminApi, { ...env, WARREN_BROKER_URL: url });
  });
  process.on('SIGINT', () => stop('SIGTERM'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
