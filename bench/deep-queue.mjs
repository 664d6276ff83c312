// Warren-only benchmark: a deep durable queue with no consumer, then a restart and a drain, with the broker's RSS.
//   npm run build && node bench/deep-queue.mjs --messages 1000000 --size 1024 --max-seconds 300
// Starts the built broker (--entry) on a fresh data directory, publishes N persistent messages of --size bytes with
// confirms (--inflight outstanding) into one durable queue, restarts it, then drains the queue with one consumer
// (checking order). RSS is read from /proc/<pid>/status (VmRSS) every 250 ms. A phase stops at --max-seconds, so a
// slow machine reports how far it got instead of running for ever. Everything it starts is stopped; the data
// directory is removed.
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
const entry = option('entry', 'dist/apps/broker/apps/broker/src/main.js');
const queueArgs = JSON.parse(option('queue-args', '{}'));
const dataDir = mkdtempSync(join(tmpdir(), 'warren-deep-bench-'));
const mib = (bytes) => (bytes / 1048576).toFixed(0);

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

let broker;
try {
  broker = await startBroker({ entry, dataDir, timeoutMs: 300_000 });
  let sampler = sampleRss(broker.child.pid);
  let connection = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.port}`);
  let blocked = 0;
  connection.on('blocked', () => blocked++);
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue('deep-bench', { durable: true, arguments: queueArgs });
  const body = Buffer.alloc(size);
  const fillStart = Date.now();
  let sent = 0;
  while (sent < total && Date.now() - fillStart < maxSeconds * 1000) {
    const batch = Math.min(inflight, total - sent);
    for (let i = 0; i < batch; i++) {
      body.writeUInt32BE(sent + i, 0);
      channel.sendToQueue('deep-bench', body, { persistent: true });
    }
    sent += batch;
    await channel.waitForConfirms();
    if (sent % 100_000 < inflight) {
      process.stderr.write(
        `published ${sent}, rss ${mib(sampler.rss.last)} MiB, anonymous ${mib(rssOf(broker.child.pid, 'RssAnon'))} MiB\n`,
      );
    }
  }
  const fillSeconds = (Date.now() - fillStart) / 1000;
  await connection.close();
  sampler.stop();
  const fill = { ...sampler.rss };
  await stopBroker(broker.child);

  broker = await startBroker({ entry, dataDir, timeoutMs: 300_000 });
  sampler = sampleRss(broker.child.pid);
  const restartMs = broker.startMs;
  const afterRestartRss = rssOf(broker.child.pid);
  const afterRestartAnon = rssOf(broker.child.pid, 'RssAnon');
  connection = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.port}`);
  const consumer = await connection.createChannel();
  const { messageCount } = await consumer.checkQueue('deep-bench');
  await consumer.prefetch(1000);
  let received = 0;
  let outOfOrder = 0;
  const drainStart = Date.now();
  await new Promise((resolve) => {
    const deadline = setTimeout(resolve, maxSeconds * 1000);
    void consumer.consume('deep-bench', (message) => {
      if (message.content.readUInt32BE(0) !== received) outOfOrder++;
      received++;
      consumer.ack(message);
      if (received === messageCount) {
        clearTimeout(deadline);
        resolve();
      }
    });
  });
  const drainSeconds = (Date.now() - drainStart) / 1000;
  sampler.stop();
  await connection.close();
  await stopBroker(broker.child);
  broker = undefined;
  console.log(
    `published ${sent}/${total} × ${size} B in ${fillSeconds.toFixed(1)} s (${Math.round(sent / fillSeconds)} confirmed/s), ` +
      `RSS peak ${mib(fill.peak)} MiB (anonymous ${mib(fill.anonPeak)}) end ${mib(fill.last)} MiB, blocked ${blocked}×; ` +
      `restart ${restartMs.toFixed(0)} ms (RSS ${mib(afterRestartRss)} MiB, anonymous ${mib(afterRestartAnon)}), ${messageCount} recovered; ` +
      `drained ${received} in ${drainSeconds.toFixed(1)} s (${Math.round(received / drainSeconds)}/s), ` +
      `out of order ${outOfOrder}, RSS peak ${mib(sampler.rss.peak)} MiB (anonymous ${mib(sampler.rss.anonPeak)})`,
  );
  if (messageCount !== sent || received !== messageCount || outOfOrder > 0) process.exitCode = 1;
} finally {
  if (broker) broker.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
