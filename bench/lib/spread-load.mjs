// The load of bench/multi-node.mjs: persistent publishers with confirms and acking consumers on durable queues, each
// on its own connection, spread round-robin over the nodes of one broker. A warm-up, then a measured window, then
// the publishers stop and every confirmed message is waited for, each counted once (duplicates are reported).
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import amqplib from 'amqplib';
import { BURST, Wakeup } from './publish-loop.mjs';

/** No confirm and no delivery for this long while publishing or draining: the run is reported as stalled. */
const STALL_MS = 10_000;
/** Upper bound on waiting for the last deliveries after the publishers stop. */
const DRAIN_TIMEOUT_MS = 60_000;

/** Which publisher (bytes 0-3) and which of its messages (bytes 4-7) a body is: the consumers count each once. */
function stamp(body, publisher, seq) {
  body.writeUInt32BE(publisher, 0);
  body.writeUInt32BE(seq, 4);
}

/** Seen-flags per publisher, grown by doubling: exact "delivered once" at a byte per message. */
class SeenSet {
  #flags = [];
  /** True the first time (publisher, seq) is added. */
  add(publisher, seq) {
    let flags = this.#flags[publisher];
    if (flags === undefined || seq >= flags.length) {
      const grown = new Uint8Array(Math.max(1024, (seq + 1) * 2));
      if (flags !== undefined) grown.set(flags);
      this.#flags[publisher] = flags = grown;
    }
    if (flags[seq] === 1) return false;
    flags[seq] = 1;
    return true;
  }
}

async function connect(url, onFailure) {
  // Nagle off, as bench/run.mjs does: the reference figures were taken with it off.
  const connection = await amqplib.connect(url, { noDelay: true });
  let isClosing = false;
  const fail = (error) => {
    if (!isClosing) onFailure(error ?? new Error(`connection to ${url} closed unexpectedly`));
  };
  connection.on('error', fail);
  connection.on('close', fail);
  connection.on('blocked', (reason) => fail(new Error(`the broker blocked the connection: ${reason}`)));
  return {
    connection,
    fail,
    close: async () => {
      isClosing = true;
      await connection.close().catch(() => undefined);
    },
  };
}

/**
 * Runs the load and returns its figures. `nodeUrls`: one AMQP URL per node; publisher i and consumer i use node
 * i mod nodes and queue i mod queues. `meter.begin()` is called when the window opens, `meter.end()` (whose result is
 * returned as `cpu`) when it closes. Throws if a connection fails; a stall is reported as `status: 'stalled'`.
 */
export async function runSpreadLoad(params) {
  const { nodeUrls, queues, publishers, consumers, size, inflight, prefetch, maxUnconsumed, warmupMs, durationMs, meter } = params;
  const counters = { published: 0, confirmed: 0, nacked: 0, delivered: 0, duplicates: 0, redelivered: 0, lastEventMs: performance.now() };
  const seen = new SeenSet();
  const wakeups = [];
  const wakeAll = () => {
    for (const wakeup of wakeups) wakeup.notify();
  };
  let failure;
  const onFailure = (error) => {
    failure ??= error;
    wakeAll();
  };
  const opened = [];
  let isPublishing = true;
  try {
    for (let i = 0; i < consumers; i++) {
      const client = await connect(nodeUrls[i % nodeUrls.length], onFailure);
      opened.push(client);
      const channel = await client.connection.createChannel();
      channel.on('error', client.fail);
      await channel.prefetch(prefetch);
      await channel.consume(queues[i % queues.length], (message) => {
        if (message === null) return onFailure(new Error('a consumer was cancelled by the broker'));
        const body = message.content;
        if (seen.add(body.readUInt32BE(0), body.readUInt32BE(4))) counters.delivered++;
        else counters.duplicates++;
        if (message.fields.redelivered) counters.redelivered++;
        counters.lastEventMs = performance.now();
        channel.ack(message);
        wakeAll();
      });
    }
    const loops = [];
    for (let i = 0; i < publishers; i++) {
      const client = await connect(nodeUrls[i % nodeUrls.length], onFailure);
      opened.push(client);
      const channel = await client.connection.createConfirmChannel();
      channel.on('error', client.fail);
      const wakeup = new Wakeup();
      wakeups.push(wakeup);
      loops.push(publish({ index: i, channel, queue: queues[i % queues.length], wakeup }));
    }

    async function publish({ index, channel, queue, wakeup }) {
      const body = Buffer.alloc(Math.max(8, size));
      let unconfirmed = 0;
      let seq = 0;
      const onConfirm = (error) => {
        unconfirmed--;
        if (error) counters.nacked++;
        else counters.confirmed++;
        counters.lastEventMs = performance.now();
        wakeup.notify();
      };
      const hasRoom = () => unconfirmed < inflight && counters.published - counters.delivered < maxUnconsumed;
      while (isPublishing && failure === undefined) {
        if (!hasRoom()) {
          await wakeup.wait(50);
          continue;
        }
        let isWritable = true;
        for (let n = 0; n < BURST && isWritable && hasRoom(); n++) {
          stamp(body, index, seq++);
          unconfirmed++;
          counters.published++;
          // amqplib copies the body into its frame here, so the one buffer is reused.
          isWritable = channel.publish('', queue, body, { persistent: true }, onConfirm);
        }
        // Bounded, so a connection that failed meanwhile is noticed at the loop's check.
        if (!isWritable) await once(channel, 'drain', { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
        await nextTurn();
      }
    }

    /** Waits `ms`, failing early on a connection failure or a stall. */
    async function watch(ms) {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        if (failure) throw failure;
        if (performance.now() - counters.lastEventMs > STALL_MS) return false;
        await sleep(Math.min(200, Math.max(1, until - performance.now())));
      }
      return true;
    }

    counters.lastEventMs = performance.now();
    let status = 'done';
    if (!(await watch(warmupMs))) status = 'stalled in the warm-up';
    const start = { ...counters, ms: performance.now() };
    await meter.begin();
    if (status === 'done' && !(await watch(durationMs))) status = 'stalled';
    const end = { ...counters, ms: performance.now() };
    const cpu = await meter.end();
    isPublishing = false;
    wakeAll();
    await Promise.all(loops);
    if (failure) throw failure;
    // Every publish answered and every confirmed message delivered (once), or a bound.
    const drainStart = performance.now();
    counters.lastEventMs = drainStart;
    const isDrained = () => counters.confirmed + counters.nacked >= counters.published && counters.delivered >= counters.confirmed;
    while (status === 'done' && !isDrained()) {
      if (failure) throw failure;
      if (performance.now() - drainStart > DRAIN_TIMEOUT_MS) status = 'timed out draining';
      else if (performance.now() - counters.lastEventMs > STALL_MS) status = 'stalled draining';
      else await sleep(20);
    }
    const windowSec = (end.ms - start.ms) / 1000;
    return {
      status,
      windowSec,
      confirmed: end.confirmed - start.confirmed,
      delivered: end.delivered - start.delivered,
      publishRate: (end.confirmed - start.confirmed) / windowSec,
      consumeRate: (end.delivered - start.delivered) / windowSec,
      totals: { ...counters, missing: Math.max(0, counters.confirmed - counters.delivered) },
      cpu,
    };
  } finally {
    isPublishing = false;
    wakeAll();
    for (const client of opened.reverse()) await client.close();
  }
}
