// Reference test 3: durable queue, deliveryMode 2, publisher confirms with at most 1000 outstanding, one
// consumer (prefetch 100) acking each. Confirms only arrive once the broker has taken responsibility for a
// message, so this includes the store's write path; the consumer keeps the backlog near zero.
import { runSingleQueue } from '../lib/single-queue.mjs';

export default {
  name: 'persistent-confirm',
  summary: 'persistent + confirms (window 1000), consumer acks (ref 3)',
  run: (ctx) => runSingleQueue(ctx, { isNoAck: false, isDurable: true, isPersistent: true, isConfirm: true }),
};
