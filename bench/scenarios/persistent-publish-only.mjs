// Reference test 3b, the persistent target: durable queue, deliveryMode 2, confirms with at most 1000
// outstanding and NO consumer, so every message is really stored (no deliver-before-write shortcut).
// rate = confirms ÷ (last confirm − start of publishing). At the end a passive declare checks that the
// queue holds every confirmed message.
import { performance } from 'node:perf_hooks';
import { startCpuMeter } from '../lib/cpu-meter.mjs';
import { startDepthPoller } from '../lib/depth-poller.mjs';
import { Wakeup, newCounters, publishLoop, waitForCompletion } from '../lib/publish-loop.mjs';
import { BODY, CONFIRM_WINDOW } from '../lib/single-queue.mjs';

async function run(ctx) {
  const { session, opts } = ctx;
  const queue = ctx.queueName();
  const admin = await session.connect();
  const adminCh = await admin.channel();
  await adminCh.assertQueue(queue, { isDurable: true });

  const counters = newCounters();
  const wakeup = new Wakeup();
  const publisher = await (await session.connect()).channel({ isConfirm: true });
  const onConfirm = (err) => {
    if (err) counters.nacked++;
    else counters.confirmed++;
    counters.lastEventMs = performance.now();
    wakeup.notify();
  };
  const poller = startDepthPoller(await admin.channel(), [queue]);
  const meter = startCpuMeter(opts.brokerPid);
  const pub = await publishLoop({
    session,
    counters,
    durationMs: opts.durationMs,
    maxMessages: opts.maxMessages,
    hasCapacity: () => counters.published - counters.confirmed - counters.nacked < CONFIRM_WINDOW,
    sendOne: () => publisher.publishConfirmed('', queue, BODY, true, onConfirm),
    waitForDrain: () => publisher.waitForDrain(),
    wakeup,
  });
  const status = pub.stalled
    ? 'stalled'
    : await waitForCompletion({
        session,
        counters,
        isDone: () => counters.confirmed + counters.nacked >= counters.published,
      });
  const cpu = meter.stop();
  const depth = await poller.stop();
  const { messageCount: stored } = await adminCh.checkQueue(queue);
  const warnings = depth.failure ? [`depth polling stopped: ${depth.failure}`] : [];
  if (stored !== counters.confirmed) {
    warnings.push(`queue holds ${stored} messages but ${counters.confirmed} were confirmed`);
  }
  return {
    status,
    rate: counters.confirmed / ((counters.lastEventMs - pub.startMs) / 1000),
    publishRate: counters.published / ((pub.endMs - pub.startMs) / 1000),
    published: counters.published,
    confirmed: counters.confirmed,
    nacked: counters.nacked,
    unconfirmed: counters.published - counters.confirmed - counters.nacked,
    stored,
    maxDepth: depth.maxDepth,
    drainWaits: pub.drainWaits,
    cpu,
    warnings,
  };
}

export default {
  name: 'persistent-publish-only',
  summary: 'persistent publish + confirm (window 1000), no consumer; confirms/s (ref 3b)',
  run,
};
