import { checkMessageRecord, allocateMessageRecord, messageRecordPayload, sealMessageRecord } from '../message-record.js';
import type { LevelQueueState } from './level-queue-state.js';

/**
 * Key of the record a clean close leaves: every queue's stored seqs as runs, so the next open needs no key per
 * message (level-store-load.ts). Deleted (synced) by the open that reads it, before anything else is written: a
 * store that crashed since has none, and is loaded the slower way.
 */
export const LIVE_RUNS_KEY = 'warren!live-runs';

const VERSION = 1;
// A queue whose stored seqs are this fragmented (acks far out of order) is not worth saving as runs: no record.
const MAX_RUNS_PER_QUEUE = 100_000;

/** One queue's saved state: its stored seqs as runs, and whether each has an index record. */
export interface LiveRuns {
  readonly runs: number[];
  readonly isAllIndexed: boolean;
}

/** The record for `queues`, sealed with a checksum; undefined when a queue is too fragmented to save. */
export function encodeLiveRuns(queues: Iterable<LevelQueueState>): Buffer | undefined {
  const parts: Array<{ id: Buffer; isAllIndexed: boolean; runs: number[] }> = [];
  let bytes = 1 + 4;
  for (const state of queues) {
    const runs = state.live.toRuns(MAX_RUNS_PER_QUEUE);
    if (runs === undefined) return undefined;
    const id = Buffer.from(state.queueId);
    parts.push({ id, isAllIndexed: state.indexed.size === state.live.size, runs });
    bytes += 4 + id.length + 1 + 4 + runs.length * 8;
  }
  const record = allocateMessageRecord(bytes);
  const out = messageRecordPayload(record);
  let at = out.writeUInt8(VERSION, 0);
  at = out.writeUInt32BE(parts.length, at);
  for (const { id, isAllIndexed, runs } of parts) {
    at = out.writeUInt32BE(id.length, at);
    at += id.copy(out, at);
    at = out.writeUInt8(isAllIndexed ? 1 : 0, at);
    at = out.writeUInt32BE(runs.length / 2, at);
    for (const seq of runs) at = out.writeDoubleBE(seq, at);
  }
  return sealMessageRecord(record);
}

/** Decodes the record; undefined when it is damaged or of another version (the open then loads the slow way). */
export function decodeLiveRuns(record: Buffer): Map<string, LiveRuns> | undefined {
  if (checkMessageRecord(record) !== undefined) return undefined;
  const data = messageRecordPayload(record);
  try {
    if (data.readUInt8(0) !== VERSION) return undefined;
    const queues = new Map<string, LiveRuns>();
    let at = 1;
    const count = data.readUInt32BE(at);
    at += 4;
    for (let q = 0; q < count; q++) {
      const idLength = data.readUInt32BE(at);
      at += 4;
      const queueId = data.toString('utf8', at, at + idLength);
      at += idLength;
      const isAllIndexed = data.readUInt8(at++) === 1;
      const runCount = data.readUInt32BE(at);
      at += 4;
      const runs: number[] = [];
      for (let i = 0; i < runCount * 2; i++, at += 8) runs.push(data.readDoubleBE(at));
      if (!runs.every(Number.isSafeInteger)) return undefined;
      queues.set(queueId, { runs, isAllIndexed });
    }
    return at === data.length ? queues : undefined;
  } catch {
    // A truncated record (readUInt32BE past the end).
    return undefined;
  }
}
