import type pg from 'pg';

/** A write run inside a group's transaction, in the order it was added. */
export type PostgresStep = (client: pg.PoolClient) => Promise<void>;

/**
 * Everything accepted in one event-loop turn, or while the previous commit was in flight: committed as one
 * transaction (group commit). Enqueues accumulate in column arrays (inserted with one `unnest` statement each),
 * removals and other deletes run as ordered steps, delivery marks and reservations last.
 */
export class PostgresWriteGroup {
  // Shared bodies (one per Buffer routed to several queues).
  readonly bodyIds: string[] = [];
  readonly bodyRefs: number[] = [];
  readonly bodyData: Buffer[] = [];
  // Message rows, in call order.
  readonly messageQueues: string[] = [];
  readonly messageSeqs: number[] = [];
  readonly messageData: Array<Buffer | null> = [];
  readonly messageBodies: Array<string | null> = [];
  readonly messageIndexes: Array<Buffer | null> = [];
  /** Per queue id (encoded): how many messages this group adds and the queue's next seq after it. */
  readonly enqueued = new Map<string, { count: number; nextSeq: number }>();
  /** Deletes, spills and metadata writes, in call order; consecutive ones of one kind share a step (`appendTo`). */
  readonly steps: PostgresStep[] = [];
  /** The kind and rows of the last step, while later calls of that kind can still join it. */
  private last: { kind: string; rows: unknown } | undefined;
  /** Delivery count increments per queue id (encoded) and seq. */
  readonly marks = new Map<string, Map<number, number>>();
  /** New delivered watermarks per queue id (encoded), applied with GREATEST; `lowered` ones are set as is. */
  readonly watermarks = new Map<string, number>();
  readonly lowered = new Map<string, number>();
  /** Bytes of records in the group, to cap a group's size. */
  bytes = 0;
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: Error) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Callers that do not wait (markDelivered, reservations) must not cause unhandled rejections.
    this.done.catch(() => undefined);
  }

  /**
   * The rows of the last step when it is of `kind`, else of a new step made by `create` (its rows are filled by
   * the caller before the group commits): consecutive removals, spills or drops become one statement, and call
   * order is kept between kinds.
   */
  appendTo<T>(kind: string, create: () => { rows: T; step: PostgresStep }): T {
    if (this.last?.kind === kind) return this.last.rows as T;
    const { rows, step } = create();
    this.steps.push(step);
    this.last = { kind, rows };
    return rows;
  }

  /** Adds an ordered step of its own. */
  addStep(step: PostgresStep): void {
    this.steps.push(step);
    this.last = undefined;
  }

  /** Nothing to write. */
  get isEmpty(): boolean {
    return (
      this.messageSeqs.length === 0 &&
      this.steps.length === 0 &&
      this.marks.size === 0 &&
      this.watermarks.size === 0 &&
      this.lowered.size === 0 &&
      this.enqueued.size === 0
    );
  }
}
