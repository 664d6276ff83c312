// Child process of the latency scenario: consumes (prefetch 100, ack each) and measures
// deliver time − send time. Running apart from the publisher keeps the publisher's schedule from
// delaying our reads. process.hrtime.bigint() is CLOCK_MONOTONIC, valid across processes on one machine.
//
// IPC: parent → { type: 'finish', expected } after its last publish; child → { type: 'ready' } once
// consuming, then { type: 'result', ... } or { type: 'error', message }. The child exits by itself.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session } from '../lib/clients.mjs';
import { STALL_MS, DRAIN_TIMEOUT_MS } from '../lib/publish-loop.mjs';
import { latencySummary } from '../lib/stats.mjs';

const [url, clientName, queue, prefetchText, capacityText, lifetimeMsText] = process.argv.slice(2);
const send = (msg) => process.send?.(msg);

// Watchdog: an orphaned consumer (parent killed, IPC lost) must not linger on a shared machine.
setTimeout(() => {
  send({ type: 'error', message: 'latency consumer: lifetime exceeded' });
  process.exit(3);
}, Number(lifetimeMsText)).unref();
process.on('disconnect', () => process.exit(4));

async function main() {
  const session = new Session(url, clientName);
  // Preallocated: no array growth or GC on the delivery path while measuring.
  const samplesMs = new Float64Array(Number(capacityText));
  let measured = 0;
  let received = 0;
  let lastDeliveryMs = performance.now();
  const ch = await (await session.connect()).channel();
  await ch.prefetch(Number(prefetchText));
  await ch.consume(queue, { isNoAck: false }, (body) => {
    const nowNs = process.hrtime.bigint();
    received++;
    lastDeliveryMs = performance.now();
    // Byte 8 is 1 once the publisher's 1 s warm-up is over; warm-up samples are dropped.
    if (body[8] === 1 && measured < samplesMs.length) {
      const sentNs = Buffer.from(body.buffer, body.byteOffset, 8).readBigUInt64BE(0);
      samplesMs[measured++] = Number(nowNs - sentNs) / 1e6;
    }
  });
  const cpuStart = process.cpuUsage();
  send({ type: 'ready' });

  const expected = await new Promise((resolve) => {
    process.on('message', (msg) => {
      if (msg?.type === 'finish') resolve(msg.expected);
    });
  });
  const waitStart = performance.now();
  let status = 'done';
  while (received < expected) {
    session.throwIfFailed();
    const now = performance.now();
    if (now - waitStart > DRAIN_TIMEOUT_MS) {
      status = 'timeout';
      break;
    }
    if (now - Math.max(lastDeliveryMs, waitStart) > STALL_MS) {
      status = 'stalled';
      break;
    }
    await sleep(5);
  }
  const cpu = process.cpuUsage(cpuStart);
  const summary = latencySummary(samplesMs.subarray(0, measured));
  await session.closeAll();
  send({ type: 'result', status, received, summary, cpuMicros: cpu.user + cpu.system });
}

main().then(
  () => process.disconnect?.(),
  (err) => {
    send({ type: 'error', message: err.message });
    process.exitCode = 1;
    process.disconnect?.();
  },
);
