// Shared body of the one-queue throughput scenarios (transient-ack, transient-noack, persistent-confirm):
// admin, consumer and publisher each on their own connection, as in the performance reference.
import { performance } from 'node:perf_hooks';
import { startCpuMeter } from './cpu-meter.mjs';
import { startDepthPoller } from './depth-poller.mjs';
import { Wakeup, newCounters, publishLoop, waitForCompletion } from './publish-loop.mjs';

/** 128-byte body shared by every publish: both clients copy it into their frame synchronously. */
export const BODY = Buffer.alloc(128, 0x61);
/** Published − consumed is kept at or below this: the steady state of reference test 1e. */
export const UNCONSUMED_CAP = 10_000;
/** Unconfirmed publishes in flight on a confirm channel. */
export const CONFIRM_WINDOW = 1_000;
export const PREFETCH = 100;

/**
 * Runs one publisher → one queue → one consumer and returns the run's figures.
 * rate is end-to-end: deliveries ÷ (last delivery − start of publishing).
 */
export async function runSingleQueue(ctx, { isNoAck, isDurable, isPersistent, isConfirm }) {
  const { session, opts } = ctx;
  const queue = ctx.queueName();
  const admin = await session.connect();
  await (await admin.channel()).assertQueue(queue, { isDurable });

  const counters = newCounters();
  const wakeup = new Wakeup();
  const consumerConn = await session.connect();
  const consumerCh = await consumerConn.channel();
  if (!isNoAck) await consumerCh.prefetch(PREFETCH);
  await consumerCh.consume(queue, { isNoAck }, () => {
    counters.consumed++;
    counters.lastEventMs = performance.now();
    wakeup.notify();
  });

  const publisher = await (await session.connect()).channel({ isConfirm });
  const onConfirm = (err) => {
    if (err) counters.nacked++;
    else counters.confirmed++;
    wakeup.notify();
  };
  const sendOne = isConfirm
    ? () => publisher.publishConfirmed('', queue, BODY, isPersistent, onConfirm)
    : () => publisher.publish('', queue, BODY, isPersistent);
  const hasCapacity = () =>
    counters.published - counters.consumed < UNCONSUMED_CAP &&
    (!isConfirm || counters.published - counters.confirmed - counters.nacked < CONFIRM_WINDOW);

  const poller = startDepthPoller(await admin.channel(), [queue]);
  const meter = startCpuMeter(opts.brokerPid);
  const pub = await publishLoop({
    session,
    counters,
    durationMs: opts.durationMs,
    maxMessages: opts.maxMessages,
    hasCapacity,
    sendOne,
    waitForDrain: () => publisher.waitForDrain(),
    wakeup,
  });
  const status = pub.stalled
    ? 'stalled'
    : await waitForCompletion({
        session,
        counters,
        isDone: () => counters.consumed >= counters.published && (!isConfirm || counters.confirmed + counters.nacked >= counters.published),
      });
  const cpu = meter.stop();
  const depth = await poller.stop();
  return {
    status,
    rate: counters.consumed / ((counters.lastEventMs - pub.startMs) / 1000),
    publishRate: counters.published / ((pub.endMs - pub.startMs) / 1000),
    published: counters.published,
    delivered: counters.consumed,
    missing: counters.published - counters.consumed,
    nacked: isConfirm ? counters.nacked : undefined,
    unconfirmed: isConfirm ? counters.published - counters.confirmed - counters.nacked : undefined,
    maxDepth: depth.maxDepth,
    drainWaits: pub.drainWaits,
    cpu,
    warnings: depth.failure ? [`depth polling stopped: ${depth.failure}`] : [],
  };
}
