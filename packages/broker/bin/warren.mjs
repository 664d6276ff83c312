#!/usr/bin/env node
// The `warren` command of @warren-mq/broker. `warren start` runs the broker, then the admin API, in the
// foreground, configured by the same WARREN_* environment variables as the repository's `npm start`, with data
// under ./warren-data unless WARREN_DATA_DIR (or --data-dir) says otherwise. Ctrl-C / SIGTERM stop both.
//
// The admin API talks to the broker's management listener: unless WARREN_BROKER_URL is set, it is pointed at the
// address the broker prints once that listener is bound, so port 0 everywhere needs no second setting.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

const BROKER = fileURLToPath(new URL('../dist/apps/broker/src/main.js', import.meta.url));
const ADMIN_API = fileURLToPath(new URL('../dist/apps/admin-api/src/main.js', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** The admin API's broker URL from the broker's "management listener on amqp://HOST:PORT" line. */
function managementUrlOf(text) {
  const match = /management listener on amqp:\/\/(\[[^\]]+\]|[^:\s]+):(\d+)/.exec(text);
  if (!match) return undefined;
  const host = match[1] === '0.0.0.0' || match[1] === '[::]' ? '127.0.0.1' : match[1];
  return `amqp://guest:guest@${host}:${match[2]}`;
}

/** Runs the broker and (unless told not to) the admin API until a signal or until one of them fails. */
function start(options) {
  const env = { ...process.env, WARREN_DATA_DIR: options.dataDir ?? process.env.WARREN_DATA_DIR ?? './warren-data' };
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

  const broker = run('broker', BROKER, env, ['inherit', 'pipe', 'inherit']);
  let printed = '';
  let isAdminStarted = !options.adminApi;
  broker.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (isAdminStarted) return;
    printed += chunk.toString();
    const url = process.env.WARREN_BROKER_URL || managementUrlOf(printed);
    if (!url || stopping) return;
    isAdminStarted = true;
    run('admin-api', ADMIN_API, { ...env, WARREN_BROKER_URL: url });
  });
  process.on('SIGINT', () => stop('SIGTERM'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const program = new Command('warren').description('Warren: an AMQP 0-9-1 message broker').version(version);
program
  .command('start')
  .description('start the broker and the admin API (configured by the WARREN_* environment variables)')
  .option('--data-dir <dir>', 'where the broker keeps its data (WARREN_DATA_DIR; default ./warren-data)')
  .option('--no-admin-api', 'start the broker only')
  .action(start);
program.parse();
