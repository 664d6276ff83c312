import type { Binding } from './binding.js';
import type { Exchange } from './exchange.js';
import { explainMismatch } from './explain-mismatch.js';
import type { Headers } from './headers.js';
import type { RoutableQueue } from './routable-queue.js';
import { traverseRoute, type RouteTracer, type RoutingKeys } from './route-traversal.js';

/** One step on the way from the published-to exchange to a queue. */
export type RouteHop<Q extends RoutableQueue> =
  | { readonly kind: 'binding'; readonly binding: Binding<Q> }
  /** The default exchange's implicit binding of every queue under its own name. */
  | { readonly kind: 'default-exchange'; readonly queueName: string }
  /** `source` matched nothing, so the message went on to its alternate exchange. */
  | { readonly kind: 'alternate-exchange'; readonly source: Exchange<Q>; readonly destination: Exchange<Q> };

/** A queue a publish reaches, with every path of hops that leads to it. */
export interface RoutedQueue<Q extends RoutableQueue> {
  readonly queue: Q;
  /** One path per matching binding into the queue; each exchange is reached by the first path that got there. */
  readonly paths: ReadonlyArray<ReadonlyArray<RouteHop<Q>>>;
}

/** A binding of a visited exchange that the publish did not take, and why. */
export interface UnmatchedBinding<Q extends RoutableQueue> {
  readonly binding: Binding<Q>;
  readonly reason: string;
}

/** What a publish would do: the queues it reaches and the exchanges it passes through. */
export interface RouteExplanation<Q extends RoutableQueue> {
  /** In routing order; the same set `Topology.route` produces. */
  readonly queues: ReadonlyArray<RoutedQueue<Q>>;
  /** Every exchange matched, in visiting order, the published-to exchange first. */
  readonly exchanges: ReadonlyArray<Exchange<Q>>;
  /** Every binding of a visited exchange that did not match, in visiting then binding order, with the reason. */
  readonly unmatched: ReadonlyArray<UnmatchedBinding<Q>>;
}

/**
 * Explains a route for the admin API's "route explain": the queues a publish reaches and the bindings (exchange
 * hops, alternate exchanges) that lead to each.
 *
 * Runs the publish path's traversal with a tracer, so hops, the cycle guard and alternate exchanges behave exactly
 * as in `Topology.route`. To learn which binding matched, it indexes each visited exchange's bindings in a
 * throwaway matcher of the exchange's own type: allocation here is fine, this is not the publish path.
 */
export function explainRoute<Q extends RoutableQueue>(
  exchange: Exchange<Q>,
  routingKey: RoutingKeys,
  headers: Headers | undefined,
): RouteExplanation<Q> {
  const keys: readonly string[] = typeof routingKey === 'string' ? [routingKey] : routingKey;
  const pathTo = new Map<Exchange<Q>, RouteHop<Q>[]>([[exchange, []]]);
  const queuePaths = new Map<Q, RouteHop<Q>[][]>();
  const unmatched: UnmatchedBinding<Q>[] = [];
  const addQueuePath = (queue: Q, path: RouteHop<Q>[]) => {
    const paths = queuePaths.get(queue);
    if (paths === undefined) queuePaths.set(queue, [path]);
    else paths.push(path);
  };

  const tracer: RouteTracer<Q> = {
    visitExchange(visited) {
      const base = pathTo.get(visited) ?? [];
      if (visited.isDefault) {
        const found = new Set<Q>();
        for (const key of keys) visited.queueMatcher.match(key, headers, found);
        for (const queue of found) addQueuePath(queue, [...base, { kind: 'default-exchange', queueName: queue.name }]);
        return;
      }
      const matcher = visited.type.createMatcher<Binding<Q>>(visited.arguments);
      for (const binding of visited.bindings) matcher.add(binding.routingKey, binding.arguments, binding);
      const matched = new Set<Binding<Q>>();
      for (const key of keys) matcher.match(key, headers, matched);
      // Walk the bindings rather than the matches so paths come in binding order, whatever the type's index order.
      for (const binding of visited.bindings) {
        if (!matched.has(binding)) {
          unmatched.push({ binding, reason: explainMismatch(visited, binding, keys, headers) });
          continue;
        }
        const path: RouteHop<Q>[] = [...base, { kind: 'binding', binding }];
        if (binding.destinationType === 'queue') addQueuePath(binding.destination as Q, path);
        else if (!pathTo.has(binding.destination as Exchange<Q>)) pathTo.set(binding.destination as Exchange<Q>, path);
      }
    },
    followAlternate(source, destination) {
      if (pathTo.has(destination)) return;
      pathTo.set(destination, [...(pathTo.get(source) ?? []), { kind: 'alternate-exchange', source, destination }]);
    },
  };

  const out = new Set<Q>();
  const visited = new Set<Exchange<Q>>();
  traverseRoute(exchange, routingKey, headers, out, visited, tracer);
  return {
    queues: Array.from(out, (queue) => ({ queue, paths: queuePaths.get(queue) ?? [] })),
    exchanges: Array.from(visited),
    unmatched,
  };
}
