/** A group takes no more writes once it holds this many messages (one call's messages are never split)… */
export const POSTGRES_GROUP_MAX_MESSAGES = 10_000;
/** …or this many bytes of records: a burst while one transaction commits queues up as several bounded ones. */
export const POSTGRES_GROUP_MAX_BYTES = 16 * 1024 * 1024;

/**
 * The writes one transaction of a {@link PostgresGroupCommitter} takes. A store's subclass collects them (in column
 * arrays, one `unnest` statement each); every caller of the group waits on the group's one `done` promise, so a
 * write allocates no promise of its own.
 */
export abstract class PostgresCommitGroup {
  /** Bytes of records taken, counted by the store as it adds them (the size bound). */
  bytes = 0;
  /** Resolves once the group's transaction has committed; rejects with its error if it failed. */
  readonly done: Promise<void>;
  private settle!: () => void;
  private fail!: (error: unknown) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
    // Some writes have no caller waiting (settles, releases): a failed group must not be an unhandled rejection.
    // Callers that wait on `done` still see the error.
    this.done.catch(() => undefined);
  }

  /** Messages taken so far (the count bound). */
  abstract get messageCount(): number;

  /** Whether the group has reached a bound: later writes go into a new group. */
  get isFull(): boolean {
    return this.messageCount >= POSTGRES_GROUP_MAX_MESSAGES || this.bytes >= POSTGRES_GROUP_MAX_BYTES;
  }

  /** Called by the committer only, once the transaction has committed. */
  resolve(): void {
    this.settle();
  }

  /** Called by the committer only, when the transaction failed. */
  reject(error: unknown): void {
    this.fail(error);
  }
}

/**
 * Group commit for a store that writes outside the database's own pipeline (postgres-database.ts): writes are taken
 * synchronously into the open group, and one transaction is in flight at a time. Everything taken in one
 * event-loop turn, or while the previous transaction was in flight, commits as the next one, so groups commit in
 * the order they were opened and a caller's `done` settles only after its transaction committed. A full group is
 * sealed and waits its turn (bounded transactions). A failed transaction rejects its own group's callers only: the
 * groups after it still commit (unlike the database's pipeline, which faults).
 *
 * Invariant: `group()` is called by the code that then adds to the group in the same synchronous run (the group
 * cannot start committing before the next event-loop turn).
 */
export class PostgresGroupCommitter<G extends PostgresCommitGroup> {
  private open: G | undefined;
  /** Full or sealed groups waiting for the one in flight, in call order. */
  private readonly sealed: G[] = [];
  private inFlight: Promise<void> | undefined;
  private inFlightGroup: G | undefined;

  /**
   * `createGroup` makes an empty group; `commitGroup` writes one group in a transaction of its own and resolves once
   * it has committed (it is never called for two groups at once).
   */
  constructor(
    private readonly createGroup: () => G,
    private readonly commitGroup: (group: G) => Promise<void>,
  ) {}

  /**
   * The open group (a new one once the open one is full), its commit scheduled for the next turn unless one is in
   * flight (that one starts it).
   */
  group(): G {
    const open = this.open;
    if (open !== undefined && open.isFull) {
      this.sealed.push(open);
      this.open = undefined;
    }
    if (this.open === undefined) {
      this.open = this.createGroup();
      if (this.inFlight === undefined && this.sealed.length === 0) setImmediate(() => this.commitNext());
    }
    return this.open;
  }

  /** Closes the open group to further writes: what is taken from now on commits in a later transaction. */
  seal(): void {
    if (this.open === undefined) return;
    this.sealed.push(this.open);
    this.open = undefined;
  }

  /** The groups not yet settled that `matches`, in commit order: the one in flight, the sealed ones, the open one. */
  pending(matches: (group: G) => boolean): G[] {
    return [this.inFlightGroup, ...this.sealed, this.open].filter((group): group is G => group !== undefined && matches(group));
  }

  /** Resolves once every group taken so far, and any taken meanwhile, is committed or failed; never rejects. */
  async drain(): Promise<void> {
    while (this.inFlight !== undefined || this.open !== undefined || this.sealed.length > 0) {
      await (this.inFlight ?? this.sealed[0]?.done ?? this.open?.done)?.catch(() => undefined);
    }
  }

  private commitNext(): void {
    if (this.inFlight !== undefined) return;
    const group = this.sealed.shift() ?? this.open;
    if (group === undefined) return;
    if (group === this.open) this.open = undefined;
    this.inFlightGroup = group;
    let committed: Promise<void>;
    try {
      committed = this.commitGroup(group);
    } catch (error) {
      // A commit that throws instead of rejecting fails its group the same way; the pipeline goes on.
      committed = Promise.reject(error);
    }
    this.inFlight = committed.then(
      () => group.resolve(),
      (error: unknown) => group.reject(error),
    );
    void this.inFlight.finally(() => {
      this.inFlight = undefined;
      this.inFlightGroup = undefined;
      this.commitNext();
    });
  }
}
