import { Message, type QueueEntry } from './message.js';
import type { PageReader } from './queue-pager.js';

interface PendingDeadLetter<R> {
  readonly entry: QueueEntry;
  /** Undefined while the body is paged out. */
  readonly message: Message | undefined;
  readonly reason: R;
}

/**
 * A queue's dead letters while some of them need their bodies read back from the store (paged out): drops are
 * lined up and handed on in drop order, the paged bodies of one turn read with one batched store read. Once a
 * paged drop is waiting, later drops of loaded messages wait behind it, so dead letters keep their queue order.
 */
export class PagedDeadLetters<R> {
  private pending: Array<PendingDeadLetter<R>> = [];
  private isBusy = false;

  /**
   * @param read reads the bodies of paged-out entries
   * @param deliver hands a dead letter on; `message` is undefined when the store no longer has it
   * @param failed a read failed (store faulted): those messages stay stored and come back after a restart
   */
  constructor(
    private readonly read: PageReader,
    private readonly deliver: (entry: QueueEntry, message: Message | undefined, reason: R) => void,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** True when nothing is lined up: a loaded drop may be dead-lettered at once. */
  get isIdle(): boolean {
    return !this.isBusy;
  }

  /** Lines up a drop; paged-out entries (`isPagedOut`) get their bodies read first. */
  add(entry: QueueEntry, reason: R): void {
    this.pending.push({ entry, message: entry.isPagedOut ? undefined : entry.message, reason });
    if (this.isBusy) return;
    this.isBusy = true;
    // The drops of the current operation (an expiry sweep, a run of publishes past x-max-length) share one read.
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) {
      this.isBusy = false;
      return;
    }
    const paged = batch.filter((p) => p.message === undefined);
    const handOn = (read: ReadonlyArray<{ data: Buffer } | undefined> | undefined): void => {
      let k = 0;
      for (const { entry, message, reason } of batch) {
        if (message !== undefined) {
          this.deliver(entry, message, reason);
          continue;
        }
        const stored = read?.[k++];
        // A failed read leaves the entry alone: its stored copy stays (no loss; it returns after a restart).
        if (read !== undefined) this.deliver(entry, stored && Message.fromStorage(stored.data, entry.isPersistent), reason);
      }
      this.flush();
    };
    if (paged.length === 0) return handOn(undefined);
    this.read(paged.map((p) => p.entry)).then(handOn, (error: unknown) => {
      this.failed(error);
      handOn(undefined);
    });
  }
}
