// Reference test 4: a fanout exchange bound to 4 queues, one consumer per queue on its own connection
// (prefetch 100, ack each). rate = total deliveries/s across the 4 consumers; publishRate is publishes/s.
// The unconsumed cap is 10k per queue on aggregate, i.e. 4 × published − delivered ≤ 40k.
import { performance } from 'node:perf_hooks';
import { startCpuMeter } from '../lib/cpu-meter.mjs';
import { startDepthPoller } from '../lib/depth-poller.mjs';
import { Wakeup, newCounters, publishLoop, waitForCompletion } from '../lib/publish-loop.mjs';
import { BODY, PREFETCH, UNCONSUMED_CAP } from '../lib/single-queue.mjs';

const QUEUE_COUNT = 4;

async function run(ctx) {
  const { session, opts } = ctx;
  const exchange = ctx.exchangeName();
  const queues = Array.from({ length: QUEUE_COUNT }, (_, i) => ctx.queueName(`q${i}`));
  const admin = await session.connect();
  const adminCh = await admin.channel();
  await adminCh.assertExchange(exchange, 'fanout');
  for (const q of queues) {
    await adminCh.assertQueue(q, { isDurable: false });
    await adminCh.bindQueue(q, exchange, '');
  }

  const counters = newCounters();
  const wakeup = new Wakeup();
  const perQueue = new Array(QUEUE_COUNT).fill(0);
  for (let i = 0; i < QUEUE_COUNT; i++) {
    const ch = await (await session.connect()).channel();
    await ch.prefetch(PREFETCH);
    await ch.consume(queues[i], { isNoAck: false }, () => {
      perQueue[i]++;
      counters.consumed++;
      counters.lastEventMs = performance.now();
      wakeup.notify();
    });
  }

  const publisher = await (await session.connect()).channel();
  const poller = startDepthPoller(await admin.channel(), queues);
  const meter = startCpuMeter(opts.brokerPid);
  const pub = await publishLoop({
    session,
    counters,
    durationMs: opts.durationMs,
    maxMessages: opts.maxMessages,
    hasCapacity: () => QUEUE_COUNT * counters.published - counters.consumed < QUEUE_COUNT * UNCONSUMED_CAP,
    sendOne: () => publisher.publish(exchange, '', BODY, false),
    waitForDrain: () => publisher.waitForDrain(),
    wakeup,
  });
  const status = pub.stalled
    ? 'stalled'
    : await waitForCompletion({
        session,
        counters,
        isDone: () => counters.consumed >= QUEUE_COUNT * counters.published,
      });
  const cpu = meter.stop();
  const depth = await poller.stop();
  return {
    status,
    rate: counters.consumed / ((counters.lastEventMs - pub.startMs) / 1000),
    publishRate: counters.published / ((pub.endMs - pub.startMs) / 1000),
    published: counters.published,
    delivered: counters.consumed,
    missing: QUEUE_COUNT * counters.published - counters.consumed,
    perQueue,
    maxDepth: depth.maxDepth,
    drainWaits: pub.drainWaits,
    cpu,
    warnings: depth.failure ? [`depth polling stopped: ${depth.failure}`] : [],
  };
}

export default {
  name: 'fanout',
  summary: 'fanout → 4 queues → 4 consumers, total deliveries/s (ref 4)',
  run,
};
