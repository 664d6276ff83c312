import { checkMessageRecord, messageRecordOf } from '../message-record.js';
import type { StoredMessage } from '../message-store.js';
import type { WarrenLevel } from './level-database.js';
import { bodyKey, hex16 } from './level-keys.js';
import type { LevelQueueState } from './level-queue-state.js';
import type { SharedBodyRegistry } from './shared-body-registry.js';

/** What one batched read found: the messages, and the live seqs whose records were not on disk yet. */
export interface LevelReadResult {
  readonly messages: Array<StoredMessage | undefined>;
  /** Indexes (into the requested seqs) of live seqs with no record on disk: their enqueue has not committed yet. */
  readonly notYetWritten: number[];
}

/**
 * Reads `seqs` of one queue with one `getMany`, or one iterator for a dense ascending run (MessageStore.read): entries whose bytes live in a shared body are
 * read through the body key (from the registry's cache when a recovered copy is still held). Seqs not in
 * `state.live` (never stored, removed) or already quarantined come back undefined without touching the disk;
 * every record read is checked like recover() checks it, a damaged one passed to `quarantine` and not served.
 */
export async function readMessages(
  db: WarrenLevel,
  state: LevelQueueState,
  bodies: SharedBodyRegistry,
  seqs: ReadonlyArray<number>,
  quarantine: (seq: number, reason: string) => void,
): Promise<LevelReadResult> {
  const messages = new Array<StoredMessage | undefined>(seqs.length).fill(undefined);
  const keys: string[] = [];
  const wanted: number[] = [];
  for (let i = 0; i < seqs.length; i++) {
    const seq = seqs[i]!;
    if (!state.live.has(seq) || state.quarantined?.has(seq)) continue;
    const bodyId = state.shared?.get(seq);
    const cached = bodyId === undefined ? undefined : bodies.cached(bodyId);
    if (cached !== undefined) {
      messages[i] = checked(state, seq, cached, quarantine);
      continue;
    }
    keys.push(bodyId === undefined ? state.messagePrefix + hex16(seq) : bodyKey(bodyId));
    wanted.push(i);
  }
  const notYetWritten: number[] = [];
  if (keys.length === 0) return { messages, notYetWritten };
  const values = isDenseRun(keys, state.messagePrefix) ? await readRun(db, keys) : await db.getMany(keys);
  for (let k = 0; k < wanted.length; k++) {
    const i = wanted[k]!;
    const seq = seqs[i]!;
    // Removed while the read was in flight: as if it had never been asked for.
    if (!state.live.has(seq)) continue;
    const value = values[k];
    if (value === undefined) {
      notYetWritten.push(i);
      continue;
    }
    const bodyId = state.shared?.get(seq);
    if (bodyId !== undefined) bodies.remember(bodyId, value);
    messages[i] = checked(state, seq, value, quarantine);
  }
  return { messages, notYetWritten };
}

// Below this many keys a point lookup each costs about what one iterator does.
const RUN_MIN_KEYS = 16;

/**
 * Whether `keys` are the queue's own records (no shared body), ascending and dense enough (at most twice as many
 * seqs in their span as keys) to read as one range: the batches of the read-ahead of a deep queue are.
 */
function isDenseRun(keys: readonly string[], messagePrefix: string): boolean {
  if (keys.length < RUN_MIN_KEYS) return false;
  const first = keys[0]!;
  const last = keys[keys.length - 1]!;
  if (!first.startsWith(messagePrefix) || !last.startsWith(messagePrefix)) return false;
  const span = parseInt(last.slice(messagePrefix.length), 16) - parseInt(first.slice(messagePrefix.length), 16) + 1;
  if (span > keys.length * 2) return false;
  for (let i = 1; i < keys.length; i++) {
    if (!keys[i]!.startsWith(messagePrefix) || keys[i]! <= keys[i - 1]!) return false;
  }
  return true;
}

/**
 * Reads ascending keys of one range with one iterator, aligned with `keys` (undefined where absent), as getMany
 * answers. LevelDB here has no bloom filter, so a point lookup in a deep store probes a data block at every level
 * above the record's; an iterator seeks each level once and then reads sequentially (docs/BENCHMARKS.md, the
 * 5 million drain).
 */
async function readRun(db: WarrenLevel, keys: readonly string[]): Promise<Array<Buffer | undefined>> {
  const entries = await db.iterator({ gte: keys[0]!, lte: keys[keys.length - 1]! }).all();
  const values = new Array<Buffer | undefined>(keys.length).fill(undefined);
  let k = 0;
  for (const [key, value] of entries) {
    while (k < keys.length && keys[k]! < key) k++;
    if (k === keys.length) break;
    if (keys[k] === key) values[k++] = value;
  }
  return values;
}

/** The stored message for a record, or undefined (and quarantined) when its checksum fails. */
function checked(
  state: LevelQueueState,
  seq: number,
  value: Buffer,
  quarantine: (seq: number, reason: string) => void,
): StoredMessage | undefined {
  let data = value;
  if (seq < state.counters.checksumFromSeq) {
    data = messageRecordOf(value);
  } else {
    const damage = checkMessageRecord(value);
    if (damage !== undefined) {
      quarantine(seq, damage);
      return undefined;
    }
  }
  const deliveryCount = state.redelivered?.get(seq) ?? (seq <= state.counters.deliveredHwm ? 1 : 0);
  return { queueId: state.queueId, seq, data, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 };
}
