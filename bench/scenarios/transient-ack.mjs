// Reference test 1e, the main transient target: default exchange, one fresh queue, one consumer with
// prefetch 100 acking every delivery, publisher keeping at most 10k messages unconsumed.
import { runSingleQueue } from '../lib/single-queue.mjs';

export default {
  name: 'transient-ack',
  summary: 'transient, prefetch 100, ack each, ≤ 10k unconsumed (ref 1e)',
  run: (ctx) => runSingleQueue(ctx, { isNoAck: false, isDurable: false, isPersistent: false, isConfirm: false }),
};
