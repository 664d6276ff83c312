import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, also when node runs without `--expose-gc` (as jest does): the flag may be set at
 * run time, and a fresh context then sees `gc`. Used to measure what the broker retains, never in the broker.
 */
export function forcedGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Collects until the heap stops shrinking (weak references and finalizers need more than one pass). */
export async function settleHeap(): Promise<number> {
  const gc = forcedGc();
  let previous = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 6; pass++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    const used = process.memoryUsage().heapUsed;
    if (used >= previous - 64 * 1024) return used;
    previous = used;
  }
  return previous;
}

/** JS heap plus Buffer memory (message bodies live outside the V8 heap), after a full collection. */
export function memoryUsed(): number {
  forcedGc()();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}
