import { BROKER_ACTOR, type Queue, type TopologyCommand, type VirtualHost } from '@app/broker-core';
import type { Exchange } from '@app/routing';
import type { MessageStore } from '@app/storage';

/** What a reset removed. */
export interface ResetSummary {
  queues: number;
  exchanges: number;
  /** Exchange-to-exchange bindings left on kept exchanges (those outlive the queue and exchange deletions). */
  exchangeBindings: number;
}

/** Whether an exchange exists in every vhost from the start (`''` and `amq.*`: nobody can declare those names). */
export function isPredeclaredExchange(name: string): boolean {
  return name === '' || name.startsWith('amq.');
}

/**
 * Whether `queue` is one of the broker's own queues, which live outside the vhost's queue table (the management
 * service's `amq.warren.management`): no client can declare or delete them, and a reset keeps them.
 */
export function isBrokerInternalQueue(vhost: VirtualHost, queue: Queue): boolean {
  return vhost.getQueue(queue.name) !== queue;
}

/**
 * Whether a reset keeps `exchange`: the predeclared ones, and those the broker itself serves through one of its
 * internal queues (`warren.requests`, which carries the admin API's requests). Recognised by that binding rather
 * than by name, so an exchange restored from a data directory is not mistaken for the broker's own.
 */
export function isBrokerOwnedExchange(vhost: VirtualHost, exchange: Exchange<Queue>): boolean {
  if (isPredeclaredExchange(exchange.name)) return true;
  for (const binding of exchange.bindings) {
    if (binding.destinationType === 'queue' && isBrokerInternalQueue(vhost, binding.destination as Queue)) return true;
  }
  return false;
}

/**
 * Returns a vhost to a fresh broker's topology: deletes every queue (their consumers get `basic.cancel`, their
 * messages, ready or unacked, are dropped), every exchange a client declared, the messages `x-delayed-message`
 * exchanges still hold, and the exchange-to-exchange bindings left between kept exchanges. The broker's own
 * exchanges and internal bindings stay. Durable deletions are written to `store`; the promises of those writes
 * are collected in `writes` for the caller to await.
 *
 * Invariant: synchronous, like every core mutation, so no client command interleaves with it.
 */
export function resetVhost(vhost: VirtualHost, store: MessageStore | undefined, writes: Promise<void>[]): ResetSummary {
  const topology = vhost.topology;
  const summary: ResetSummary = { queues: 0, exchanges: 0, exchangeBindings: 0 };
  const run = (command: TopologyCommand): void => {
    const { written } = vhost.execute(command, BROKER_ACTOR);
    if (written) writes.push(written);
  };
  // Decided up front: deleting a queue can auto-delete an exchange before the loop below reaches it.
  const doomed = [...topology.exchanges()].filter((exchange) => !isBrokerOwnedExchange(vhost, exchange));
  summary.exchanges = doomed.length;
  for (const queue of [...vhost.allQueues()]) {
    run({ kind: 'queue.delete', queue: queue.name, ifUnused: false, ifEmpty: false });
    summary.queues++;
  }
  for (const exchange of doomed) {
    run({ kind: 'exchange.delete', exchange: exchange.name, ifUnused: false });
    if (exchange.type.isDelayed && exchange.durable && store) writes.push(store.deleteQueue(vhost.delayed.storeId(exchange.name)));
  }
  // Deleting a delayed exchange leaves its held messages armed: one would be routed into a same-named exchange
  // of the next test. Every delayed exchange is gone now, so every held message goes.
  vhost.delayed.dispose();
  for (const binding of [...topology.bindings()]) {
    if (binding.destinationType !== 'exchange') continue;
    const { destination, source, routingKey } = binding;
    run({ kind: 'exchange.unbind', destination: destination.name, source: source.name, routingKey, arguments: binding.arguments });
    summary.exchangeBindings++;
  }
  return summary;
}
