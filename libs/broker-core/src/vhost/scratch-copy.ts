import type { Queue } from '../queue/queue.js';
import { VirtualHost } from './virtual-host.js';

/**
 * A storage-less copy of a vhost's topology (exchanges, queues with their options and exclusive owners, bindings,
 * queue limit) for validating a batch of commands all-or-nothing: run them on the copy with the same
 * `VirtualHost.execute`, and only if every one succeeds, on the real vhost. The copy's queues hold no messages.
 * Dispose it when done (queues with `x-expires` start timers).
 */
export function scratchCopyOf(vhost: VirtualHost): VirtualHost {
  const copy = new VirtualHost(vhost.name);
  for (const exchange of vhost.topology.exchanges()) {
    // Predeclared exchanges exist in the copy already; other `amq.` ones belong to the broker, out of reach of commands.
    if (exchange.name.startsWith('amq.') || copy.topology.getExchange(exchange.name)) continue;
    const options = {
      type: exchange.type.name,
      durable: exchange.durable,
      autoDelete: exchange.autoDelete,
      internal: exchange.internal,
      arguments: exchange.arguments,
    };
    copy.topology.declareExchange(exchange.name, options);
  }
  const queues = new Map<Queue, Queue>();
  for (const queue of vhost.allQueues()) {
    queues.set(queue, copy.createQueue(queue.name, queue.options, queue.exclusiveOwner ?? copy, false));
  }
  for (const binding of vhost.topology.bindings()) {
    const { source, routingKey, arguments: args } = binding;
    if (!copy.topology.getExchange(source.name)) continue;
    if (binding.destinationType === 'queue') {
      const queue = queues.get(binding.destination as Queue);
      if (queue) copy.topology.bindQueue(queue, source.name, routingKey, args);
    } else if (copy.topology.getExchange(binding.destination.name)) {
      copy.topology.bindExchange(binding.destination.name, source.name, routingKey, args);
    }
  }
  copy.maxQueues = vhost.maxQueues;
  return copy;
}
