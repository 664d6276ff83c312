import type { MessageCounters } from '@app/broker-core';

// RabbitMQ's Prometheus plugin (rabbitmq_prometheus) counter names and help texts, with how each is read from
// Warren's message counters.

/** A counter's name, help text and how to read it from a set of message counters. */
export type CounterSpec = readonly [name: string, help: string, read: (counters: MessageCounters) => number];

/** Global counters: RabbitMQ's `rabbitmq_global_messages_*_total`, from the broker's message counters. */
export const GLOBAL_COUNTERS: readonly CounterSpec[] = [
  ['rabbitmq_global_messages_received_total', 'Total number of messages received from publishers', (c) => c.publish],
  ['rabbitmq_global_messages_confirmed_total', 'Total number of messages confirmed to publishers', (c) => c.confirm],
  [
    'rabbitmq_global_messages_routed_total',
    'Total number of messages routed to queues or streams',
    (c) => c.publish - c.returnUnroutable - c.dropUnroutable,
  ],
  [
    'rabbitmq_global_messages_unroutable_dropped_total',
    'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
    (c) => c.dropUnroutable,
  ],
  [
    'rabbitmq_global_messages_unroutable_returned_total',
    'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
    (c) => c.returnUnroutable,
  ],
  [
    'rabbitmq_global_messages_delivered_total',
    'Total number of messages delivered to consumers',
    (c) => c.deliver + c.deliverNoAck + c.get + c.getNoAck,
  ],
  [
    'rabbitmq_global_messages_delivered_consume_manual_ack_total',
    'Total number of messages delivered to consumers using manual acknowledgement mode',
    (c) => c.deliver,
  ],
  [
    'rabbitmq_global_messages_delivered_consume_auto_ack_total',
    'Total number of messages delivered to consumers using automatic acknowledgement mode',
    (c) => c.deliverNoAck,
  ],
  [
    'rabbitmq_global_messages_delivered_get_manual_ack_total',
    'Total number of messages delivered to consumers using basic.get with manual acknowledgement mode',
    (c) => c.get,
  ],
  [
    'rabbitmq_global_messages_delivered_get_auto_ack_total',
    'Total number of messages delivered to consumers using basic.get with automatic acknowledgement mode',
    (c) => c.getNoAck,
  ],
  ['rabbitmq_global_messages_get_empty_total', 'Total number of times basic.get operations fetched no message', (c) => c.getEmpty],
  ['rabbitmq_global_messages_redelivered_total', 'Total number of messages redelivered to consumers', (c) => c.redeliver],
  ['rabbitmq_global_messages_acknowledged_total', 'Total number of messages acknowledged by consumers', (c) => c.ack],
];

/** Per-channel counters: RabbitMQ's `rabbitmq_channel_*` (summed over open channels on /metrics). */
export const CHANNEL_COUNTERS: readonly CounterSpec[] = [
  ['rabbitmq_channel_messages_published_total', 'Total number of messages published into an exchange on a channel', (c) => c.publish],
  [
    'rabbitmq_channel_messages_confirmed_total',
    'Total number of messages published into an exchange and confirmed on the channel',
    (c) => c.confirm,
  ],
  [
    'rabbitmq_channel_messages_unroutable_returned_total',
    'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
    (c) => c.returnUnroutable,
  ],
  [
    'rabbitmq_channel_messages_unroutable_dropped_total',
    'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
    (c) => c.dropUnroutable,
  ],
  [
    'rabbitmq_channel_messages_delivered_ack_total',
    'Total number of messages delivered to consumers in manual acknowledgement mode',
    (c) => c.deliver,
  ],
  [
    'rabbitmq_channel_messages_delivered_total',
    'Total number of messages delivered to consumers in automatic acknowledgement mode',
    (c) => c.deliverNoAck,
  ],
  ['rabbitmq_channel_messages_redelivered_total', 'Total number of messages redelivered to consumers', (c) => c.redeliver],
  ['rabbitmq_channel_messages_acked_total', 'Total number of messages acknowledged by consumers', (c) => c.ack],
  ['rabbitmq_channel_get_ack_total', 'Total number of messages fetched with basic.get in manual acknowledgement mode', (c) => c.get],
  ['rabbitmq_channel_get_total', 'Total number of messages fetched with basic.get in automatic acknowledgement mode', (c) => c.getNoAck],
  ['rabbitmq_channel_get_empty_total', 'Total number of times basic.get operations fetched no message', (c) => c.getEmpty],
];
