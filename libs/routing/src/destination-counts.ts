/**
 * Reference counts per destination, for matchers that ignore binding arguments: the same destination bound twice
 * under one key (say with different arguments) stays matched until both bindings are gone.
 */
export class DestinationCounts<D> {
  private readonly counts = new Map<D, number>();

  /** Number of distinct destinations. */
  get size(): number {
    return this.counts.size;
  }

  /** Counts one more binding to `destination`. */
  add(destination: D): void {
    this.counts.set(destination, (this.counts.get(destination) ?? 0) + 1);
  }

  /** Counts one binding fewer; returns true when no destination is left. */
  remove(destination: D): boolean {
    const count = this.counts.get(destination);
    if (count === undefined) return this.counts.size === 0;
    if (count === 1) this.counts.delete(destination);
    else this.counts.set(destination, count - 1);
    return this.counts.size === 0;
  }

  /** Adds every destination to `out`; returns true if there was any. */
  addTo(out: Set<D>): boolean {
    for (const destination of this.counts.keys()) out.add(destination);
    return this.counts.size > 0;
  }

  /** The distinct destinations. */
  keys(): IterableIterator<D> {
    return this.counts.keys();
  }
}
