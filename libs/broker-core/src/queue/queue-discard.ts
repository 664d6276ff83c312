import { reportToStderr } from '../background-task.js';
import type { QueueEntry } from './message.js';
import { PagedDeadLetters } from './paged-dead-letters.js';
import type { QueueBodies } from './queue-bodies.js';
import type { DeadLetterReason } from './queue-ports.js';
import type { Queue } from './queue.js';

/**
 * How a message leaves its queue for good. `drop`: without an ack (rejected, expired, over a length limit, past the
 * delivery limit), dead-lettered first when the queue has a dead-letter exchange. `forget`: any way (acked and
 * no-ack deliveries too), its stored copy, spilled transient record or shared row goes.
 *
 * Invariants: event loop only, never awaits (a paged-out body is read back in the background before its dead letter
 * goes, paged-dead-letters.ts). The entry has already left the ready list.
 */
export class QueueDiscard {
  /** Paged-out entries dropped to the dead-letter exchange, waiting for one batched read of their bodies. */
  private pagedDeadLetters: PagedDeadLetters<DeadLetterReason> | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly bodies: QueueBodies,
  ) {}

  /** A message leaves the queue without being acked: dead-letter it when the queue says so, then forget it. */
  drop(entry: QueueEntry, reason: DeadLetterReason): void {
    const queue = this.queue;
    if (!queue.isDeleted && queue.policy.deadLetterExchange !== undefined) {
      // A paged-out body is read back first; drops behind it wait their turn (paged-dead-letters.ts).
      if (entry.isPagedOut || (this.pagedDeadLetters !== undefined && !this.pagedDeadLetters.isIdle)) {
        return this.deadLetterLine().add(entry, reason);
      }
      queue.hooks?.deadLetter(queue, entry.message, reason);
    }
    this.forget(entry);
  }

  /** Drops the stored copy (or the spilled transient record) of a message that left the queue for good. */
  forget(entry: QueueEntry): void {
    const queue = this.queue;
    if (queue.shared !== undefined) {
      this.bodies.forgotten(entry);
      if (!queue.isDeleted) queue.shared.settled(queue, [entry.seq]);
      return;
    }
    if (!this.bodies.isStored(entry)) this.bodies.forgotten(entry);
    else if (!queue.isDeleted) queue.messageStore!.remove(queue.storageId, [entry.seq]);
  }

  /** The line of dead letters waiting for paged bodies, created at the first paged drop (most queues never page). */
  private deadLetterLine(): PagedDeadLetters<DeadLetterReason> {
    const queue = this.queue;
    return (this.pagedDeadLetters ??= new PagedDeadLetters<DeadLetterReason>(
      (entries) => this.bodies.read(entries),
      (entry, message, reason) => {
        if (message !== undefined && !queue.isDeleted) queue.hooks?.deadLetter(queue, message, reason);
        // Not stored any more (quarantined as damaged): nothing to dead-letter, the store reports it.
        if (message !== undefined) this.forget(entry);
      },
      (error) => (queue.hooks?.reportError ?? reportToStderr)(`queue '${queue.name}' dead-letter read`, error),
    ));
  }
}
