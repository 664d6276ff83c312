import { isMessageRecord } from './message-record.js';
import type { EnqueueEntry } from './message-store.js';

/**
 * Checks one enqueue() call before any backend changes anything, so a call is rejected whole (MessageStore
 * remarks): data must be sealed message records and seqs safe integers, each at least the queue's `nextSeq` and increasing within
 * the call. `nextSeqOf` returns the stored `nextSeq` (0 for unknown queues) and may throw to refuse a queue.
 */
export function validateEnqueueEntries(entries: ReadonlyArray<EnqueueEntry>, nextSeqOf: (queueId: string) => number): void {
  // Only multi-entry calls need per-call floors; the common single-entry publish allocates nothing here.
  let floors: Map<string, number> | undefined;
  for (const { queueId, seq, data } of entries) {
    if (!(data instanceof Uint8Array)) throw new TypeError(`storage: data of ${queueId}/${seq} is not a Buffer`);
    // The format byte only: the checksum was computed once by the caller and is verified when read back.
    if (!isMessageRecord(data)) throw new TypeError(`storage: data of ${queueId}/${seq} is not a sealed message record`);
    const floor = floors?.get(queueId) ?? nextSeqOf(queueId);
    if (!Number.isSafeInteger(seq) || seq < floor) {
      throw new RangeError(`storage: seq ${seq} of queue "${queueId}" is not a safe integer ≥ ${floor}`);
    }
    if (entries.length > 1) (floors ??= new Map()).set(queueId, seq + 1);
  }
}
