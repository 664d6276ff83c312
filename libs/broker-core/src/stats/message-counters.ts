/**
 * Cumulative message counters of one broker object (queue, channel, vhost…), named after RabbitMQ's
 * `message_stats` fields. The hot path increments these plain number fields on objects it already holds (no map
 * lookup, no allocation); the stats sampler reads them on a timer. Which fields an object uses depends on its kind:
 * a queue never counts `confirm`, a channel counts everything.
 */
export class MessageCounters {
  /** Messages published (on a channel) or enqueued (on a queue). */
  publish = 0;
  /** Publisher confirms (`basic.ack`) sent. */
  confirm = 0;
  /** Mandatory messages that routed nowhere and were returned (`basic.return`). */
  returnUnroutable = 0;
  /** Non-mandatory messages that routed nowhere and were dropped. */
  dropUnroutable = 0;
  /** `basic.deliver` to consumers that ack. */
  deliver = 0;
  /** `basic.deliver` to `noAck` consumers. */
  deliverNoAck = 0;
  /** Deliveries (and gets) acknowledged. */
  ack = 0;
  /** Deliveries (and gets) of messages with the redelivered flag. */
  redeliver = 0;
  /** `basic.get` answered with a message, to be acked. */
  get = 0;
  /** `basic.get` answered with a message, `noAck`. */
  getNoAck = 0;
  /** `basic.get` answered `get-empty`. */
  getEmpty = 0;

  /** Adds every counter of `other` to this one (a closed channel's totals kept by its connection and vhost). */
  add(other: MessageCounters): void {
    this.publish += other.publish;
    this.confirm += other.confirm;
    this.returnUnroutable += other.returnUnroutable;
    this.dropUnroutable += other.dropUnroutable;
    this.deliver += other.deliver;
    this.deliverNoAck += other.deliverNoAck;
    this.ack += other.ack;
    this.redeliver += other.redeliver;
    this.get += other.get;
    this.getNoAck += other.getNoAck;
    this.getEmpty += other.getEmpty;
  }
}

/** The counters of a channel-like object as RabbitMQ names them in `message_stats` (`deliver_get` is derived). */
export const MESSAGE_STAT_NAMES = [
  'publish',
  'confirm',
  'return_unroutable',
  'drop_unroutable',
  'deliver',
  'deliver_no_ack',
  'ack',
  'redeliver',
  'get',
  'get_no_ack',
  'get_empty',
  'deliver_get',
] as const;

/** One of RabbitMQ's `message_stats` field names. */
export type MessageStatName = (typeof MESSAGE_STAT_NAMES)[number];

/** Writes the counters into `out` at `offset`, in {@link MESSAGE_STAT_NAMES} order. */
export function writeCounters(counters: MessageCounters, out: Float64Array | number[], offset: number): void {
  out[offset] = counters.publish;
  out[offset + 1] = counters.confirm;
  out[offset + 2] = counters.returnUnroutable;
  out[offset + 3] = counters.dropUnroutable;
  out[offset + 4] = counters.deliver;
  out[offset + 5] = counters.deliverNoAck;
  out[offset + 6] = counters.ack;
  out[offset + 7] = counters.redeliver;
  out[offset + 8] = counters.get;
  out[offset + 9] = counters.getNoAck;
  out[offset + 10] = counters.getEmpty;
  out[offset + 11] = counters.deliver + counters.deliverNoAck + counters.get + counters.getNoAck;
}
