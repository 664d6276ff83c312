import type { Channel } from 'amqplib';
import type { GroupQueueNames } from './warren-constants.js';

/** Everything a consumer group declares. */
export interface GroupTopology {
  eventsExchange: string;
  requestsExchange: string;
  names: GroupQueueNames;
  eventPatterns: readonly string[];
  requestPatterns: readonly string[];
  /** One delay queue per distinct non-zero retry delay. */
  retryDelaysMs: readonly number[];
}

/**
 * Declares a group's exchanges, queues and bindings (idempotent, so every instance and every reconnect runs it):
 *
 * - `eventsExchange`, `requestsExchange`: durable topic exchanges.
 * - `<group>`: durable, bound to the events exchange with each event pattern.
 * - `<group>.retry.<ms>`: durable, `x-message-ttl: ms`, dead-lettering through the default exchange back to
 *   `<group>` (RabbitMQ "Dead Letter Exchanges": the default exchange with an explicit routing key, so that a
 *   retried event reaches only this group and not every group bound to its pattern).
 * - `<group>.dlq`: durable, where messages go after the last retry.
 * - `<group>.rpc`: durable, bound to the requests exchange with each request pattern.
 *
 * Bindings of patterns a newer version no longer handles are not removed: unbind them through the admin API.
 */
export async function declareGroupTopology(channel: Channel, topology: GroupTopology): Promise<void> {
  const { names } = topology;
  await channel.assertExchange(topology.eventsExchange, 'topic', { durable: true });
  await channel.assertExchange(topology.requestsExchange, 'topic', { durable: true });
  if (topology.eventPatterns.length > 0) {
    await channel.assertQueue(names.events, { durable: true });
    for (const pattern of topology.eventPatterns) await channel.bindQueue(names.events, topology.eventsExchange, pattern);
    for (const delayMs of topology.retryDelaysMs) {
      await channel.assertQueue(names.retry(delayMs), {
        durable: true,
        arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': names.events },
      });
    }
    await channel.assertQueue(names.deadLetter, { durable: true });
  }
  if (topology.requestPatterns.length > 0) {
    await channel.assertQueue(names.requests, { durable: true });
    for (const pattern of topology.requestPatterns) await channel.bindQueue(names.requests, topology.requestsExchange, pattern);
  }
}
