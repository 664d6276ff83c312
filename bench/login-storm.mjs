#!/usr/bin/env node
// Login storm: how much a flood of wrong-password logins slows durable writes. Runs the persistent-confirm
// benchmark (bench/run.mjs) once alone and once while --concurrency clients keep logging in with a wrong password,
// and prints both rates. Loopback brokers only, bounded in count and time: it is a load generator.
//
//   node bench/login-storm.mjs --url amqp://guest:guest@127.0.0.1:5673 [--concurrency 200] [--duration 5] [--sources 1]
//
// The storm comes from --sources loopback addresses other than the benchmark's (127.0.0.2, 127.0.0.3, …; Linux
// routes all of 127/8 to lo): Warren throttles failed logins per source address, so a storm from the benchmark's
// own address would lock the benchmark out rather than measure the cost of hashing. --sources equal to
// --concurrency gives each client its own address, the case only the bounded hashing worker limits.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import amqplib from 'amqplib';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
    concurrency: { type: 'string', default: '200' },
    duration: { type: 'string', default: '5' },
    sources: { type: 'string', default: '1' },
    'storm-only': { type: 'boolean', default: false },
  },
});
const concurrency = Number(values.concurrency);
const durationS = Number(values.duration);
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) throw new Error('--concurrency: 1..1000');
if (!Number.isFinite(durationS) || durationS <= 0 || durationS > 60) throw new Error('--duration: (0, 60] seconds');
const sources = Number(values.sources);
if (!Number.isInteger(sources) || sources < 1 || sources > 250) throw new Error('--sources: 1..250');
const sourceAddress = (i) => `127.0.0.${2 + (i % sources)}`;
const target = new URL(values.url);
// A login storm is an attack pattern: never aim it at anything but this machine.
if (!['127.0.0.1', 'localhost'].includes(target.hostname)) throw new Error('login-storm: IPv4 loopback URLs only');
const badUrl = new URL(values.url);
badUrl.username = 'guest';
badUrl.password = 'not-the-password';

/** Keeps `concurrency` wrong-password logins in flight until stop() resolves; counts attempts and refusals. */
function startStorm() {
  let isStopped = false;
  const counts = { attempts: 0, refused: 0, other: 0, otherErrors: {} };
  const worker = async (_, i) => {
    while (!isStopped) {
      counts.attempts++;
      try {
        const connection = await amqplib.connect(badUrl.href, { timeout: 15_000, localAddress: sourceAddress(i) });
        await connection.close(); // only if the broker let a wrong password in
        counts.other++;
      } catch (error) {
        if (/ACCESS[-_]REFUSED|403/.test(String(error))) counts.refused++;
        else {
          counts.other++;
          const kind = String(error?.message ?? error).slice(0, 60);
          counts.otherErrors[kind] = (counts.otherErrors[kind] ?? 0) + 1;
        }
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    counts,
    stop: async () => {
      isStopped = true;
      await Promise.all(workers);
      return counts;
    },
  };
}

/** Runs bench/run.mjs persistent-confirm with JSON output and returns its first run's result. */
function runBench() {
  const runScript = fileURLToPath(new URL('./run.mjs', import.meta.url));
  const args = [runScript, '--only', 'persistent-confirm', '--duration', String(durationS), '--json', '--url', values.url];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const killer = setTimeout(() => child.kill('SIGTERM'), (durationS + 150) * 1000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      try {
        resolve(JSON.parse(out).scenarios?.[0] ?? JSON.parse(out));
      } catch {
        reject(new Error(`login-storm: bench exited ${code} without JSON output`));
      }
    });
  });
}

function summary(result) {
  const run = result.runs?.[0] ?? result;
  const rate = (n) => (typeof n === 'number' ? Math.round(n) : n);
  return JSON.stringify({ status: run.status, rate: rate(run.rate), publishRate: rate(run.publishRate), error: run.error });
}

if (values['storm-only']) {
  const storm = startStorm();
  await new Promise((resolve) => setTimeout(resolve, durationS * 1000));
  console.log(`storm only: ${JSON.stringify(await storm.stop())}`);
} else {
  console.log(`alone:       ${summary(await runBench())}`);
  const storm = startStorm();
  const loaded = await runBench();
  const counts = await storm.stop();
  console.log(`under storm: ${summary(loaded)}`);
  console.log(`storm:       ${JSON.stringify(counts)} (${concurrency} concurrent wrong-password logins from ${sources} addresses)`);
}
