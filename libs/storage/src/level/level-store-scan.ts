import type { IntegrityMismatch, IntegrityReport } from '../message-store.js';
import type { WarrenLevel } from './level-database.js';
import { BODIES_PREFIX, QUEUES_PREFIX, parseQueueKey, rangeEnd } from './level-keys.js';
import { LevelQueueState } from './level-queue-state.js';
import { decodeCounters, decodeDeliveryCount } from './queue-counters.js';

/** Everything the message store rebuilds from disk at open and after a reopen. */
export interface LevelStoreScan {
  readonly queues: Map<string, LevelQueueState>;
  /** Shared body id → number of queue entries referencing it. */
  readonly bodyRefs: Map<number, number>;
  /** Next free shared body id. */
  readonly nextBodyId: number;
  /** The recount of this scan against the counters on disk. */
  readonly report: IntegrityReport;
}

// nextv batch size: large enough to amortise the N-API round trip, small enough not to hold many keys at once.
const SCAN_CHUNK = 5_000;
// The same for a paced scan: a slice short enough that a pause after it keeps a drain's event loop responsive.
const PACED_SCAN_CHUNK = 1_000;

/**
 * Called between two slices of a scan: a promise to wait for before reading on (the scan yields to the broker's
 * writes, see integrity-pacer.ts), or undefined to read on at once. It may throw to abandon the scan.
 */
export type ScanPace = () => Promise<void> | undefined;

/**
 * Reads every queue key (keys only: ~1M keys/s, versus ~0.6M/s with values) plus the few counters and delivery
 * records, builds the in-memory queue state, and recounts each queue against its counters: the full check of
 * verifyIntegrity(), and what open/reopen fall back to for a store holding shared bodies (level-store-load.ts).
 * Never called on the message path. `within`: a snapshot the caller holds (and closes).
 */
export async function scanLevelStore(
  db: WarrenLevel,
  within?: ReturnType<WarrenLevel['snapshot']>,
  pace?: ScanPace,
): Promise<LevelStoreScan> {
  if (within !== undefined) return scanSnapshot(db, within, pace);
  // One explicit snapshot for every read: keys and counters must come from the same point in time, or writes
  // committed during the scan would show up as mismatches.
  const snapshot = db.snapshot();
  try {
    return await scanSnapshot(db, snapshot, pace);
  } finally {
    await snapshot.close();
  }
}

async function scanSnapshot(db: WarrenLevel, snapshot: ReturnType<WarrenLevel['snapshot']>, pace?: ScanPace): Promise<LevelStoreScan> {
  const chunkSize = pace === undefined ? SCAN_CHUNK : PACED_SCAN_CHUNK;
  const queues = new Map<string, LevelQueueState>();
  const bodyRefs = new Map<number, number>();
  const countersKeys: Array<[string, LevelQueueState]> = [];
  const deliveryKeys: Array<[string, LevelQueueState, number]> = [];
  const errors: string[] = [];
  const stateOf = (queueId: string): LevelQueueState => {
    let state = queues.get(queueId);
    if (state === undefined) queues.set(queueId, (state = new LevelQueueState(queueId)));
    return state;
  };

  const keys = db.keys({ gte: QUEUES_PREFIX, lt: rangeEnd(QUEUES_PREFIX), snapshot });
  let pending: Promise<string[]> | undefined;
  let last: LevelQueueState | undefined;
  let lastMessageKeyLength = -1;
  // The same for index records (`q!<queue>!i!<seq>`, one per message since index records exist).
  let lastIndexed: LevelQueueState | undefined;
  let lastIndexKeyLength = -1;
  try {
    // Read-ahead: the next chunk is fetched on the thread pool while this one is parsed, so disk and JS overlap.
    pending = keys.nextv(chunkSize);
    for (;;) {
      const chunk = await pending;
      pending = undefined;
      if (chunk.length === 0) break;
      // Paused: no read-ahead either, the thread pool is the drain's too.
      const pause = pace?.();
      if (pause !== undefined) await pause;
      pending = keys.nextv(chunkSize);
      for (const key of chunk) {
        // Fast path: a plain message key of the queue seen last (keys come sorted, so runs of one queue are long).
        // Skips the full parse, which dominated start-up with a million messages.
        if (last !== undefined && key.length === lastMessageKeyLength && key.startsWith(last.messagePrefix)) {
          const seq = parseInt(key.slice(last.messagePrefix.length), 16);
          if (seq >= 0) {
            last.live.add(seq);
            continue;
          }
        }
        if (lastIndexed !== undefined && key.length === lastIndexKeyLength && key.startsWith(lastIndexed.indexPrefix)) {
          const seq = parseInt(key.slice(lastIndexed.indexPrefix.length), 16);
          if (seq >= 0) {
            lastIndexed.indexed.add(seq);
            continue;
          }
        }
        const parsed = parseQueueKey(key);
        switch (parsed.kind) {
          case 'message': {
            const state = stateOf(parsed.queueId);
            state.live.add(parsed.seq);
            last = state;
            lastMessageKeyLength = state.messagePrefix.length + 16;
            if (parsed.bodyId !== undefined) {
              (state.shared ??= new Map()).set(parsed.seq, parsed.bodyId);
              bodyRefs.set(parsed.bodyId, (bodyRefs.get(parsed.bodyId) ?? 0) + 1);
            }
            break;
          }
          case 'index': {
            const state = stateOf(parsed.queueId);
            state.indexed.add(parsed.seq);
            lastIndexed = state;
            lastIndexKeyLength = state.indexPrefix.length + 16;
            break;
          }
          case 'counters':
            countersKeys.push([key, stateOf(parsed.queueId)]);
            break;
          case 'delivery':
            deliveryKeys.push([key, stateOf(parsed.queueId), parsed.seq]);
            break;
          default:
            errors.push(`unrecognised key ${JSON.stringify(parsed.key)}`);
        }
      }
    }
  } finally {
    // An iterator cannot close with a read in flight.
    if (pending)
      await pending.then(
        () => undefined,
        () => undefined,
      );
    await keys.close();
  }

  const hasCounters = await readQueueCounters(db, snapshot, countersKeys, errors);
  await readDeliveryCounts(db, snapshot, deliveryKeys);

  const mismatches: IntegrityMismatch[] = [];
  for (const state of queues.values()) {
    const expected = hasCounters.has(state) ? state.counters.enqueued - state.counters.removed : 0;
    if (expected !== state.live.size) mismatches.push({ queueId: state.queueId, expected, found: state.live.size });
    // An index record is written and deleted in the same batch as its message: one without it is damage.
    for (const seq of state.indexed.missingFrom(state.live, 10)) {
      errors.push(`index record ${seq} of queue ${state.queueId} has no message`);
    }
    // Never hand out a seq that is already on disk, even if the counters were lost.
    state.counters.nextSeq = Math.max(state.counters.nextSeq, state.live.max() + 1);
    // Counters of format 1: everything stored so far predates checksums.
    if (state.counters.checksumFromSeq < 0) state.counters.checksumFromSeq = state.counters.nextSeq;
    state.durableDeliveredHwm = state.deliveredHwm = state.counters.deliveredHwm;
  }

  let maxBodyId = 0;
  for (const id of bodyRefs.keys()) maxBodyId = Math.max(maxBodyId, id);
  const referencedNotFound = new Set(bodyRefs.keys());
  const bodies = db.keys({ gte: BODIES_PREFIX, lt: rangeEnd(BODIES_PREFIX), snapshot });
  try {
    for (;;) {
      const chunk = await bodies.nextv(SCAN_CHUNK);
      if (chunk.length === 0) break;
      for (const key of chunk) {
        const id = parseInt(key.slice(BODIES_PREFIX.length), 16);
        maxBodyId = Math.max(maxBodyId, id);
        if (!referencedNotFound.delete(id)) errors.push(`shared body ${id} is not referenced by any queue`);
      }
    }
  } finally {
    await bodies.close();
  }
  for (const id of referencedNotFound) errors.push(`shared body ${id} is missing`);

  mismatches.sort((a, b) => (a.queueId < b.queueId ? -1 : a.queueId > b.queueId ? 1 : 0));
  return {
    queues,
    bodyRefs,
    nextBodyId: maxBodyId + 1,
    report: { ok: mismatches.length === 0 && errors.length === 0, queues: mismatches, errors, quarantined: [] },
  };
}

/** A snapshot of the store, as both scans read it. */
type LevelSnapshot = ReturnType<WarrenLevel['snapshot']>;

/**
 * Reads and decodes the counters records found by a scan (one batched read); returns the queues whose counters
 * decoded, and reports the others in `errors` (their counters stay the defaults).
 */
export async function readQueueCounters(
  db: WarrenLevel,
  snapshot: LevelSnapshot,
  countersKeys: ReadonlyArray<[string, LevelQueueState]>,
  errors: string[],
): Promise<Set<LevelQueueState>> {
  const hasCounters = new Set<LevelQueueState>();
  const counterValues =
    countersKeys.length > 0
      ? await db.getMany(
          countersKeys.map(([key]) => key),
          { snapshot },
        )
      : [];
  countersKeys.forEach(([, state], i) => {
    try {
      state.counters = decodeCounters(counterValues[i]!, state.queueId);
      hasCounters.add(state);
    } catch (error) {
      errors.push((error as Error).message);
    }
  });
  return hasCounters;
}

/** Reads the delivery-count records found by a scan (one batched read) into the live messages' `redelivered` maps. */
export async function readDeliveryCounts(
  db: WarrenLevel,
  snapshot: LevelSnapshot,
  deliveryKeys: ReadonlyArray<[string, LevelQueueState, number]>,
): Promise<void> {
  const deliveryValues =
    deliveryKeys.length > 0
      ? await db.getMany(
          deliveryKeys.map(([key]) => key),
          { snapshot },
        )
      : [];
  deliveryKeys.forEach(([, state, seq], i) => {
    const count = decodeDeliveryCount(deliveryValues[i]!);
    if (count !== undefined && state.live.has(seq)) (state.redelivered ??= new Map()).set(seq, count);
  });
}
