import type { Exchange } from './exchange.js';
import type { Headers } from './headers.js';
import type { RoutableQueue } from './routable-queue.js';

/** One routing key, or several (a publish with `CC`/`BCC` headers routes all its keys in one pass). */
export type RoutingKeys = string | readonly string[];

/**
 * Observes a traversal; `explainRoute` uses it to record paths. The publish path passes none.
 * @internal
 */
export interface RouteTracer<Q extends RoutableQueue> {
  /** An exchange is about to be matched (in visiting order, each at most once). */
  visitExchange(exchange: Exchange<Q>): void;
  /** `from` matched nothing and its alternate exchange `to` will be visited. */
  followAlternate(from: Exchange<Q>, to: Exchange<Q>): void;
}

/**
 * The shared publish path (lavinmq `Exchange#find_queues`, RabbitMQ `rabbit_exchange:route1`): match an exchange,
 * follow its exchange-to-exchange bindings, and fall back to its alternate exchange when it matched nothing.
 *
 * `visited` is both the work list and the cycle guard: a JS Set iterates entries added during iteration, and adds
 * each exchange once, so every exchange is matched at most once per publish and `a → b → a` terminates. The caller
 * owns and clears it, so a publish allocates no work list.
 *
 * Invariants: synchronous; matchers must not call back into the topology.
 * @internal
 */
export function traverseRoute<Q extends RoutableQueue>(
  start: Exchange<Q>,
  routingKeys: RoutingKeys,
  headers: Headers | undefined,
  out: Set<Q>,
  visited: Set<Exchange<Q>>,
  tracer?: RouteTracer<Q>,
): void {
  visited.add(start);
  for (const exchange of visited) {
    tracer?.visitExchange(exchange);
    if (matchExchange(exchange, routingKeys, headers, out, visited)) continue;
    // RabbitMQ decides per exchange, on that exchange's own matches (queues or exchanges, already seen or not).
    const alternateName = exchange.alternateExchange;
    if (alternateName === undefined) continue;
    const alternate = exchange.directory.getExchange(alternateName);
    // A missing alternate is ignored (RabbitMQ cons_if_present). The default exchange as alternate routes
    // nothing in RabbitMQ, whose default exchange only routes by name when published to directly.
    if (alternate === undefined || alternate.isDefault || visited.has(alternate)) continue;
    visited.add(alternate);
    tracer?.followAlternate(exchange, alternate);
  }
}

/** Matches one exchange's own bindings for every key; returns true if any binding matched. */
export function matchExchange<Q extends RoutableQueue>(
  exchange: Exchange<Q>,
  routingKeys: RoutingKeys,
  headers: Headers | undefined,
  out: Set<Q>,
  hops: Set<Exchange<Q>>,
): boolean {
  if (typeof routingKeys === 'string') return matchKey(exchange, routingKeys, headers, out, hops);
  let isMatched = false;
  for (let i = 0; i < routingKeys.length; i++) {
    if (matchKey(exchange, routingKeys[i], headers, out, hops)) isMatched = true;
  }
  return isMatched;
}

function matchKey<Q extends RoutableQueue>(
  exchange: Exchange<Q>,
  routingKey: string,
  headers: Headers | undefined,
  out: Set<Q>,
  hops: Set<Exchange<Q>>,
): boolean {
  let isMatched = exchange.queueMatcher.match(routingKey, headers, out);
  const exchangeMatcher = exchange.exchangeMatcher;
  if (exchangeMatcher !== undefined && exchangeMatcher.match(routingKey, headers, hops)) isMatched = true;
  return isMatched;
}
