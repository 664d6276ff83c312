/**
 * A bounded pool of equal-sized read buffers: at most `limit` exist, and a read that finds all of them in use waits
 * for the next one given back instead of allocating its own.
 *
 * @remarks
 * Why wait rather than allocate: reads in flight are otherwise unbounded (the read-aheads of many queues at once split
 * into dozens of runs), and a buffer allocated per read is a megabyte of external memory dropped right after, which V8
 * collects late: it shows in the broker's RSS while deep queues drain (docs/BENCHMARKS.md, "The deep drain again: what
 * was tried for the last 80 %"). Bounded, the memory of reads in flight is what the pool holds.
 */
export class ReadBufferPool {
  private readonly free: Buffer[] = [];
  private readonly waiters: Array<(buffer: Buffer) => void> = [];
  private allocated = 0;

  /** A pool of at most `limit` buffers of `bytes` each, allocated on first use. */
  constructor(
    readonly bytes: number,
    private readonly limit: number,
  ) {}

  /** A free buffer, a new one while fewer than `limit` exist, or (a promise of) the next one given back. */
  take(): Buffer | Promise<Buffer> {
    const buffer = this.free.pop();
    if (buffer !== undefined) return buffer;
    if (this.allocated < this.limit) {
      this.allocated++;
      return Buffer.allocUnsafeSlow(this.bytes);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Gives `buffer` (one `take` returned) back: to the longest waiting reader, else to the free list. */
  give(buffer: Buffer): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(buffer);
    else this.free.push(buffer);
  }

  /** Buffers allocated so far (never more than the limit). */
  get size(): number {
    return this.allocated;
  }
}
