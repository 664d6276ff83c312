// Warren-only benchmark: deep durable queues with no consumer, then a restart and a drain, with the broker's RSS.
//   npm run build && node bench/deep-queue.mjs --messages 1000000 --size 1024 --queues 4 --max-seconds 300
//   node bench/deep-queue.mjs --messages 2000000 --size 1024 --transient        (one queue, transient, no restart)
// Starts the built broker (--entry) on a fresh data directory (under --data-root, default the OS temp directory),
// publishes N messages of --size bytes with confirms (--inflight outstanding) round-robin into --queues durable
// queues, restarts it, then drains every queue with one consumer each (checking order per queue). RSS is read from
// /proc/<pid>/status (VmRSS, RssAnon) every 250 ms during the fill, the restart and the drain. Restart-to-serving is
// the time from spawn to the port open plus the passive declares (queue.declare passive) answering: both reported,
// with whether the counts were right. With --transient the messages are transient (deliveryMode 1): nothing
// survives a restart, so the drain follows the fill directly. Bodies are random bytes (--zeros: zeros, which LevelDB
// compresses to a fraction). A phase stops at --max-seconds, so a slow machine
// reports how far it got instead of running for ever. Everything it starts is stopped; the data directory removed.
// Another broker (RabbitMQ side by side): --url amqp://..., --pid-cmd 'a command printing the broker's OS pid' (for
// RSS), --stop-cmd and --start-cmd (shell commands; the restart is timed from --start-cmd until the passive declares
// answer, connecting every 100 ms meanwhile); its queues are deleted at the end.
import { execSync, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { startBroker, stopBroker } from './lib/broker-process.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const total = Number(option('messages', '1000000'));
const size = Number(option('size', '1024'));
const inflight = Number(option('inflight', '2000'));
const maxSeconds = Number(option('max-seconds', '300'));
const isTransient = args.includes('--transient');
const isZeros = args.includes('--zeros');
// Drain right after the fill, without the restart (with a window over the backlog: the in-memory delivery rate).
const skipRestart = args.includes('--no-restart');
const queueCount = isTransient ? 1 : Number(option('queues', '1'));
const entry = option('entry', 'dist/apps/broker/apps/broker/src/main.js');
const queueArgs = JSON.parse(option('queue-args', '{}'));
// Extra flags for the broker's node process, e.g. --node-args '--max-semi-space-size=4'.
const nodeArgs = (option('node-args', '') ?? '').split(' ').filter(Boolean);
const dataDir = mkdtempSync(join(option('data-root', tmpdir()), 'warren-deep-bench-'));
const mib = (bytes) => (bytes / 1048576).toFixed(0);
const externalUrl = option('url', undefined);
const queueNames = Array.from({ length: queueCount }, (_, q) => `deep-bench-${q}`);

/** VmRSS, or with `field` another line of /proc/<pid>/status (RssAnon: the process's own memory, without the
 * file-backed pages of LevelDB's memory-mapped table files, which the kernel reclaims under pressure). */
function rssOf(pid, field = 'VmRSS') {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS until stopped; returns the peak and the last sample. */
function sampleRss(pid) {
  const rss = { peak: 0, last: 0, anonPeak: 0 };
  const timer = setInterval(() => {
    rss.last = rssOf(pid);
    rss.peak = Math.max(rss.peak, rss.last);
    rss.anonPeak = Math.max(rss.anonPeak, rssOf(pid, 'RssAnon'));
  }, 250);
  return { rss, stop: () => clearInterval(timer) };
}

/** Drains every queue with its own consumer; resolves with the counts and the messages out of order. */
async function drain(connection, expected) {
  let received = 0;
  let outOfOrder = 0;
  const goal = expected.reduce((a, b) => a + b, 0);
  await new Promise((resolve) => {
    const deadline = setTimeout(resolve, maxSeconds * 1000);
    if (goal === 0) resolve();
    queueNames.forEach(async (name) => {
      const consumer = await connection.createChannel();
      await consumer.prefetch(1000);
      let next = 0;
      await consumer.consume(name, (message) => {
        // null: the broker cancelled the consumer (RabbitMQ does when the queues are deleted at the end).
        if (message === null) return;
        if (message.content.readUInt32BE(0) !== next) outOfOrder++;
        next++;
        received++;
        consumer.ack(message);
        if (received === goal) {
          clearTimeout(deadline);
          resolve();
        }
      });
    });
  });
  return { received, outOfOrder, goal };
}

/** The broker under test: Warren started here, or another one (--url) restarted with shell commands. */
function externalBroker() {
  const pid = () => Number(execSync(option('pid-cmd', 'false'), { encoding: 'utf8' }).trim().split(/\s+/)[0]);
  return { child: { pid: pid(), kill: () => undefined }, url: externalUrl, startMs: 0 };
}

async function connectWhenUp(url, deadlineMs) {
  for (;;) {
    try {
      return await amqplib.connect(url);
    } catch (error) {
      if (Date.now() > deadlineMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Restarts the broker; resolves with it once it listens (port open). */
async function restart(current) {
  if (!externalUrl) {
    await stopBroker(current.child);
    const spawnedAt = process.hrtime.bigint();
    return { ...(await startBroker({ entry, dataDir, nodeArgs, timeoutMs: 300_000 })), spawnedAt };
  }
  spawnSync('sh', ['-c', option('stop-cmd', 'false')], { stdio: 'ignore' });
  const startedAt = process.hrtime.bigint();
  spawnSync('sh', ['-c', option('start-cmd', 'false')], { stdio: 'ignore' });
  await connectWhenUp(externalUrl, Date.now() + maxSeconds * 1000).then((probe) => probe.close());
  const started = externalBroker();
  return { ...started, startMs: Number(process.hrtime.bigint() - startedAt) / 1e6, spawnedAt: startedAt };
}

const urlOf = (current) => current.url ?? `amqp://guest:guest@127.0.0.1:${current.port}`;
let broker;
try {
  broker = externalUrl ? externalBroker() : await startBroker({ entry, dataDir, nodeArgs, timeoutMs: 300_000 });
  let sampler = sampleRss(broker.child.pid);
  let connection = await amqplib.connect(urlOf(broker));
  let blocked = 0;
  connection.on('blocked', () => blocked++);
  const channel = await connection.createConfirmChannel();
  for (const name of queueNames) await channel.assertQueue(name, { durable: true, arguments: queueArgs });
  const body = Buffer.alloc(size);
  const perQueue = queueNames.map(() => 0);
  const fillStart = Date.now();
  let sent = 0;
  // The confirm rate into empty queues (the first tenth) against deep ones (the last tenth).
  const tenth = Math.max(inflight, Math.floor(total / 10));
  let firstTenthMs = 0;
  let lastTenthStart = 0;
  while (sent < total && Date.now() - fillStart < maxSeconds * 1000) {
    const batch = Math.min(inflight, total - sent);
    for (let i = 0; i < batch; i++) {
      const q = (sent + i) % queueCount;
      // Random bytes: LevelDB compresses its blocks, and zeros would put a fraction of the data on disk.
      if (!isZeros) randomFillSync(body);
      body.writeUInt32BE(perQueue[q]++, 0);
      channel.sendToQueue(queueNames[q], body, { persistent: !isTransient });
    }
    sent += batch;
    await channel.waitForConfirms();
    if (firstTenthMs === 0 && sent >= tenth) firstTenthMs = Date.now() - fillStart;
    if (lastTenthStart === 0 && sent >= total - tenth) lastTenthStart = Date.now();
    if (sent % 100_000 < inflight) {
      process.stderr.write(
        `published ${sent} at ${((Date.now() - fillStart) / 1000).toFixed(1)} s, rss ${mib(sampler.rss.last)} MiB, anonymous ${mib(rssOf(broker.child.pid, 'RssAnon'))} MiB\n`,
      );
    }
  }
  const fillSeconds = (Date.now() - fillStart) / 1000;
  const lastTenthMs = Date.now() - lastTenthStart;
  const rateOf = (count, ms) => Math.round((count * 1000) / Math.max(ms, 1));
  const fillLine =
    `published ${sent}/${total} × ${size} B into ${queueCount} queue(s)${isTransient ? ' transient' : ''} in ` +
    `${fillSeconds.toFixed(1)} s (${Math.round(sent / fillSeconds)} confirmed/s), RSS peak ${mib(sampler.rss.peak)} MiB ` +
    `(anonymous ${mib(sampler.rss.anonPeak)}) end ${mib(sampler.rss.last)} MiB, blocked ${blocked}×, first tenth ` +
    `${rateOf(tenth, firstTenthMs)}/s, last tenth ${rateOf(tenth, lastTenthMs)}/s`;
  process.stderr.write(fillLine + '\n');
  let restartLine = isTransient ? 'no restart (transient)' : 'no restart (--no-restart)';
  if (!isTransient && !skipRestart) {
    await connection.close();
    sampler.stop();
    broker = await restart(broker);
    const spawnedAt = broker.spawnedAt;
    sampler = sampleRss(broker.child.pid);
    connection = await amqplib.connect(urlOf(broker));
    const declarer = await connection.createChannel();
    const counts = [];
    for (const name of queueNames) counts.push((await declarer.checkQueue(name)).messageCount);
    const servingMs = Number(process.hrtime.bigint() - spawnedAt) / 1e6;
    const isRight = counts.every((count, q) => count === perQueue[q]);
    restartLine =
      `restart: port open ${broker.startMs.toFixed(0)} ms, serving (passive declares answered) ${servingMs.toFixed(0)} ms, ` +
      `counts ${isRight ? 'right' : `WRONG ${counts.join('/')} vs ${perQueue.join('/')}`}, RSS ${mib(rssOf(broker.child.pid))} MiB ` +
      `(anonymous ${mib(rssOf(broker.child.pid, 'RssAnon'))})`;
    process.stderr.write(restartLine + '\n');
    if (!isRight) process.exitCode = 1;
  }
  const drainStart = Date.now();
  const { received, outOfOrder, goal } = await drain(connection, perQueue);
  const drainSeconds = (Date.now() - drainStart) / 1000;
  sampler.stop();
  if (externalUrl) {
    const cleaner = await connection.createChannel();
    for (const name of queueNames) await cleaner.deleteQueue(name);
  }
  await connection.close();
  if (!externalUrl) await stopBroker(broker.child);
  broker = undefined;
  console.log(
    `${fillLine}; ${restartLine}; drained ${received}/${goal} with ${queueCount} consumer(s) in ${drainSeconds.toFixed(1)} s ` +
      `(${Math.round(received / drainSeconds)}/s), out of order ${outOfOrder}, RSS peak ${mib(sampler.rss.peak)} MiB ` +
      `(anonymous ${mib(sampler.rss.anonPeak)})`,
  );
  if (received !== goal || received !== sent || outOfOrder > 0) process.exitCode = 1;
} finally {
  if (broker) broker.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
