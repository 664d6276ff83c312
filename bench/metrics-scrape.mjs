// Warren-only benchmark: how long a Prometheus scrape takes with many queues (issue target: < 100 ms at 10,000).
//   npm run build && node bench/metrics-scrape.mjs --queues 10000 --rounds 20
// Starts the built broker (--entry) with its metrics listener on a free loopback port, declares --queues queues over
// amqplib (every other one durable), publishes one message to each (persistent to the durable ones), and puts a
// consumer that does not ack on every 100th queue (so ready, unacked and consumer series all have values). Then, for
// --rounds rounds, scrapes in turn `/metrics`, `/metrics/per-object` without compression and `/metrics/per-object`
// with `Accept-Encoding: gzip` (what Prometheus sends) over HTTP, timing each request from send to the last byte of
// the body (gunzipped). Meanwhile a worker thread on its own AMQP connection sends a `queue.declare passive` every
// ~2 ms and records each round trip: how long the broker left AMQP clients waiting while it scraped. Prints p50, p95
// and max per endpoint; the CPU time per scrape of the broker (from /proc: on a shared machine the wall time includes
// waiting for a core, the CPU time does not) and of this client; the body size, bytes on the wire and series count;
// and the AMQP round trips. Everything it starts is stopped; the data directory is removed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
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

/** CPU time the process has used, user and system, in ms (clock ticks are 10 ms on Linux). */
function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const ms = (value) => `${value.toFixed(1)} ms`;
const spread = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${ms(quantile(sorted, 0.5))}, p95 ${ms(quantile(sorted, 0.95))}, max ${ms(sorted[sorted.length - 1])}`;
};

// The AMQP round-trip probe, in a worker so that the scraper's own work (decoding 3.7 MiB) does not delay it.
const probeSource = `
  const { parentPort, workerData } = require('node:worker_threads');
  const amqplib = require(workerData.amqplib);
  (async () => {
    const connection = await amqplib.connect(workerData.url);
    const channel = await connection.createChannel();
    let running = true;
    const times = [];
    parentPort.on('message', async (message) => {
      if (message === 'reset') times.length = 0;
      else if (message === 'stop') running = false;
      else if (message === 'report') parentPort.postMessage(times.slice());
    });
    parentPort.postMessage('ready');
    while (running) {
      const startedAt = performance.now();
      await channel.checkQueue('scrape.0');
      times.push(performance.now() - startedAt);
      // Paced, not back to back: the probe must not itself take the broker's CPU from the scrapes it watches.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await connection.close();
    parentPort.postMessage('stopped');
  })();
`;

// A plain node:http client on a keep-alive socket (as Prometheus keeps its connection): the body as bytes, gunzipped
// when gzipped, not decoded into a string (fetch's web streams and text decoding cost more CPU than the broker's
// side, on the same two cores).
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(url, headers) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const raw = Buffer.concat(chunks);
          const body = response.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
          resolve({ status: response.statusCode, headers: response.headers, body, wireBytes: raw.length });
        });
      })
      .on('error', reject);
  });
}

const metricsPort = await freePort();
const { child, port } = await startBroker({
  entry,
  dataDir,
  env: { WARREN_METRICS_PORT: String(metricsPort), WARREN_METRICS_HOST: '127.0.0.1' },
});
try {
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const connection = await amqplib.connect(url);
  const channel = await connection.createConfirmChannel();
  const declaredAt = performance.now();
  // Declarations pipelined in batches: the broker answers them in order.
  for (let start = 0; start < queues; start += 500) {
    const batch = [];
    for (let i = start; i < Math.min(queues, start + 500); i++) batch.push(channel.assertQueue(`scrape.${i}`, { durable: i % 2 === 0 }));
    await Promise.all(batch);
  }
  for (let i = 0; i < queues; i++) channel.sendToQueue(`scrape.${i}`, Buffer.from('x'), { persistent: i % 2 === 0 });
  await channel.waitForConfirms();
  const consuming = await connection.createChannel();
  for (let i = 0; i < queues; i += 100) await consuming.consume(`scrape.${i}`, () => undefined, { noAck: false });
  console.error(`metrics-scrape: ${queues} queues declared and filled in ${((performance.now() - declaredAt) / 1000).toFixed(1)} s`);

  const require = (await import('node:module')).createRequire(import.meta.url);
  const probe = new Worker(probeSource, { eval: true, workerData: { url, amqplib: require.resolve('amqplib') } });
  const fromProbe = () => new Promise((resolve) => probe.once('message', resolve));
  await fromProbe(); // ready

  const base = `http://127.0.0.1:${metricsPort}`;
  const endpoints = [
    { label: '/metrics', url: `${base}/metrics`, headers: { 'accept-encoding': 'identity' } },
    { label: '/metrics/per-object', url: `${base}/metrics/per-object`, headers: { 'accept-encoding': 'identity' } },
    { label: '/metrics/per-object gzip', url: `${base}/metrics/per-object`, headers: { 'accept-encoding': 'gzip' } },
  ];
  await new Promise((resolve) => setTimeout(resolve, 1000)); // round trips with no scrape, for comparison
  const idleTimes = await (probe.postMessage('report'), fromProbe());
  for (const endpoint of endpoints) await get(endpoint.url, endpoint.headers); // warm-up

  for (const endpoint of endpoints) Object.assign(endpoint, { times: [], cpuMs: 0, systemMs: 0, clientCpuMs: 0, body: '', encoding: '' });
  probe.postMessage('reset');
  for (let i = 0; i < rounds; i++) {
    for (const endpoint of endpoints) {
      const cpuBefore = cpuMsOf(child.pid);
      const clientBefore = process.cpuUsage();
      const startedAt = performance.now();
      const response = await get(endpoint.url, endpoint.headers);
      endpoint.times.push(performance.now() - startedAt);
      endpoint.body = response.body;
      const cpuAfter = cpuMsOf(child.pid);
      endpoint.cpuMs += cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system;
      endpoint.systemMs += cpuAfter.system - cpuBefore.system;
      const client = process.cpuUsage(clientBefore);
      endpoint.clientCpuMs += (client.user + client.system) / 1000;
      endpoint.encoding = response.headers['content-encoding'] ?? 'identity';
      endpoint.wireBytes = response.wireBytes;
      if (response.status !== 200) throw new Error(`${endpoint.url}: HTTP ${response.status}`);
    }
  }
  const scrapingTimes = await (probe.postMessage('report'), fromProbe());
  probe.postMessage('stop');
  await fromProbe();
  await probe.terminate();

  console.log(`queues ${queues}, rounds ${rounds} (endpoints interleaved)`);
  for (const { label, times, cpuMs, systemMs, clientCpuMs, body, encoding, wireBytes } of endpoints) {
    const series = body
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#')).length;
    const cpu = `CPU per scrape: broker ${ms(cpuMs / rounds)} (system ${ms(systemMs / rounds)}), this client ${ms(clientCpuMs / rounds)}`;
    const size = `${(body.length / 1024).toFixed(0)} KiB, ${(wireBytes / 1024).toFixed(0)} KiB ${encoding} on the wire, ${series} series`;
    console.log(`${label.padEnd(25)} ${spread(times)}; ${cpu}; ${size}`);
  }
  console.log(`AMQP round trip, idle     ${spread(idleTimes)} (${idleTimes.length})`);
  console.log(`AMQP round trip, scraping ${spread(scrapingTimes)} (${scrapingTimes.length})`);
  await connection.close();
  agent.destroy();
} finally {
  await stopBroker(child);
  rmSync(dataDir, { recursive: true, force: true });
}
