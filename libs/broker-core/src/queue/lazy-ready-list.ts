import type { Message, QueueEntry } from './message.js';
import { insertBySeq, type ReadyList } from './ready-list.js';
import { RingBuffer } from './ring-buffer.js';

/** Where the bodies of a tail segment are: the store's messages, or its transient (spill) range. */
export type TailKind = 'stored' | 'spilled';

/**
 * A run of ready messages held in the store alone: counts, bytes and a cursor, no per-message object. What a deep
 * queue keeps of its paged-out tail, so its heap grows with the number of runs, not messages (docs/RELIABILITY.md).
 */
export interface TailSegment {
  readonly isSegment: true;
  readonly kind: TailKind;
  /** deliveryMode 2 (spilled runs: messages of a queue without durable storage may be persistent). */
  readonly isPersistent: boolean;
  /** The cursor: every message of the run has a seq ≥ this (the next one to load). Named `seq` for seq ordering. */
  seq: number;
  /** The highest seq of the run. */
  lastSeq: number;
  /** Messages in the run. */
  count: number;
  /** Their body bytes (an estimate for a run restored at start-up until its first batch is loaded). */
  bytes: number;
  /**
   * Recovered at start-up (epoch ms), else 0: its seqs may have gaps (loaded with MessageStore.readIndex), its
   * delivery flags come from the store and per-message TTLs count from this time. Runs built at run time are
   * contiguous and fresh (never delivered).
   */
  readonly restoredAt: number;
  /** True until the first batch of a restored run told the average size its `bytes` is estimated from. */
  bytesEstimated: boolean;
  /** Purged (or deleted) while a load was in flight: the load is dropped. */
  isGone: boolean;
}

/** A ready-list slot: a message, or a run of them kept in the store. */
type ReadyItem = QueueEntry | TailSegment;

function isSegment(item: ReadyItem): item is TailSegment {
  return (item as TailSegment).isSegment === true;
}

/**
 * What `peek()` returns while a tail segment is at the head: a paged-out entry (callers then start a read-ahead,
 * which loads the segment's next batch, and never take it). Frozen: nothing may change it.
 */
const SEGMENT_HEAD: QueueEntry = Object.freeze({
  message: undefined as unknown as Message,
  seq: -1,
  redelivered: false,
  deliveryCount: 0,
  priority: 0,
  expiresAt: 0,
  size: 0,
  isPersistent: true,
  isReady: true,
  isPagedOut: true,
  pageWhenStored: false,
}) as QueueEntry;

/** How the list tells whether a paged-out entry may join a tail segment, and of which kind. */
export type TailKindOf = (entry: QueueEntry) => TailKind | undefined;

/**
 * The ready list of a FIFO queue whose paged-out tail is kept as {@link TailSegment}s rather than entries.
 *
 * @remarks
 * Three parts, in delivery order: `ring` (entries, loaded or paged out, and tail segments), then `pending`: the
 * entries admitted past the window whose store write has not resolved yet (their bodies still in memory). When the
 * head of `pending` is paged out it joins the last segment (`settle`), or starts one; a message that may not join
 * one (a TTL, redelivered, or a body the store does not hold) stays an entry. Requeued messages have lower seqs
 * than every segment (FIFO: deliveries come from the head), so `insertBySeq` puts them before the segments.
 * Iteration (the pager's read-ahead, previews) stops at the first segment: what lies behind it is loaded later.
 */
export class LazyFifoReadyList implements ReadyList {
  private readonly ring = new RingBuffer<ReadyItem>();
  private readonly pending = new RingBuffer<QueueEntry>();
  /** Entries (not segments) in `ring`. */
  private entryCount = 0;
  /** Segments in `ring`, and the messages they hold. */
  private segmentCount = 0;
  private tailMessages = 0;

  constructor(
    private readonly kindOf: TailKindOf,
    /** A paged-out entry joined a segment: it is no longer a ready entry (the pager counts it in the tail). */
    private readonly collapsed: (entry: QueueEntry) => void,
  ) {}

  get length(): number {
    return this.entryCount + this.tailMessages + this.pending.length;
  }

  /** Messages held in tail segments. */
  get tailCount(): number {
    return this.tailMessages;
  }

  push(entry: QueueEntry): void {
    if (entry.pageWhenStored || this.pending.length > 0) this.pending.push(entry);
    else {
      this.ring.push(entry);
      this.entryCount++;
    }
  }

  shift(): QueueEntry | undefined {
    if (this.ring.length > 0) {
      if (isSegment(this.ring.peek()!)) return undefined;
      this.entryCount--;
      return this.ring.shift() as QueueEntry;
    }
    const entry = this.pending.shift();
    this.settle();
    return entry;
  }

  peek(): QueueEntry | undefined {
    const head = this.ring.peek();
    if (head === undefined) return this.pending.peek();
    return isSegment(head) ? SEGMENT_HEAD : head;
  }

  insertBySeq(entry: QueueEntry): void {
    insertBySeq<ReadyItem>(this.ring, entry);
    this.entryCount++;
  }

  remove(entry: QueueEntry): boolean {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      if (this.pending.at(i) === entry) {
        this.pending.removeAt(i);
        if (i === 0) this.settle();
        return true;
      }
    }
    for (let i = this.ring.length - 1; i >= 0; i--) {
      if (this.ring.at(i) === entry) {
        this.ring.removeAt(i);
        this.entryCount--;
        return true;
      }
    }
    return false;
  }

  /** Every entry (segments are taken by `takeSegments` first). */
  drain(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const item of this.ring.drain()) if (!isSegment(item)) out.push(item);
    out.push(...this.pending.drain());
    this.entryCount = 0;
    return out;
  }

  /** Removes and returns the tail segments (purge, delete): marked gone, so a load in flight is dropped. */
  takeSegments(): TailSegment[] {
    const segments: TailSegment[] = [];
    if (this.segmentCount === 0) return segments;
    const kept: ReadyItem[] = [];
    for (const item of this.ring.drain()) {
      if (isSegment(item)) {
        item.isGone = true;
        segments.push(item);
      } else kept.push(item);
    }
    for (const item of kept) this.ring.push(item);
    this.segmentCount = 0;
    this.tailMessages = 0;
    return segments;
  }

  /** The entries from the head up to the first tail segment (then `pending`, when there is none). */
  *[Symbol.iterator](): IterableIterator<QueueEntry> {
    for (const item of this.ring) {
      if (isSegment(item)) return;
      yield item;
    }
    yield* this.pending;
  }

  /**
   * Moves the head of `pending` on while its store write resolved: a paged-out entry that may joins the tail
   * segments, any other becomes a ring entry. Called after each page-out, and when the head of `pending` leaves.
   */
  settle(): void {
    const pending = this.pending;
    while (pending.length > 0) {
      const head = pending.peek()!;
      if (head.pageWhenStored) return;
      pending.shift();
      const kind = head.isPagedOut ? this.kindOf(head) : undefined;
      if (kind === undefined) {
        this.ring.push(head);
        this.entryCount++;
        continue;
      }
      this.appendToTail(head, kind);
    }
  }

  /** Appends a run recovered at start-up (its messages are in the store only). */
  appendRestored(count: number, fromSeq: number, lastSeq: number, restoredAt: number): TailSegment {
    const segment: TailSegment = {
      isSegment: true,
      kind: 'stored',
      isPersistent: true,
      seq: fromSeq,
      lastSeq,
      count,
      bytes: 0,
      restoredAt,
      bytesEstimated: true,
      isGone: false,
    };
    this.ring.push(segment);
    this.segmentCount++;
    this.tailMessages += count;
    return segment;
  }

  /** The segment to load next: the first one, unless a paged-out entry before it is to be read first. */
  segmentToLoad(): TailSegment | undefined {
    if (this.segmentCount === 0) return undefined;
    for (const item of this.ring) {
      if (isSegment(item)) return item;
      if (item.isPagedOut) return undefined;
    }
    return undefined;
  }

  /**
   * A batch of `segment` was loaded: `entries` (seq order) go before it, and `consumed` of its messages leave it
   * (the loaded ones and those the store no longer had). Returns the segment's bytes left unaccounted when it ends
   * (the error of an estimate, or the bytes of lost messages): the queue drops them from its byte count.
   */
  loaded(segment: TailSegment, entries: readonly QueueEntry[], consumed: number, nextSeq: number, isExhausted: boolean): number {
    if (segment.isGone) return 0;
    const ring = this.ring;
    let at = ring.length - 1;
    while (at >= 0 && ring.at(at) !== segment) at--;
    if (at < 0) return 0;
    const behind: ReadyItem[] = [];
    while (ring.length > at) behind.push(ring.pop()!);
    for (const entry of entries) ring.push(entry);
    this.entryCount += entries.length;
    let loadedBytes = 0;
    for (const entry of entries) loadedBytes += entry.size;
    const taken = Math.min(consumed, segment.count);
    segment.count -= taken;
    this.tailMessages -= taken;
    segment.bytes -= loadedBytes;
    segment.seq = nextSeq;
    let residual = 0;
    if (segment.count === 0 || isExhausted || segment.seq > segment.lastSeq) {
      // The run ends here; anything it still counted is not in the store (lost, or never there).
      this.tailMessages -= segment.count;
      residual = segment.bytes;
      segment.count = 0;
      segment.isGone = true;
      this.segmentCount--;
      behind.pop();
    }
    for (let i = behind.length - 1; i >= 0; i--) ring.push(behind[i]!);
    return residual;
  }

  private appendToTail(entry: QueueEntry, kind: TailKind): void {
    const last = this.ring.length > 0 ? this.ring.at(this.ring.length - 1) : undefined;
    this.collapsed(entry);
    if (
      last !== undefined &&
      isSegment(last) &&
      // A restored run carries the store's delivery flags and restart-relative TTLs: fresh messages start their own.
      last.restoredAt === 0 &&
      last.kind === kind &&
      last.isPersistent === entry.isPersistent &&
      last.lastSeq + 1 === entry.seq
    ) {
      last.lastSeq = entry.seq;
      last.count++;
      last.bytes += entry.size;
    } else {
      this.ring.push({
        isSegment: true,
        kind,
        isPersistent: entry.isPersistent,
        seq: entry.seq,
        lastSeq: entry.seq,
        count: 1,
        bytes: entry.size,
        restoredAt: 0,
        bytesEstimated: false,
        isGone: false,
      });
      this.segmentCount++;
    }
    this.tailMessages++;
  }
}
