// Reference test 6: publish → deliver latency at a fixed rate (default 5,000 msg/s) with the consumer in
// its own process (latency-consumer.mjs). The publisher wakes every ~1 ms and sends whatever is due, each
// body stamped with process.hrtime.bigint() at the moment of publishing. The first second is warm-up.
// Coordinated omission: a late publisher stamps late, hiding broker stalls, so we also report the worst
// schedule lag (how far behind its timetable the publisher sent a message).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCpuMeter } from '../lib/cpu-meter.mjs';
import { STALL_MS } from '../lib/publish-loop.mjs';

const WARMUP_MS = 1_000;
const PREFETCH = 100;
const CONSUMER_PATH = fileURLToPath(new URL('./latency-consumer.mjs', import.meta.url));

async function run(ctx) {
  const { session, opts } = ctx;
  const queue = ctx.queueName();
  const admin = await session.connect();
  await (await admin.channel()).assertQueue(queue, { isDurable: false });

  const total = Math.min(opts.maxMessages, Math.round((opts.rate * (WARMUP_MS + opts.durationMs)) / 1000));
  const lifetimeMs = WARMUP_MS + opts.durationMs + 90_000;
  const args = [opts.url, opts.client, queue, String(PREFETCH), String(total), String(lifetimeMs)];
  const child = fork(CONSUMER_PATH, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const messages = childMessages(child);
    const ready = await messages.next(15_000);
    if (ready.type !== 'ready') throw new Error(`latency consumer: ${ready.message ?? 'did not start'}`);

    const publisher = await (await session.connect()).channel();
    const meter = startCpuMeter(opts.brokerPid);
    const pub = await publishOnSchedule(session, publisher, queue, opts.rate, total);
    child.send({ type: 'finish', expected: pub.sent });
    const result = await messages.next(45_000);
    if (result.type !== 'result') throw new Error(`latency consumer: ${result.message}`);
    const cpu = meter.stop({ extraClientMicros: result.cpuMicros });
    return {
      status: pub.stalled ? 'stalled' : result.status,
      ...result.summary,
      published: pub.sent,
      delivered: result.received,
      missing: pub.sent - result.received,
      maxLagMs: pub.maxLagMs,
      drainWaits: pub.drainWaits,
      cpu,
      warnings: [],
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      // Give the child a moment to close its connection cleanly, then make sure it is gone.
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

/** Sends `total` messages at `rate`/s from a ~1 ms timer; returns { sent, maxLagMs, drainWaits, stalled }. */
async function publishOnSchedule(session, publisher, queue, rate, total) {
  const nsPerMessage = 1e9 / rate;
  const startNs = process.hrtime.bigint();
  const warmupEndNs = startNs + BigInt(WARMUP_MS) * 1_000_000n;
  let sent = 0;
  let maxLagNs = 0;
  let drainWaits = 0;
  while (sent < total) {
    session.throwIfFailed();
    const elapsedNs = Number(process.hrtime.bigint() - startNs);
    const due = Math.min(total, Math.floor(elapsedNs / nsPerMessage) + 1);
    let isWritable = true;
    while (sent < due && isWritable) {
      const nowNs = process.hrtime.bigint();
      // Lag of this message against its timetable slot; warm-up lag (JIT, connection setup) is ignored.
      if (nowNs >= warmupEndNs) maxLagNs = Math.max(maxLagNs, Number(nowNs - startNs) - sent * nsPerMessage);
      const body = Buffer.alloc(128, 0x61);
      body.writeBigUInt64BE(nowNs, 0);
      body[8] = nowNs >= warmupEndNs ? 1 : 0;
      isWritable = publisher.publish('', queue, body, false);
      sent++;
    }
    if (!isWritable) {
      drainWaits++;
      const drained = await Promise.race([publisher.waitForDrain().then(() => true), sleep(STALL_MS, false)]);
      if (!drained) return { sent, maxLagMs: maxLagNs / 1e6, drainWaits, stalled: true };
    }
    // setTimeout(1) really sleeps ~1.1 ms; the next wake sends everything that fell due meanwhile.
    if (sent < total) await sleep(1);
  }
  return { sent, maxLagMs: maxLagNs / 1e6, drainWaits, stalled: false };
}

/** Reads the child's IPC messages one at a time; next(ms) also resolves on exit or timeout. */
function childMessages(child) {
  const queued = [];
  let waiter;
  const push = (msg) => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(msg);
    } else queued.push(msg);
  };
  child.on('message', push);
  child.on('exit', (code, signal) => push({ type: 'error', message: `exited (${signal ?? code})` }));
  child.on('error', (err) => push({ type: 'error', message: err.message }));
  return {
    next(ms) {
      if (queued.length) return Promise.resolve(queued.shift());
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          resolve({ type: 'error', message: `no answer within ${ms} ms` });
        }, ms);
        waiter = (msg) => {
          clearTimeout(timer);
          resolve(msg);
        };
      });
    },
  };
}

export default {
  name: 'latency',
  summary: 'publish→deliver latency at a fixed rate, consumer in its own process (ref 6)',
  run,
};
