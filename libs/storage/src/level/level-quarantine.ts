import type { IntegrityReport, QuarantinedMessage } from '../message-store.js';
import type { LevelQueueState } from './level-queue-state.js';

/**
 * Quarantine bookkeeping of the LevelDB message store: messages recover() found damaged are held in their queue's
 * state (`quarantined`), never yielded, and listed in every integrity report until removed (purge, deleteQueue).
 */

/** Every quarantined message of `queues`, in queue and seq order. */
export function quarantinedMessages(queues: ReadonlyMap<string, LevelQueueState>): QuarantinedMessage[] {
  const out: QuarantinedMessage[] = [];
  for (const queueId of [...queues.keys()].sort()) {
    const quarantined = queues.get(queueId)!.quarantined;
    if (quarantined === undefined) continue;
    for (const seq of [...quarantined.keys()].sort((a, b) => a - b)) out.push({ queueId, seq, reason: quarantined.get(seq)! });
  }
  return out;
}

/** `report` with the quarantined messages of `queues` added (and `ok` false when there are any). */
export function withQuarantine(report: IntegrityReport, queues: ReadonlyMap<string, LevelQueueState>): IntegrityReport {
  const quarantined = quarantinedMessages(queues);
  return quarantined.length === 0 ? report : { ...report, ok: false, quarantined };
}

/** Carries quarantine marks over a reload (reopen): nothing reads those records again to find them. */
export function carryQuarantine(from: ReadonlyMap<string, LevelQueueState>, to: ReadonlyMap<string, LevelQueueState>): void {
  for (const [queueId, old] of from) {
    const state = to.get(queueId);
    if (old.quarantined === undefined || state === undefined) continue;
    for (const [seq, reason] of old.quarantined) if (state.live.has(seq)) (state.quarantined ??= new Map()).set(seq, reason);
  }
}
