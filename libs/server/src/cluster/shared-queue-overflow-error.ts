import type { Queue } from '@app/broker-core';

/**
 * A publish a shared queue's `x-overflow` (reject-publish, reject-publish-dlx) refused across nodes
 * (docs/SCALE-OUT.md, "Shared queues"): the publisher gets a `basic.nack`, the admin API a 503, as on one node.
 */
export class SharedQueueOverflowError extends Error {
  constructor(queue: Queue) {
    super(`queue '${queue.name}' in vhost '${queue.vhost}' is full (x-overflow ${queue.policy.overflow})`);
  }
}
