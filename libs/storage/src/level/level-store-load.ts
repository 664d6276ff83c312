import type { IntegrityMismatch } from '../message-store.js';
import type { WarrenLevel } from './level-database.js';
import { BODIES_PREFIX, MESSAGE_INFIX, QUEUES_PREFIX, parseQueueKey, rangeEnd, unescapeQueueId } from './level-keys.js';
import { LevelQueueState } from './level-queue-state.js';
import { LIVE_RUNS_KEY, type LiveRuns, decodeLiveRuns } from './level-live-runs.js';
import { type LevelStoreScan, readDeliveryCounts, readQueueCounters, scanLevelStore } from './level-store-scan.js';

type Snapshot = ReturnType<WarrenLevel['snapshot']>;

// nextv batch size, as in level-store-scan.ts.
const SCAN_CHUNK = 5_000;

/** Swallows the rejection of a read-ahead that is abandoned (early break, error). */
const ignore = (): undefined => undefined;

/**
 * What open() and reopen() load (from the runs a clean close saved, if `mayTrustRuns`: LevelDB dropped no log record): the in-memory queue state built WITHOUT visiting the message key range
 * (`q!<queue>!m!…`) of any queue whose index records account for all its messages.
 *
 * Why: LevelDB stores keys and values in the same blocks, so even a keys-only iterator over the message range reads
 * every body from disk (≈ 9 s for 300k × 1 KiB). Per queue this reads only its delivery and index records (a few
 * dozen bytes each) and its counters, and seeks over the message range. A queue is trusted when its counters say
 * `enqueued − removed` = the number of index records (each index record is written and deleted in the same batch as
 * its message): its stored seqs are the indexed ones. Otherwise (messages written before index records existed,
 * counters lost, records lost) its message keys are scanned as before, and the recount reported.
 *
 * What this does not check, left to verifyIntegrity()'s full scan (level-store-scan.ts) and to read(): a message
 * record gone while its index record and counters survived (read() finds no record: quarantined, never served),
 * and a message record left without its index record. A store holding shared bodies (`b!`) is scanned in full:
 * only the message keys say which entries reference them.
 */
export async function loadLevelStore(db: WarrenLevel, mayTrustRuns = true): Promise<LevelStoreScan> {
  const snapshot = db.snapshot();
  try {
    // A clean close left every queue's stored seqs as runs: used once, and gone (synced) before anything else is
    // written, so a crash from now on is loaded without it.
    const saved = await db.get(LIVE_RUNS_KEY, { snapshot });
    if (saved !== undefined) await db.del(LIVE_RUNS_KEY, { sync: true });
    const anyShared = await db.keys({ gte: BODIES_PREFIX, lt: rangeEnd(BODIES_PREFIX), limit: 1, snapshot }).all();
    if (anyShared.length > 0) return await scanLevelStore(db, snapshot);
    const runs = saved === undefined || !mayTrustRuns ? undefined : decodeLiveRuns(saved);
    const fromRuns = runs === undefined ? undefined : await loadFromRuns(db, snapshot, runs);
    return fromRuns ?? (await loadSnapshot(db, snapshot));
  } finally {
    await snapshot.close();
  }
}

async function loadSnapshot(db: WarrenLevel, snapshot: Snapshot): Promise<LevelStoreScan> {
  const queues = new Map<string, LevelQueueState>();
  const errors: string[] = [];
  const countersKeys: Array<[string, LevelQueueState]> = [];
  const deliveryKeys: Array<[string, LevelQueueState, number]> = [];

  // One key per queue from the cursor, then seek past the queue: the number of steps grows with queues, not messages.
  const cursor = db.keys({ gte: QUEUES_PREFIX, lt: rangeEnd(QUEUES_PREFIX), snapshot });
  try {
    for (;;) {
      const [first] = await cursor.nextv(1);
      if (first === undefined) break;
      const end = first.indexOf('!', QUEUES_PREFIX.length);
      if (end < 0) {
        errors.push(`unrecognised key ${JSON.stringify(first)}`);
        cursor.seek(first + '\u0000');
        continue;
      }
      const prefix = first.slice(0, end + 1);
      const state = new LevelQueueState(unescapeQueueId(first.slice(QUEUES_PREFIX.length, end)));
      queues.set(state.queueId, state);
      // Everything of the queue but its messages: `d!…`, `i!…` sort before `m!`, `meta` after.
      const messageRange = prefix + MESSAGE_INFIX;
      for (const range of [
        { gte: prefix, lt: messageRange },
        { gte: rangeEnd(messageRange), lt: rangeEnd(prefix) },
      ]) {
        await eachKey(db, snapshot, range, (key) => {
          if (key.length === state.indexPrefix.length + 16 && key.startsWith(state.indexPrefix)) {
            const seq = parseInt(key.slice(state.indexPrefix.length), 16);
            if (seq >= 0) return void state.indexed.add(seq);
          }
          const parsed = parseQueueKey(key);
          if (parsed.kind === 'index') state.indexed.add(parsed.seq);
          else if (parsed.kind === 'counters') countersKeys.push([key, state]);
          else if (parsed.kind === 'delivery') deliveryKeys.push([key, state, parsed.seq]);
          else errors.push(`unrecognised key ${JSON.stringify(key)}`);
        });
      }
      cursor.seek(rangeEnd(prefix));
    }
  } finally {
    await cursor.close();
  }

  const hasCounters = await readQueueCounters(db, snapshot, countersKeys, errors);

  const mismatches: IntegrityMismatch[] = [];
  const bodyRefs = new Map<number, number>();
  for (const state of queues.values()) {
    const expected = hasCounters.has(state) ? state.counters.enqueued - state.counters.removed : 0;
    if (hasCounters.has(state) && expected === state.indexed.size) {
      state.live.addAll(state.indexed);
    } else {
      // Not accounted for by its index: the old way, over its message keys.
      await scanMessageKeys(db, snapshot, state, bodyRefs, errors);
      if (expected !== state.live.size) mismatches.push({ queueId: state.queueId, expected, found: state.live.size });
      for (const seq of state.indexed.missingFrom(state.live, 10)) {
        errors.push(`index record ${seq} of queue ${state.queueId} has no message`);
      }
    }
    state.counters.nextSeq = Math.max(state.counters.nextSeq, state.live.max() + 1);
    if (state.counters.checksumFromSeq < 0) state.counters.checksumFromSeq = state.counters.nextSeq;
    state.durableDeliveredHwm = state.deliveredHwm = state.counters.deliveredHwm;
  }
  await readDeliveryCounts(db, snapshot, deliveryKeys);
  // No `b!` record exists (checked before), so every reference found is to a missing body.
  let maxBodyId = 0;
  for (const id of [...bodyRefs.keys()].sort((a, b) => a - b)) {
    maxBodyId = Math.max(maxBodyId, id);
    errors.push(`shared body ${id} is missing`);
  }

  mismatches.sort((a, b) => (a.queueId < b.queueId ? -1 : a.queueId > b.queueId ? 1 : 0));
  return {
    queues,
    bodyRefs,
    nextBodyId: maxBodyId + 1,
    report: { ok: mismatches.length === 0 && errors.length === 0, queues: mismatches, errors, quarantined: [] },
  };
}

/**
 * The state from the runs a clean close saved (level-live-runs.ts): per queue its counters and delivery records,
 * no key per message. Undefined (load the slower way) unless every queue's counters agree with its runs and every
 * stored message has its index record.
 */
async function loadFromRuns(db: WarrenLevel, snapshot: Snapshot, saved: Map<string, LiveRuns>): Promise<LevelStoreScan | undefined> {
  const queues = new Map<string, LevelQueueState>();
  const errors: string[] = [];
  const countersKeys: Array<[string, LevelQueueState]> = [];
  const deliveryKeys: Array<[string, LevelQueueState, number]> = [];
  for (const [queueId, { runs, isAllIndexed }] of saved) {
    if (!isAllIndexed) return undefined;
    const state = new LevelQueueState(queueId);
    queues.set(queueId, state);
    for (let i = 0; i < runs.length; i += 2) state.live.addRange(runs[i]!, runs[i + 1]!);
    state.indexed.addAll(state.live);
    countersKeys.push([state.countersKey, state]);
    await eachKey(db, snapshot, { gte: state.deliveryPrefix, lt: rangeEnd(state.deliveryPrefix) }, (key) => {
      const parsed = parseQueueKey(key);
      if (parsed.kind === 'delivery') deliveryKeys.push([key, state, parsed.seq]);
    });
  }
  const hasCounters = await readQueueCounters(db, snapshot, countersKeys, errors);
  if (errors.length > 0) return undefined;
  for (const state of queues.values()) {
    const expected = hasCounters.has(state) ? state.counters.enqueued - state.counters.removed : 0;
    if (expected !== state.live.size) return undefined;
    state.counters.nextSeq = Math.max(state.counters.nextSeq, state.live.max() + 1);
    if (state.counters.checksumFromSeq < 0) state.counters.checksumFromSeq = state.counters.nextSeq;
    state.durableDeliveredHwm = state.deliveredHwm = state.counters.deliveredHwm;
  }
  await readDeliveryCounts(db, snapshot, deliveryKeys);
  return {
    queues,
    bodyRefs: new Map(),
    nextBodyId: 1,
    report: { ok: true, queues: [], errors: [], quarantined: [] },
  };
}

/** Keys-only scan of one queue's message range (the fallback): its stored seqs and shared-body references. */
async function scanMessageKeys(
  db: WarrenLevel,
  snapshot: Snapshot,
  state: LevelQueueState,
  bodyRefs: Map<number, number>,
  errors: string[],
): Promise<void> {
  const prefix = state.messagePrefix;
  await eachKey(db, snapshot, { gte: prefix, lt: rangeEnd(prefix) }, (key) => {
    if (key.length === prefix.length + 16) {
      const seq = parseInt(key.slice(prefix.length), 16);
      if (seq >= 0) return void state.live.add(seq);
    }
    const parsed = parseQueueKey(key);
    if (parsed.kind !== 'message') return void errors.push(`unrecognised key ${JSON.stringify(key)}`);
    state.live.add(parsed.seq);
    if (parsed.bodyId !== undefined) {
      (state.shared ??= new Map()).set(parsed.seq, parsed.bodyId);
      bodyRefs.set(parsed.bodyId, (bodyRefs.get(parsed.bodyId) ?? 0) + 1);
    }
  });
}

/** Calls `fn` for every key of a range (keys only), reading the next chunk while this one is handled. */
async function eachKey(db: WarrenLevel, snapshot: Snapshot, range: { gte: string; lt: string }, fn: (key: string) => void): Promise<void> {
  const keys = db.keys({ ...range, snapshot });
  let pending: Promise<string[]> | undefined = keys.nextv(SCAN_CHUNK);
  try {
    for (;;) {
      const chunk = await pending!;
      pending = undefined;
      if (chunk.length === 0) return;
      pending = keys.nextv(SCAN_CHUNK);
      for (const key of chunk) fn(key);
    }
  } finally {
    if (pending) await pending.then(ignore, ignore);
    await keys.close();
  }
}
