// Warren-only benchmark: how long a Prometheus scrape takes with many queues (issue target: < 100 ms at 10,000).
//   npm run build && node bench/metrics-scrape.mjs --queues 10000 --rounds 20
// Starts the built broker (--entry) with its metrics listener on a free loopback port, declares --queues transient
// queues over amqplib with one message each (so every per-queue series has a value), then scrapes `/metrics` and
// `/metrics/per-object` --rounds times each over HTTP, timing each request from send to last byte. Prints the
// median, p90 and max per path, the broker's CPU time per scrape (from /proc: on a shared machine the wall time
// includes waiting for a core, the CPU time does not), the body size and series count. Everything it starts is stopped; the data directory
// is removed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import amqplib from 'amqplib';
import { startBroker, stopBroker } from './lib/broker-process.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const queues = Number(option('queues', '10000'));
const rounds = Number(option('rounds', '20'));
const entry = option('entry', 'dist/apps/broker/apps/broker/src/main.js');
const dataDir = mkdtempSync(join(tmpdir(), 'warren-metrics-bench-'));

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** CPU time (user + system) the process has used, in ms (clock ticks are 10 ms on Linux). */
function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

async function timeScrapes(url, pid) {
  const times = [];
  let body = '';
  const cpuBefore = cpuMsOf(pid);
  for (let i = 0; i < rounds; i++) {
    const startedAt = performance.now();
    const response = await fetch(url);
    body = await response.text();
    times.push(performance.now() - startedAt);
    if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  }
  const cpuPerScrape = (cpuMsOf(pid) - cpuBefore) / rounds;
  times.sort((a, b) => a - b);
  const series = body.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
  const ms = (value) => `${value.toFixed(1)} ms`;
  const wall = `p50 ${ms(quantile(times, 0.5))}, p90 ${ms(quantile(times, 0.9))}, max ${ms(times[times.length - 1])}`;
  return `${wall}; broker CPU ${ms(cpuPerScrape)} per scrape; ${(body.length / 1024).toFixed(0)} KiB, ${series} series`;
}

const metricsPort = await freePort();
const { child, port } = await startBroker({
  entry,
  dataDir,
  env: { WARREN_METRICS_PORT: String(metricsPort), WARREN_METRICS_HOST: '127.0.0.1' },
});
try {
  const connection = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${port}`);
  const channel = await connection.createConfirmChannel();
  const declaredAt = performance.now();
  // Declarations pipelined in batches: the broker answers them in order.
  for (let start = 0; start < queues; start += 500) {
    const batch = [];
    for (let i = start; i < Math.min(queues, start + 500); i++) batch.push(channel.assertQueue(`scrape.${i}`, { durable: false }));
    await Promise.all(batch);
  }
  for (let i = 0; i < queues; i++) channel.sendToQueue(`scrape.${i}`, Buffer.from('x'));
  await channel.waitForConfirms();
  console.error(`metrics-scrape: ${queues} queues declared and filled in ${((performance.now() - declaredAt) / 1000).toFixed(1)} s`);
  const base = `http://127.0.0.1:${metricsPort}`;
  await fetch(`${base}/metrics/per-object`).then((response) => response.text()); // warm-up
  console.log(`queues ${queues}, rounds ${rounds}`);
  console.log(`/metrics             ${await timeScrapes(`${base}/metrics`, child.pid)}`);
  console.log(`/metrics/per-object  ${await timeScrapes(`${base}/metrics/per-object`, child.pid)}`);
  await connection.close();
} finally {
  await stopBroker(child);
  rmSync(dataDir, { recursive: true, force: true });
}
