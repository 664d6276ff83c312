/**
 * Reference counts of shared bodies (one `b!<id>` record referenced by several queue entries), rebuilt from the
 * entry keys at open. Only large fanout bodies are shared, so this holds one small entry per such message, not per
 * message.
 */
export class SharedBodyRegistry {
  // Lets the recovery of the second, third… queue of a fanout reuse the Buffer the first one loaded instead of
  // holding one copy per queue. Weak, so recovered bodies are not pinned after delivery.
  private readonly cache = new Map<number, WeakRef<Buffer>>();

  /** Starts from the references found on disk. */
  constructor(
    private readonly refs = new Map<number, number>(),
    private nextId = 1,
  ) {}

  /** Shared bodies referenced now. */
  get size(): number {
    return this.refs.size;
  }

  /** A body id never used by a live body. */
  allocate(): number {
    return this.nextId++;
  }

  /** Adds a reference; true if it is the first, so the body record must be written. */
  addRef(id: number): boolean {
    const count = this.refs.get(id) ?? 0;
    this.refs.set(id, count + 1);
    return count === 0;
  }

  /** Drops a reference; true if it was the last, so the body record must be deleted. */
  release(id: number): boolean {
    const count = (this.refs.get(id) ?? 1) - 1;
    if (count > 0) {
      this.refs.set(id, count);
      return false;
    }
    this.refs.delete(id);
    this.cache.delete(id);
    return true;
  }

  /** The body if some recovered message still holds it. */
  cached(id: number): Buffer | undefined {
    return this.cache.get(id)?.deref();
  }

  /** Remembers a body read from disk for other queues' recovery. */
  remember(id: number, body: Buffer): void {
    if (this.refs.has(id)) this.cache.set(id, new WeakRef(body));
  }
}
