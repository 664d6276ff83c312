import type { PostgresWriteGroup } from './postgres-write-group.js';
import { encodeText } from './postgres-errors.js';

/**
 * What the PostgreSQL message store keeps in memory per queue: the seq counter (enqueue() validates seqs without a
 * round trip), the delivered-watermark reservation (coverDelivery) and the quarantined seqs. Messages and counters
 * live in the database only.
 */
export class PostgresQueueState {
  /** The queue id as stored (`%` and NUL escaped). */
  readonly key: string;
  nextSeq = 0;
  /** `delivered_hwm` as found at open: what an earlier crash left flagged; clean closes lower back to it. */
  openHwm = -1;
  /** Highest reservation known committed. */
  durableHwm = -1;
  /** Highest reservation requested (committed or in a pending group). */
  reservedHwm = -1;
  /** Settles when the latest reservation commits. */
  reservationDone: Promise<void> | undefined;
  /** The last group this queue enqueued into, and the first seq it enqueued there. */
  enqueueGroup: PostgresWriteGroup | undefined;
  enqueueGroupFirstSeq = 0;
  isDeleting = false;
  /** recover()/recoverIndex() streams in progress; while any is, removals are noted so they are not yielded. */
  readers = 0;
  /** Seqs removed, and the purge limit, since the first running stream started (a page may hold them still). */
  removedWhileReading: Set<number> | undefined;
  purgedWhileReading = -1;
  /** Seqs whose record failed its checksum when read back, with the reason: never served, reported until removed. */
  quarantined: Map<number, string> | undefined;

  constructor(readonly queueId: string) {
    this.key = encodeText(queueId);
  }
}
