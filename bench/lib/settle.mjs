// Before each run, wait for the machine to go quiet, as the reference harness did: leftovers of the previous
// run (queue deletion, the kernel flushing persistent writes) otherwise land in the next run's window.
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { machineTicks } from './cpu-meter.mjs';

/** "Quiet" = the whole machine below this % of one core. */
const QUIET_PCT = 15;
const SAMPLE_MS = 500;
/** Give up waiting after this and run anyway; the run's foreign-CPU figure will then flag it as noisy. */
const MAX_WAIT_MS = 10_000;

/** Waits until one SAMPLE_MS window is quiet or MAX_WAIT_MS passed; returns the last busy % (one core = 100). */
export async function waitForQuietMachine() {
  let busyPct = 0;
  const cores = os.availableParallelism();
  for (let waited = 0; waited < MAX_WAIT_MS; waited += SAMPLE_MS) {
    const a = machineTicks();
    await sleep(SAMPLE_MS);
    const b = machineTicks();
    if (!a || !b) return 0; // no /proc/stat (not Linux): nothing to wait for
    busyPct = ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * cores * 100;
    if (busyPct < QUIET_PCT) return busyPct;
  }
  return busyPct;
}
