import { BROKER_ACTOR, type TopologyCommand, type VirtualHost } from '@app/broker-core';
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
 * Returns a vhost to a fresh broker's topology: deletes every queue (their consumers get `basic.cancel`, their
 * messages, ready or unacked, are dropped), every exchange a client declared, the messages `x-delayed-message`
 * exchanges still hold, and the exchange-to-exchange bindings left between kept exchanges. The predeclared
 * exchanges stay (the management path's exchange and queue are in no vhost's topology, so nothing else is the
 * broker's). Durable deletions are written to `store`; the promises of those writes
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
  const doomed = [...topology.exchanges()].filter((exchange) => !isPredeclaredExchange(exchange.name));
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
