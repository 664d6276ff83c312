// Warren-only benchmark: how long a restart takes with N persistent messages on disk.
//   npm run build && node bench/restart-time.mjs --messages 1000000
// Starts the built broker on a fresh data directory, fills a durable queue with N persistent 128-byte messages
// (confirmed), stops it with SIGTERM, starts it again and reports the time from spawn to "listening", then checks
// that the queue holds N messages. Everything it starts is stopped; the data directory is removed.
import { mkdtempSync, rmSync } from 'node:fs';
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
const entry = option('entry', 'dist/apps/broker/apps/broker/src/main.js');
// e.g. --node-args "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the broker
const nodeArgs = option('node-args', '').split(' ').filter(Boolean);
const dataDir = mkdtempSync(join(tmpdir(), 'warren-restart-bench-'));

try {
  let broker = await startBroker({ entry, dataDir, nodeArgs });
  const emptyStartMs = broker.startMs;
  let connection = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.port}`);
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue('restart-bench', { durable: true });
  const body = Buffer.alloc(128, 1);
  const fillStart = Date.now();
  for (let sent = 0; sent < total;) {
    const batch = Math.min(1000, total - sent);
    for (let i = 0; i < batch; i++) channel.sendToQueue('restart-bench', body, { persistent: true });
    sent += batch;
    await channel.waitForConfirms();
    if (sent % 100_000 === 0) process.stderr.write(`filled ${sent}\n`);
  }
  const fillSeconds = (Date.now() - fillStart) / 1000;
  await connection.close();
  await stopBroker(broker.child);

  broker = await startBroker({ entry, dataDir, nodeArgs });
  connection = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.port}`);
  const check = await connection.createChannel();
  const { messageCount } = await check.checkQueue('restart-bench');
  await connection.close();
  await stopBroker(broker.child);
  console.log(
    `messages ${total}: fill ${fillSeconds.toFixed(1)} s (${Math.round(total / fillSeconds)} confirmed/s); ` +
      `empty start ${emptyStartMs.toFixed(0)} ms; restart with messages ${broker.startMs.toFixed(0)} ms; recovered ${messageCount}`,
  );
  if (messageCount !== total) process.exitCode = 1;
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
