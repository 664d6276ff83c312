// The throughput publisher and the "wait for every delivery" loop shared by scenarios 1-5.
// Both are bounded: by --duration / --messages while publishing, by 30 s total / 5 s of silence afterwards.
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

/** Messages sent per event-loop turn; the reference harness used 200. */
export const BURST = 200;
/** No delivery/confirm for this long = stall (the broker lost messages or stopped reading). */
export const STALL_MS = 5_000;
/** Upper bound on waiting for the tail of deliveries after the publisher stops. */
export const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Counters a scenario's callbacks bump. lastEventMs is refreshed by every delivery or confirm: it is both
 * the end of the e2e window and the stall detector's heartbeat.
 */
export function newCounters() {
  return { published: 0, consumed: 0, confirmed: 0, nacked: 0, lastEventMs: performance.now() };
}

/** One-shot wake-up for a publisher waiting on capacity; notify() is cheap enough to call per delivery. */
export class Wakeup {
  #resolve = undefined;
  notify() {
    const resolve = this.#resolve;
    if (resolve) {
      this.#resolve = undefined;
      resolve();
    }
  }
  /** Resolves on the next notify() or after ms, whichever is first, so the caller re-checks its deadline. */
  wait(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#resolve = undefined;
        resolve();
      }, ms);
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Resolves true if promise settles within ms, false otherwise (the caller reports a stall). */
async function settlesWithin(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const ok = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return ok;
}

/**
 * Publishes until durationMs or maxMessages, BURST per event-loop turn, while hasCapacity() allows
 * (unconsumed cap or confirm window). sendOne() publishes one message and returns false when the client's
 * write buffer is full; we then wait for 'drain' instead of letting the client buffer grow without bound.
 * Returns when done or on a stall; counters.published is maintained here.
 */
export async function publishLoop(params) {
  const { session, counters, durationMs, maxMessages, hasCapacity, sendOne, waitForDrain, wakeup } = params;
  const startMs = performance.now();
  const deadline = startMs + durationMs;
  counters.lastEventMs = startMs; // setup time must not count as silence
  let drainWaits = 0;
  let stalled = false;
  while (counters.published < maxMessages && performance.now() < deadline) {
    session.throwIfFailed();
    if (!hasCapacity()) {
      // Sleep until a delivery/confirm frees capacity; 50 ms cap so the deadline and stall checks still run.
      await wakeup.wait(50);
      if (!hasCapacity() && performance.now() - counters.lastEventMs > STALL_MS) {
        stalled = true;
        break;
      }
      continue;
    }
    let isWritable = true;
    for (let n = 0; n < BURST && counters.published < maxMessages && hasCapacity(); n++) {
      counters.published++;
      if (!sendOne()) {
        isWritable = false;
        break;
      }
    }
    if (!isWritable) {
      drainWaits++;
      if (!(await settlesWithin(waitForDrain(), STALL_MS))) {
        stalled = true;
        break;
      }
    }
    // Yield one turn so socket reads (deliveries, confirms) are processed between bursts.
    await nextTurn();
  }
  return { startMs, endMs: performance.now(), drainWaits, stalled };
}

/**
 * Waits until isDone(), DRAIN_TIMEOUT_MS in total, or STALL_MS without any counter event.
 * Returns 'done', 'stalled' or 'timeout'.
 */
export async function waitForCompletion({ session, counters, isDone }) {
  const startMs = performance.now();
  while (!isDone()) {
    session.throwIfFailed();
    const now = performance.now();
    if (now - startMs > DRAIN_TIMEOUT_MS) return 'timeout';
    // Silence counts from the later of the last event and the end of publishing.
    if (now - Math.max(counters.lastEventMs, startMs) > STALL_MS) return 'stalled';
    await sleep(5);
  }
  return 'done';
}
