import type { Topology } from '@app/routing';
import type { Message } from '../queue/message.js';
import type { DeadLetterReason, Queue } from '../queue/queue.js';
import { deadLetterMessage, isDeadLetterCycle } from './dead-letter.js';
import { senderSelectedKeys } from './sender-selected.js';

interface PendingDeadLetter {
  queue: Queue;
  message: Message;
  reason: DeadLetterReason;
}

/**
 * Routes messages that left a queue for good to the queue's dead-letter exchange (RabbitMQ semantics, docs: "Dead
 * Letter Exchanges"): no confirms, a missing exchange drops them, cycles without a rejection are dropped.
 *
 * Invariants: event loop only, never awaits. Dead letters are lined up and drained by one loop, so a dead letter
 * enqueued on a queue that drops another one in turn (a length limit) never recurses into that queue.
 */
export class DeadLetterRouter {
  /** Dead letters waiting to be routed. */
  private readonly pending: PendingDeadLetter[] = [];
  private isRouting = false;

  constructor(
    private readonly topology: Topology<Queue>,
    /** Enqueues a dead letter on the queues it routed to (the vhost's publish path, without confirms). */
    private readonly enqueue: (targets: Set<Queue>, message: Message) => void,
  ) {}

  /** A message left `queue` for `reason`: routes it to the queue's dead-letter exchange, after those lined up. */
  deadLetter(queue: Queue, message: Message, reason: DeadLetterReason): void {
    this.pending.push({ queue, message, reason });
    if (this.isRouting) return;
    this.isRouting = true;
    try {
      for (let next = this.pending.shift(); next; next = this.pending.shift()) this.route(next);
    } finally {
      this.isRouting = false;
    }
  }

  private route({ queue, message, reason }: PendingDeadLetter): void {
    const exchangeName = queue.policy.deadLetterExchange!;
    const exchange = this.topology.getExchange(exchangeName);
    if (!exchange) return;
    const routingKey = queue.policy.deadLetterRoutingKey;
    const dead = deadLetterMessage(message, queue.name, reason, exchangeName, routingKey ?? message.routingKey);
    const keys = routingKey ?? senderSelectedKeys(message.routingKey, message.properties.headers ?? {});
    const targets = new Set<Queue>();
    this.topology.route(exchange, keys, dead.properties.headers, targets);
    for (const target of targets) if (isDeadLetterCycle(dead, target.name)) targets.delete(target);
    if (targets.size > 0) this.enqueue(targets, dead);
  }
}
