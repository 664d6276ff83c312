import type { CommitGroup } from './group-committer.js';
import { LiveSeqSet } from './live-seq-set.js';
import { COUNTERS_SUFFIX, DELIVERY_INFIX, INDEX_INFIX, MESSAGE_INFIX, queuePrefix } from './level-keys.js';
import { emptyCounters, type QueueCounters } from './queue-counters.js';

/**
 * What the LevelDB message store keeps in memory per queue: counters (mirrored to `q!<queue>!meta` in every batch
 * that changes them), the stored seqs, and the few per-message facts a removal needs without reading the disk.
 */
export class LevelQueueState {
  /** Key prefix of everything of this queue. */
  readonly prefix: string;
  /** Key prefix of its messages (computed once: it is concatenated on every enqueue and remove). */
  readonly messagePrefix: string;
  /** Key prefix of its index records. */
  readonly indexPrefix: string;
  /** Key prefix of its delivery-count records. */
  readonly deliveryPrefix: string;
  /** Key of its counters record. */
  readonly countersKey: string;
  /** In-memory counters: ahead of the disk by the groups not yet written. */
  counters: QueueCounters = emptyCounters();
  /** Seqs stored (or accepted for storing) right now. */
  readonly live = new LiveSeqSet();
  /** The live seqs stored with an index record (`q!<queue>!i!<seq>`): all of them, unless written by older versions. */
  readonly indexed = new LiveSeqSet();
  /** seq → shared body id, only for entries whose bytes live in a `b!` record (large fanout messages). */
  shared: Map<number, number> | undefined;
  /** seq → delivery count, only for messages delivered at least twice (mirrored by `d!` records). */
  redelivered: Map<number, number> | undefined;
  /** Highest seq actually handed to a consumer (markDelivered); `counters.deliveredHwm` runs ahead of it. */
  deliveredHwm = -1;
  /** The part of `counters.deliveredHwm` known committed. */
  durableDeliveredHwm = -1;
  /** Settles when the latest delivered-watermark reservation is committed. */
  reservationDone: Promise<void> | undefined;
  /** The group this queue's latest enqueue went into, and the first seq it holds for this queue. */
  enqueueGroup: CommitGroup | undefined;
  enqueueGroupFirstSeq = 0;
  /** seq → reason, for stored messages recover() found damaged and held back (reported, never served). */
  quarantined: Map<number, string> | undefined;
  /** Counters changed since the open group was started; written when it is sealed. */
  isDirty = false;
  /** deleteQueue() is running: enqueues are refused until it finishes. */
  isDeleting = false;

  /** Creates empty state for `queueId` (the broker's id, unescaped). */
  constructor(readonly queueId: string) {
    this.prefix = queuePrefix(queueId);
    this.messagePrefix = this.prefix + MESSAGE_INFIX;
    this.indexPrefix = this.prefix + INDEX_INFIX;
    this.deliveryPrefix = this.prefix + DELIVERY_INFIX;
    this.countersKey = this.prefix + COUNTERS_SUFFIX;
  }

  /** Deliveries a stored message counts when read back: its recorded count, else 1 at or below the delivered watermark. */
  deliveryCountOf(seq: number): number {
    return this.redelivered?.get(seq) ?? (seq <= this.counters.deliveredHwm ? 1 : 0);
  }
}
