import { Message, type BrokerCore, type Queue, type SharedQueueLink } from '@app/broker-core';
import type { NodeMail, NodeMailbox } from '@app/storage';

/**
 * A queue of another node (non-durable or exclusive, docs/SCALE-OUT.md "Queues of one node") as this node holds
 * it: declared here so names, passive declares and bindings work, but its messages live on its node. What this
 * node routes to it is forwarded there through the node mailbox (group-committed; the publisher's confirm follows
 * the commit). Nothing is ever claimed or held here, so acks, purges and gets have nothing to act on; auto-delete
 * and `x-expires` are its node's to decide (`used` and `expire` keep the vhost from deciding them here).
 */
export class RemoteQueueLink implements SharedQueueLink {
  private hasWarned = false;

  constructor(
    /** The node the queue lives on. */
    readonly node: string,
    private readonly mailbox: NodeMailbox,
    /** Told once when a consumer of this node starts waiting here for messages that never come. */
    private readonly onIdleConsumer?: (queue: Queue, node: string) => void,
  ) {}

  publish(queue: Queue, message: Message): Promise<void> {
    return this.mailbox.send(this.node, queue.vhost, message.storageData, queue.name);
  }

  settled(): void {}

  released(): void {}

  purged(): Promise<number> {
    return Promise.resolve(0);
  }

  count(): Promise<number> {
    return Promise.resolve(0);
  }

  claimForGet(): Promise<void> {
    return Promise.resolve();
  }

  wanted(): void {}

  used(queue: Queue): void {
    // Called on consume too (Queue.touch): the consumer is accepted, as RabbitMQ accepts it, but nothing is ever
    // delivered here (docs/SCALE-OUT.md, "Queues of one node"): say so where operators look.
    if (queue.consumerCount > 0 && !this.hasWarned) {
      this.hasWarned = true;
      this.onIdleConsumer?.(queue, this.node);
    }
  }

  expire(): void {}
}

/**
 * Copies of other nodes' non-durable, non-exclusive queues that are consumed here through the shared table
 * (shared-queue-feed.ts) rather than forwarded: the node each belongs to (weak: gone with the queue object).
 */
const sharedCopyNodes = new WeakMap<Queue, string>();

/** Records that `queue` is another node's non-durable queue held here as a shared-table copy. */
export function markSharedCopy(queue: Queue, node: string): void {
  sharedCopyNodes.set(queue, node);
}

/** The node a queue of another node lives on, or undefined for this node's own queues. */
export function remoteNodeOf(queue: Queue): string | undefined {
  return queue.shared instanceof RemoteQueueLink ? queue.shared.node : sharedCopyNodes.get(queue);
}

/**
 * Delivers a message another node routed to one of this node's queues (mail with a queue): enqueued as a publish
 * routed to that queue alone. A queue gone meanwhile (deleted, its connection closed) drops it, as a publish to a
 * deleted queue is lost on one node.
 */
export function deliverForwarded(core: BrokerCore, mail: NodeMail & { queue: string }): void {
  const vhost = core.getVhost(mail.vhost);
  const queue = vhost?.getQueue(mail.queue);
  if (vhost === undefined || queue === undefined || remoteNodeOf(queue) !== undefined) return;
  let message = Message.fromStorage(mail.data, false);
  // The record does not say whether it is persistent; the properties do (a durable exclusive queue stores it).
  if (message.properties.deliveryMode === 2) message = Message.fromStorage(mail.data, true);
  vhost.enqueueForwarded(queue, message);
}
