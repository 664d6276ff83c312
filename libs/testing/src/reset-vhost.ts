import type { VirtualHost } from '@app/broker-core';

/** What a reset removed. */
export interface ResetSummary {
  queues: number;
  exchanges: number;
  /** Bindings left between predeclared exchanges (those outlive the queue and exchange deletions). */
  exchangeBindings: number;
}

/** Whether an exchange exists in every vhost from the start (`''` and `amq.*`: nobody can declare those names). */
export function isPredeclaredExchange(name: string): boolean {
  return name === '' || name.startsWith('amq.');
}

/**
 * Returns a vhost to its initial topology: deletes every queue (their consumers get `basic.cancel`, their
 * messages, ready or unacked, are dropped), every exchange a client declared, and any binding left between
 * predeclared exchanges. Durable deletions are written to storage; the promises of those writes are collected
 * in `writes` for the caller to await.
 *
 * Invariant: synchronous, like every core mutation, so no client command interleaves with it.
 */
export function resetVhost(vhost: VirtualHost, writes: Promise<void>[]): ResetSummary {
  const topology = vhost.topology;
  const summary: ResetSummary = { queues: 0, exchanges: 0, exchangeBindings: 0 };
  // Counted up front: deleting a queue can auto-delete an exchange before the loop below reaches it.
  for (const exchange of topology.exchanges()) if (!isPredeclaredExchange(exchange.name)) summary.exchanges++;
  const collect = (): void => {
    const write = vhost.takePendingWrite();
    if (write) writes.push(write);
  };
  for (const queue of [...vhost.allQueues()]) {
    vhost.removeQueue(queue);
    collect();
    summary.queues++;
  }
  for (const exchange of [...topology.exchanges()]) {
    if (isPredeclaredExchange(exchange.name)) continue;
    topology.deleteExchange(exchange.name, false);
    collect();
  }
  for (const binding of [...topology.bindings()]) {
    topology.unbindExchange(binding.destination.name, binding.source.name, binding.routingKey, binding.arguments);
    collect();
    summary.exchangeBindings++;
  }
  return summary;
}
