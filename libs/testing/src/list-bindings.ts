import type { Headers } from '@app/routing';
import type { Queue, VirtualHost } from '@app/broker-core';

/** One binding, by names. */
export interface BindingInfo {
  /** The source exchange. */
  source: string;
  /** The queue or exchange bound to it. */
  destination: string;
  destinationType: 'queue' | 'exchange';
  routingKey: string;
  arguments: Headers;
}

/** Which bindings {@link listBindings} returns; filters combine. */
export interface BindingFilter {
  /** Only bindings whose source is this exchange. */
  exchange?: string;
  /** Only bindings whose destination is this queue. */
  queue?: string;
  /**
   * Include the bindings of `capture()` queues. Left out by default, so a capture does not change what a test
   * asserts.
   */
  includeInternal?: boolean;
}

/**
 * The explicit bindings of a vhost in declaration order (per source exchange), filtered. The default exchange's
 * implicit binding of every queue is not listed, as in RabbitMQ's `list_bindings` without it.
 */
export function listBindings(vhost: VirtualHost, filter: BindingFilter, isCaptureQueue: (queue: Queue) => boolean): BindingInfo[] {
  const found: BindingInfo[] = [];
  const sources = filter.exchange === undefined ? vhost.topology.exchanges() : [vhost.topology.getExchange(filter.exchange)];
  for (const source of sources) {
    if (source === undefined) continue;
    for (const binding of source.bindings) {
      const isQueue = binding.destinationType === 'queue';
      if (filter.queue !== undefined && (!isQueue || binding.destination.name !== filter.queue)) continue;
      if (isQueue && !filter.includeInternal && isCaptureQueue(binding.destination as Queue)) continue;
      found.push({
        source: source.name,
        destination: binding.destination.name,
        destinationType: binding.destinationType,
        routingKey: binding.routingKey,
        arguments: binding.arguments,
      });
    }
  }
  return found;
}
