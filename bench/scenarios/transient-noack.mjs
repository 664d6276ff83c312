// Reference test 2: as transient-ack but the consumer uses noAck, so the broker forgets a message as soon
// as it is written. Isolates publish + route + deliver cost from ack bookkeeping. The 10k unconsumed cap
// stays on only to bound broker memory; a noAck consumer normally keeps up and never hits it.
import { runSingleQueue } from '../lib/single-queue.mjs';

export default {
  name: 'transient-noack',
  summary: 'transient, noAck consumer (ref 2)',
  run: (ctx) => runSingleQueue(ctx, { isNoAck: true, isDurable: false, isPersistent: false, isConfirm: false }),
};
