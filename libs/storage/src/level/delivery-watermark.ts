import type { CommitGroup } from './group-committer.js';
import type { LevelQueueState } from './level-queue-state.js';

const ignore = (): undefined => undefined;

/**
 * The delivered-up-to watermark of the LevelDB message store (MessageStore.coverDelivery): every stored seq at or
 * below a queue's durable watermark comes back `mayHaveBeenDelivered` after a crash, so a delivery may leave only
 * once a watermark covering it is durable, or commits in the same atomic batch as the message itself.
 *
 * Writing per delivery would cost a batch op each; instead the watermark is reserved `reserve` seqs ahead (one
 * counters write, synced, per half reserve), so over-flagging after a crash is bounded by about `reserve` per
 * queue and a clean close lowers it back to the exact highest delivered seq.
 *
 * Invariants: called on the event loop only; `open()` returns the open commit group (or undefined when nothing
 * can be written: faulted, closed), and `markDirty` puts the queue's counters into that group when it is sealed.
 */
export class DeliveryWatermark {
  constructor(
    private readonly reserveSize: number,
    private readonly open: () => CommitGroup | undefined,
    private readonly markDirty: (state: LevelQueueState) => void,
  ) {}

  /** See MessageStore.coverDelivery; `state` is the queue's. */
  cover(state: LevelQueueState, seq: number): Promise<void> | undefined {
    if (seq <= state.durableDeliveredHwm) {
      // Reserve again before the durable part runs out, so a consumer keeping pace never waits.
      if (state.counters.deliveredHwm - seq < this.reserveSize / 2) this.reserve(state, seq);
      return undefined;
    }
    const group = this.reserve(state, seq);
    if (group === undefined) return undefined; // nothing can be written (MessageStore.coverDelivery remarks)
    // The message's own enqueue is in the open group too: the watermark commits in the same atomic batch, so a
    // crash either loses both (nothing to redeliver) or keeps both.
    if (state.enqueueGroup === group && seq >= state.enqueueGroupFirstSeq) return undefined;
    return state.reservationDone;
  }

  /** A delivery nobody asked `cover()` about reached `hwm`: recorded lazily (unsynced) in the open group. */
  delivered(state: LevelQueueState, hwm: number, group: CommitGroup): void {
    if (hwm <= state.counters.deliveredHwm) return;
    this.raise(state, hwm, group);
  }

  /** At a clean close: back to what was really delivered, so a clean restart flags nothing undelivered. */
  lowerAll(states: Iterable<LevelQueueState>): void {
    for (const state of states) {
      if (state.counters.deliveredHwm <= state.deliveredHwm) continue;
      if (this.open() === undefined) return; // faulted: the reserved marks stay, which over-flags at worst
      state.counters.deliveredHwm = state.deliveredHwm;
      this.markDirty(state);
    }
  }

  /** Raises the watermark to `seq` + the reserve unless it still covers half of that; returns the open group. */
  private reserve(state: LevelQueueState, seq: number): CommitGroup | undefined {
    const group = this.open();
    if (group === undefined || state.counters.deliveredHwm - seq >= this.reserveSize / 2) return group;
    // Synced like an enqueue: the mark must survive what the message survives (power loss included).
    group.needsSync = true;
    this.raise(state, seq + this.reserveSize, group);
    return group;
  }

  private raise(state: LevelQueueState, target: number, group: CommitGroup): void {
    state.counters.deliveredHwm = target;
    this.markDirty(state);
    const done = group.done.then(() => {
      if (state.durableDeliveredHwm < target) state.durableDeliveredHwm = target;
    });
    done.catch(ignore);
    state.reservationDone = done;
  }
}
