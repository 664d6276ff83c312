/**
 * A growable circular deque: O(1) push/shift at both ends, indexed access, and ordered insertion.
 * Queues use it instead of arrays because `Array.prototype.shift` is O(n) once V8 leaves its fast path.
 */
export class RingBuffer<T> {
  private items: (T | undefined)[];
  private head = 0;
  private size = 0;
  private mask: number;

  constructor(initialCapacity = 16) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity <<= 1;
    this.items = new Array(capacity);
    this.mask = capacity - 1;
  }

  /** Number of items held. */
  get length(): number {
    return this.size;
  }

  /** Appends at the tail. */
  push(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) & this.mask] = item;
    this.size++;
  }

  /** Prepends at the head. */
  unshift(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = item;
    this.size++;
  }

  /** Removes and returns the head item. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    // Clear the slot so the GC can reclaim the message it referenced.
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.size--;
    return item;
  }

  /** Removes and returns the tail item. */
  pop(): T | undefined {
    if (this.size === 0) return undefined;
    const index = (this.head + this.size - 1) & this.mask;
    const item = this.items[index];
    this.items[index] = undefined;
    this.size--;
    return item;
  }

  /** The head item, without removing it. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  /** The item at position `index` from the head (0-based). */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.size) return undefined;
    return this.items[(this.head + index) & this.mask];
  }

  /** Replaces the item at position `index`. */
  set(index: number, item: T): void {
    if (index < 0 || index >= this.size) throw new RangeError('ring-buffer: index out of range');
    this.items[(this.head + index) & this.mask] = item;
  }

  /**
   * Inserts at position `index`, shifting the shorter side. Used to requeue a message at its original
   * position; the common cases (head or tail) are O(1).
   */
  insertAt(index: number, item: T): void {
    if (index <= 0) return this.unshift(item);
    if (index >= this.size) return this.push(item);
    if (this.size === this.items.length) this.grow();
    if (index < this.size / 2) {
      this.head = (this.head - 1) & this.mask;
      for (let i = 0; i < index; i++) {
        this.items[(this.head + i) & this.mask] = this.items[(this.head + i + 1) & this.mask];
      }
    } else {
      for (let i = this.size; i > index; i--) {
        this.items[(this.head + i) & this.mask] = this.items[(this.head + i - 1) & this.mask];
      }
    }
    this.items[(this.head + index) & this.mask] = item;
    this.size++;
  }

  /** Removes the item at `index` and returns it. */
  removeAt(index: number): T | undefined {
    if (index < 0 || index >= this.size) return undefined;
    if (index === 0) return this.shift();
    const item = this.items[(this.head + index) & this.mask];
    for (let i = index; i < this.size - 1; i++) {
      this.items[(this.head + i) & this.mask] = this.items[(this.head + i + 1) & this.mask];
    }
    this.items[(this.head + this.size - 1) & this.mask] = undefined;
    this.size--;
    return item;
  }

  /** Removes everything; returns the removed items in order. */
  drain(): T[] {
    const out: T[] = new Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.items[(this.head + i) & this.mask] as T;
    this.clear();
    return out;
  }

  /** Removes everything. */
  clear(): void {
    this.items = new Array(16);
    this.mask = 15;
    this.head = 0;
    this.size = 0;
  }

  /** Iterates from head to tail. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.items[(this.head + i) & this.mask] as T;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = next.length - 1;
  }
}
