import { checkMessageRecord, messageRecordOf } from '../message-record.js';
import type { StoredMessage } from '../message-store.js';
import type { WarrenLevel } from './level-database.js';
import { bodyKey } from './level-keys.js';
import { readSeqValues } from './level-seq-read.js';
import type { LevelQueueState } from './level-queue-state.js';
import type { SharedBodyRegistry } from './shared-body-registry.js';
import type { BodyLog } from './body-log.js';

/** What one batched read found: the messages, and the live seqs whose records were not on disk yet. */
export interface LevelReadResult {
  readonly messages: Array<StoredMessage | undefined>;
  /** Indexes (into the requested seqs) of live seqs with no record on disk: their enqueue has not committed yet. */
  readonly notYetWritten: number[];
}

/**
 * Reads `seqs` of one queue (MessageStore.read) with one iterator over their span or one `getMany`
 * (level-seq-read.ts), and pointers into the body log with positional reads (body-log.ts): entries whose bytes live in a shared body are
 * read through the body key (from the registry's cache when a recovered copy is still held). Seqs not in
 * `state.live` (never stored, removed) or already quarantined come back undefined without touching the disk;
 * every record read is checked like recover() checks it, a damaged one passed to `quarantine` and not served.
 */
export async function readMessages(
  db: WarrenLevel,
  state: LevelQueueState,
  bodies: SharedBodyRegistry,
  log: BodyLog,
  seqs: ReadonlyArray<number>,
  quarantine: (seq: number, reason: string) => void,
): Promise<LevelReadResult> {
  const messages = new Array<StoredMessage | undefined>(seqs.length).fill(undefined);
  // Indexes into `seqs`: first those read by their own message key, then those read through a shared body's key.
  const wanted: number[] = [];
  const plainSeqs: number[] = [];
  let sharedWanted: number[] | undefined;
  let sharedKeys: string[] | undefined;
  for (let i = 0; i < seqs.length; i++) {
    const seq = seqs[i]!;
    if (!state.live.has(seq) || state.quarantined?.has(seq)) continue;
    const bodyId = state.shared?.get(seq);
    if (bodyId === undefined) {
      plainSeqs.push(seq);
      wanted.push(i);
      continue;
    }
    const cached = bodies.cached(bodyId);
    if (cached !== undefined) {
      messages[i] = checked(state, seq, cached, quarantine);
      continue;
    }
    (sharedKeys ??= []).push(bodyKey(bodyId));
    (sharedWanted ??= []).push(i);
  }
  const notYetWritten: number[] = [];
  if (wanted.length === 0 && sharedWanted === undefined) return { messages, notYetWritten };
  const [values, sharedValues] = await Promise.all([
    readSeqValues(db, state.messagePrefix, plainSeqs),
    sharedKeys === undefined ? undefined : db.getMany(sharedKeys),
  ]);
  if (sharedWanted !== undefined) {
    wanted.push(...sharedWanted);
    values.push(...sharedValues!);
  }
  // Records stored before checksums (format 1) are raw messages, some of which start like a pointer.
  const unreadable = await log.resolve(values, (k) => seqs[wanted[k]!]! >= state.counters.checksumFromSeq);
  for (let k = 0; k < wanted.length; k++) {
    const i = wanted[k]!;
    const seq = seqs[i]!;
    // Removed while the read was in flight: as if it had never been asked for.
    if (!state.live.has(seq)) continue;
    const reason = unreadable?.get(k);
    if (reason !== undefined) {
      quarantine(seq, reason);
      continue;
    }
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
  const deliveryCount = state.deliveryCountOf(seq);
  return { queueId: state.queueId, seq, data, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 };
}
