import type { QueueEntry } from './message.js';
import { RingBuffer } from './ring-buffer.js';

/**
 * A queue's ready messages in delivery order. Two shapes: plain FIFO, and one FIFO per priority level for
 * `x-max-priority` queues (highest level first). Requeued entries go back to their original place by seq.
 */
export interface ReadyList {
  readonly length: number;
  push(entry: QueueEntry): void;
  shift(): QueueEntry | undefined;
  peek(): QueueEntry | undefined;
  /** Inserts a requeued entry at its seq position within its level. */
  insertBySeq(entry: QueueEntry): void;
  /** Removes a specific entry if it is still ready (searching from the tail, where recent ones are). */
  remove(entry: QueueEntry): boolean;
  drain(): QueueEntry[];
  [Symbol.iterator](): IterableIterator<QueueEntry>;
}

function removeFromTail(ring: RingBuffer<QueueEntry>, entry: QueueEntry): boolean {
  for (let i = ring.length - 1; i >= 0; i--) {
    if (ring.at(i) === entry) {
      ring.removeAt(i);
      return true;
    }
  }
  return false;
}

/** Inserts `entry` into a ring kept in seq order (a requeued message goes back to its place), by binary search. */
export function insertBySeq<T extends { readonly seq: number }>(ring: RingBuffer<T>, entry: T): void {
  let low = 0;
  let high = ring.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ring.at(mid)!.seq < entry.seq) low = mid + 1;
    else high = mid;
  }
  ring.insertAt(low, entry);
}

/** The common case: one ring buffer. */
export class FifoReadyList implements ReadyList {
  private readonly ring = new RingBuffer<QueueEntry>();

  get length(): number {
    return this.ring.length;
  }

  push(entry: QueueEntry): void {
    this.ring.push(entry);
  }

  shift(): QueueEntry | undefined {
    return this.ring.shift();
  }

  peek(): QueueEntry | undefined {
    return this.ring.peek();
  }

  insertBySeq(entry: QueueEntry): void {
    insertBySeq(this.ring, entry);
  }

  remove(entry: QueueEntry): boolean {
    return removeFromTail(this.ring, entry);
  }

  drain(): QueueEntry[] {
    return this.ring.drain();
  }

  [Symbol.iterator](): IterableIterator<QueueEntry> {
    return this.ring[Symbol.iterator]();
  }
}

/** `x-max-priority` queues: a ring per level, served highest first, FIFO within a level. */
export class PriorityReadyList implements ReadyList {
  private readonly levels: RingBuffer<QueueEntry>[];
  private size = 0;

  constructor(private readonly maxPriority: number) {
    // Levels are created up front: at most 256 small rings per priority queue.
    this.levels = Array.from({ length: maxPriority + 1 }, () => new RingBuffer<QueueEntry>(4));
  }

  get length(): number {
    return this.size;
  }

  push(entry: QueueEntry): void {
    this.levels[this.levelOf(entry)].push(entry);
    this.size++;
  }

  shift(): QueueEntry | undefined {
    const level = this.highestNonEmpty();
    if (level < 0) return undefined;
    this.size--;
    return this.levels[level].shift();
  }

  peek(): QueueEntry | undefined {
    const level = this.highestNonEmpty();
    return level < 0 ? undefined : this.levels[level].peek();
  }

  insertBySeq(entry: QueueEntry): void {
    insertBySeq(this.levels[this.levelOf(entry)], entry);
    this.size++;
  }

  remove(entry: QueueEntry): boolean {
    const isRemoved = removeFromTail(this.levels[this.levelOf(entry)], entry);
    if (isRemoved) this.size--;
    return isRemoved;
  }

  drain(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (let level = this.maxPriority; level >= 0; level--) out.push(...this.levels[level].drain());
    this.size = 0;
    return out;
  }

  *[Symbol.iterator](): IterableIterator<QueueEntry> {
    for (let level = this.maxPriority; level >= 0; level--) yield* this.levels[level];
  }

  private levelOf(entry: QueueEntry): number {
    return Math.min(entry.priority, this.maxPriority);
  }

  private highestNonEmpty(): number {
    for (let level = this.maxPriority; level >= 0; level--) if (this.levels[level].length > 0) return level;
    return -1;
  }
}
