import type { QueueEntry } from './message.js';
import type { QueuePolicy } from './queue-arguments.js';
import type { QueueBodies } from './queue-bodies.js';
import type { QueueStorage } from './queue-ports.js';
import type { TailBatch } from './queue-tail-loader.js';
import { QueueTail } from './queue-tail.js';
import type { TailSegment } from './lazy-ready-list.js';
import { FifoReadyList, PriorityReadyList, type ReadyList } from './ready-list.js';

/**
 * A queue's ready messages and what counts them: the ready list (FIFO, one FIFO per priority level, or FIFO with
 * the paged-out tail kept as segments), the bytes of their bodies and the seq the next message gets. Entries enter
 * and leave through it so the byte count and the pager's counts (queue-bodies.ts) stay in step with the list.
 *
 * Invariants: called only from the event loop thread. `list`, `bytes` and `nextSeq` are plain fields, not
 * accessors: the dispatch loop reads them once per message.
 */
export class QueueBacklog {
  /** The ready entries from the head (paged-out ones included). */
  readonly list: ReadyList;
  /** Set when `list` keeps the paged-out tail as segments (queue-tail.ts). */
  readonly tail: QueueTail | undefined;
  /** Bytes of ready message bodies. */
  bytes = 0;
  /** The seq the next message gets (restored from storage at start-up). */
  nextSeq = 1;
  /** `x-max-length`, if set. */
  private readonly maxLength: number | undefined;
  /** `x-max-length-bytes`, if set. */
  private readonly maxLengthBytes: number | undefined;

  constructor(
    policy: QueuePolicy,
    /** Where the ready bodies are; told of every entry that enters or leaves. */
    private readonly bodies: QueueBodies,
  ) {
    this.tail = QueueTail.isFor(policy) ? new QueueTail(() => bodies) : undefined;
    this.list = policy.maxPriority ? new PriorityReadyList(policy.maxPriority) : (this.tail?.list ?? new FifoReadyList());
    this.maxLength = policy.maxLength;
    this.maxLengthBytes = policy.maxLengthBytes;
  }

  /** Whether `extraCount` more messages of `extraBytes` would put the queue over its length limits. */
  isOver(extraCount: number, extraBytes: number): boolean {
    return (
      (this.maxLength !== undefined && this.list.length + extraCount > this.maxLength) ||
      (this.maxLengthBytes !== undefined && this.bytes + extraBytes > this.maxLengthBytes)
    );
  }

  /** Appends a new entry and counts it; past the window, a stored one will be paged out. */
  enter(entry: QueueEntry): void {
    // The window decision first: the lazy ready list keeps an entry past it apart until the store holds it.
    this.bodies.entered(entry);
    this.list.push(entry);
    this.bytes += entry.size;
  }

  /** Uncounts an entry just taken out of the list. */
  leave(entry: QueueEntry): void {
    this.bodies.left(entry);
    this.bytes -= entry.size;
  }

  /** Takes the head out and uncounts it; undefined when the list is empty. */
  shift(): QueueEntry | undefined {
    const entry = this.list.shift();
    if (entry !== undefined) this.leave(entry);
    return entry;
  }

  /** Takes `entry` out wherever it is and uncounts it; returns whether it was ready. */
  remove(entry: QueueEntry): boolean {
    if (!this.list.remove(entry)) return false;
    this.leave(entry);
    return true;
  }

  /** Puts a requeued entry back at its seq position; its body is in memory, so it counts as loaded. */
  putBack(entry: QueueEntry): void {
    this.list.insertBySeq(entry);
    this.bodies.pager.entered(entry);
    this.bytes += entry.size;
  }

  /** Appends an entry restored paged out (from its index record): the read-ahead loads its body. */
  appendPaged(entry: QueueEntry): void {
    this.list.push(entry);
    this.bodies.pager.entered(entry);
    this.bytes += entry.size;
  }

  /**
   * Shared queues: adds a claimed entry at its seq position. Claims come in seq order, so this is an append but for
   * a released message claimed again, which goes back to its place.
   */
  insertClaimed(entry: QueueEntry): void {
    const last = this.lastSeq();
    if (last === undefined || last < entry.seq) this.list.push(entry);
    else this.list.insertBySeq(entry);
    this.bodies.entered(entry);
    this.bytes += entry.size;
  }

  /** A message with this seq was restored: the next one gets a later seq. */
  advanceSeq(seq: number): void {
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
  }

  /**
   * Appends `count` stored messages up to `lastSeq` as one tail segment, loaded batch by batch later; returns false
   * when this queue keeps no tail segments (queue-tail.ts says which do) or there is nothing to restore.
   */
  restoreTail(count: number, lastSeq: number): boolean {
    if (this.tail === undefined || count <= 0) return false;
    this.tail.restore(count, lastSeq);
    this.advanceSeq(lastSeq);
    return true;
  }

  /** A body was paged out: once its predecessors are too, it joins the tail segments. */
  pagedOut(): void {
    this.tail?.list.settle();
  }

  /** The tail segment the read-ahead loads next, if it should load one rather than bodies (lazy-ready-list.ts). */
  tailSegmentToLoad(): TailSegment | undefined {
    return this.tail?.list.segmentToLoad();
  }

  /** A batch of a tail segment was loaded: its entries join the list and their bytes the count. */
  tailLoaded(segment: TailSegment, batch: TailBatch): void {
    this.bytes += this.tail!.loaded(segment, batch);
  }

  /** Purges the tail segments (their stored copies too, through `storage`); returns how many messages they held. */
  purgeTail(storage: QueueStorage | undefined, storageId: string): number {
    return this.tail?.purge(storage, storageId) ?? 0;
  }

  /** The seq of the last ready entry (the tail of the lowest level for priority queues: any seq order works). */
  private lastSeq(): number | undefined {
    let last: number | undefined;
    for (const entry of this.list) if (last === undefined || entry.seq > last) last = entry.seq;
    return last;
  }
}
