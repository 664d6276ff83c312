import { checkShortstrName } from './shortstr-name.js';
import { BindingRecord, bindingIdentityKey, type Binding } from './binding.js';
import { DefaultExchangeMatcher } from './default-exchange-matcher.js';
import { ExchangeTypeRegistry } from './exchange-type-registry.js';
import type { ExchangeType } from './exchange-type.js';
import { ALTERNATE_EXCHANGE_ARG, Exchange, type ExchangeDirectory, type ExchangeOptions } from './exchange.js';
import { fieldTableKey } from './field-table-key.js';
import { fieldValueEquals } from './field-value-equals.js';
import { fieldTypeClass, fieldTypeName, formatErlangTerm } from './field-value-format.js';
import { EMPTY_HEADERS, type Headers } from './headers.js';
import type { RoutableQueue } from './routable-queue.js';
import { traverseRoute, type RoutingKeys } from './route-traversal.js';
import {
  bindingInvalid,
  defaultExchangeRefused,
  exchangeInUse,
  inequivalentArg,
  invalidArgType,
  noExchange,
  reservedPrefix,
  systemExchangeDeletion,
  unknownExchangeType,
} from './topology-errors.js';
import type { TopologyChange } from './topology-change.js';

/** Exchanges every vhost has from the start (AMQP 0-9-1 §3.1.3.x, plus RabbitMQ's `amq.match`). */
const PREDECLARED_EXCHANGES: ReadonlyArray<readonly [name: string, type: string]> = [
  ['', 'direct'],
  ['amq.direct', 'direct'],
  ['amq.fanout', 'fanout'],
  ['amq.topic', 'topic'],
  ['amq.headers', 'headers'],
  ['amq.match', 'headers'],
];

type Destination<Q extends RoutableQueue> = Q | Exchange<Q>;

/**
 * One vhost's exchanges and bindings, with RabbitMQ 3.10's semantics and reply texts.
 *
 * Invariants: synchronous, event-loop only; every mutation either throws a {@link RoutingError} before changing
 * anything or completes and reports itself through {@link onChange}.
 */
export class Topology<Q extends RoutableQueue> implements ExchangeDirectory<Q> {
  /**
   * Called after each successful mutation, in order (bindings removed before the exchange that owned them).
   * Must not throw or mutate the topology.
   */
  onChange?: (change: TopologyChange<Q>) => void;
  private readonly types: ExchangeTypeRegistry;
  private readonly exchangesByName = new Map<string, Exchange<Q>>();
  /** Bindings by destination, then by identity: finds duplicates and a queue's bindings without a scan. */
  private readonly bindingsByDestination = new Map<Destination<Q>, Map<string, BindingRecord<Q>>>();
  /** Reused by every route() that can hop, so a publish allocates no work list. */
  private readonly routeVisited = new Set<Exchange<Q>>();

  /**
   * @param resolveQueue finds a queue by name for the default exchange; without it the default exchange routes
   *   nowhere.
   */
  constructor(
    readonly vhost: string,
    types?: ExchangeTypeRegistry,
    resolveQueue?: (name: string) => Q | undefined,
  ) {
    this.types = types ?? ExchangeTypeRegistry.withBuiltins();
    const options = { durable: true, autoDelete: false, internal: false, arguments: EMPTY_HEADERS };
    for (const [name, typeName] of PREDECLARED_EXCHANGES) {
      const type = this.types.get(typeName);
      if (type === undefined) throw new Error(`routing: exchange type '${typeName}' is not registered`);
      const matcher = name === '' ? new DefaultExchangeMatcher<Q>(resolveQueue ?? (() => undefined)) : undefined;
      this.exchangesByName.set(name, new Exchange<Q>(name, type, options, this, matcher));
    }
  }

  /**
   * The checks of `exchange.declare` that depend only on the request, in RabbitMQ's order (`rabbit_channel`): the
   * type (hard 503, not for passive declares) and the default exchange (403), then the name itself (406 unless a
   * valid shortstr, as only a JSON path can send). They come before the permission check; the checks against
   * existing state (equivalence, reserved prefix on creation) come after it.
   */
  checkDeclareExchange(name: string, options: ExchangeOptions, passive = false): void {
    if (!passive && this.types.get(options.type) === undefined) throw unknownExchangeType(options.type);
    if (name === '') throw defaultExchangeRefused();
    checkShortstrName('exchange', name);
  }

  /** The request-only checks of `exchange.delete`: the default exchange and `amq.*` exchanges are refused (403). */
  checkDeleteExchange(name: string): void {
    if (name === '') throw defaultExchangeRefused();
    if (name.startsWith('amq.')) throw systemExchangeDeletion(this.vhost, name);
  }

  /** The request-only check of a bind or unbind: no binding may involve the default exchange (403). */
  checkBindingEnds(source: string, destinationExchange?: string): void {
    if (source === '' || destinationExchange === '') throw defaultExchangeRefused();
  }

  /** The exchange named `name`, if declared. */
  getExchange(name: string): Exchange<Q> | undefined {
    return this.exchangesByName.get(name);
  }

  /** Every exchange, predeclared ones included. */
  exchanges(): IterableIterator<Exchange<Q>> {
    return this.exchangesByName.values();
  }

  /**
   * `exchange.declare`. Checks in RabbitMQ's order (`rabbit_channel`): type (hard 503), default exchange (403),
   * then equivalence with an existing exchange (406) or, for a new one, the `amq.` prefix (403) and the
   * `alternate-exchange` argument's type (406). Passive: 403 for `''`, 404 when missing, type ignored.
   */
  declareExchange(name: string, options: ExchangeOptions, passive = false): { exchange: Exchange<Q>; created: boolean } {
    this.checkDeclareExchange(name, options, passive);
    if (passive) {
      const exchange = this.exchangesByName.get(name);
      if (exchange === undefined) throw noExchange(this.vhost, name);
      return { exchange, created: false };
    }
    const type = this.types.get(options.type)!;
    const existing = this.exchangesByName.get(name);
    if (existing !== undefined) {
      this.assertEquivalent(existing, type, options);
      return { exchange: existing, created: false };
    }
    // [AMQP 0-9-1 exchange.declare "reserved-names"]: only enforced on creation, as RabbitMQ does.
    if (name.startsWith('amq.')) throw reservedPrefix(name);
    const alternate = options.arguments[ALTERNATE_EXCHANGE_ARG];
    if (alternate !== undefined && typeof alternate !== 'string') {
      throw invalidArgType(this.vhost, name, ALTERNATE_EXCHANGE_ARG, fieldTypeName(alternate));
    }
    const refusal = type.validateArguments?.(options.arguments);
    if (refusal !== undefined) throw bindingInvalid(refusal);
    const exchange = new Exchange<Q>(name, type, options, this);
    this.exchangesByName.set(name, exchange);
    this.onChange?.({ kind: 'exchange.declared', exchange });
    return { exchange, created: true };
  }

  /**
   * `exchange.delete`: 403 for `''` and `amq.*`, 406 with `ifUnused` while it is a binding source. A missing
   * exchange is not an error (RabbitMQ 3.x answers delete-ok); returns whether one was deleted. Removes its
   * bindings as source and as destination; sources left without bindings that are auto-delete go too.
   */
  deleteExchange(name: string, ifUnused: boolean): boolean {
    this.checkDeleteExchange(name);
    const exchange = this.exchangesByName.get(name);
    if (exchange === undefined) return false;
    if (ifUnused && exchange.bindings.size > 0) throw exchangeInUse(this.vhost, name);
    this.destroyExchange(exchange);
    return true;
  }

  /**
   * `queue.bind`: 403 for the default exchange, 404 for a missing one, 406 when the exchange type refuses the
   * arguments. Binding an identical binding again is a no-op; returns true if the binding is new.
   */
  bindQueue(queue: Q, exchangeName: string, routingKey: string, args: Headers): boolean {
    const source = this.requireSource(exchangeName);
    return this.link(source, queue, 'queue', routingKey, args);
  }

  /**
   * `queue.unbind`: 403 for the default exchange; a missing exchange or binding is not an error (RabbitMQ 3.x
   * answers unbind-ok). Returns true if a binding was removed; an auto-delete source left without bindings goes.
   */
  unbindQueue(queue: Q, exchangeName: string, routingKey: string, args: Headers): boolean {
    this.checkBindingEnds(exchangeName);
    const source = this.exchangesByName.get(exchangeName);
    return source !== undefined && this.unlinkMatching(source, queue, routingKey, args);
  }

  /**
   * `exchange.bind`: 403 if either side is the default exchange, 404 naming the missing exchange (the source
   * when both are missing, as RabbitMQ reports), 406 when the source's type refuses the arguments.
   */
  bindExchange(destinationName: string, sourceName: string, routingKey: string, args: Headers): boolean {
    this.checkBindingEnds(sourceName, destinationName);
    const source = this.requireSource(sourceName);
    const destination = this.exchangesByName.get(destinationName);
    if (destination === undefined) throw noExchange(this.vhost, destinationName);
    return this.link(source, destination, 'exchange', routingKey, args);
  }

  /** `exchange.unbind`: as {@link unbindQueue}, with an exchange as destination. */
  unbindExchange(destinationName: string, sourceName: string, routingKey: string, args: Headers): boolean {
    this.checkBindingEnds(sourceName, destinationName);
    const source = this.exchangesByName.get(sourceName);
    const destination = this.exchangesByName.get(destinationName);
    return source !== undefined && destination !== undefined && this.unlinkMatching(source, destination, routingKey, args);
  }

  /** The queue is being deleted: drops every binding to it; auto-delete sources left without bindings go too. */
  removeQueue(queue: Q): void {
    this.removeBindingsTo(queue);
  }

  /**
   * Routes a publish into `out` (a Set the caller reuses and clears): the exchange's own matches, its
   * exchange-to-exchange hops (each exchange at most once per publish), and the alternate exchange of any
   * exchange that matched nothing (RabbitMQ decides per exchange). Several routing keys (CC/BCC) route in one
   * pass, so the alternate exchange is used only if no key matched.
   */
  route(exchange: Exchange<Q>, routingKey: RoutingKeys, headers: Headers | undefined, out: Set<Q>): void {
    if (typeof routingKey === 'string' && exchange.exchangeMatcher === undefined && exchange.alternateExchange === undefined) {
      // The common case: no hop is possible, so skip the work list and its iterator: nothing is allocated here.
      exchange.queueMatcher.match(routingKey, headers, out);
      return;
    }
    const visited = this.routeVisited;
    try {
      traverseRoute(exchange, routingKey, headers, out, visited);
    } finally {
      // Cleared after use too, so the scratch set never keeps a deleted exchange alive.
      visited.clear();
    }
  }

  /** Every binding in the vhost. RabbitMQ's implicit default-exchange binding per queue is not included. */
  *bindings(): IterableIterator<Binding<Q>> {
    for (const exchange of this.exchangesByName.values()) yield* exchange.bindings;
  }

  /** The explicit bindings whose destination is `queue`. */
  bindingsOfQueue(queue: Q): Binding<Q>[] {
    const bindings = this.bindingsByDestination.get(queue);
    return bindings === undefined ? [] : Array.from(bindings.values());
  }

  private requireSource(name: string): Exchange<Q> {
    if (name === '') throw defaultExchangeRefused();
    const exchange = this.exchangesByName.get(name);
    if (exchange === undefined) throw noExchange(this.vhost, name);
    return exchange;
  }

  /** RabbitMQ `rabbit_exchange:assert_equivalence`: type, flags, then only the `alternate-exchange` argument. */
  private assertEquivalent(exchange: Exchange<Q>, type: ExchangeType, options: ExchangeOptions): void {
    const fail = (arg: string, received: string, current: string) => inequivalentArg(this.vhost, exchange.name, arg, received, current);
    if (type !== exchange.type) throw fail('type', `'${type.name}'`, `'${exchange.type.name}'`);
    if (options.durable !== exchange.durable) throw fail('durable', `'${options.durable}'`, `'${exchange.durable}'`);
    if (options.autoDelete !== exchange.autoDelete) {
      throw fail('auto_delete', `'${options.autoDelete}'`, `'${exchange.autoDelete}'`);
    }
    if (options.internal !== exchange.internal) throw fail('internal', `'${options.internal}'`, `'${exchange.internal}'`);
    const received = options.arguments[ALTERNATE_EXCHANGE_ARG];
    const current = exchange.arguments[ALTERNATE_EXCHANGE_ARG];
    if (received === undefined && current === undefined) return;
    if (
      received !== undefined &&
      current !== undefined &&
      fieldTypeClass(received) === fieldTypeClass(current) &&
      fieldValueEquals(received, current)
    ) {
      return;
    }
    throw fail(ALTERNATE_EXCHANGE_ARG, describeArgument(received), describeArgument(current));
  }

  private link(
    source: Exchange<Q>,
    destination: Destination<Q>,
    destinationType: 'queue' | 'exchange',
    routingKey: string,
    args: Headers,
  ): boolean {
    const refusal = source.type.validateBinding?.(routingKey, args);
    if (refusal !== undefined) throw bindingInvalid(refusal);
    const argsKey = fieldTableKey(args);
    const identity = bindingIdentityKey(source.name, routingKey, argsKey);
    let bindings = this.bindingsByDestination.get(destination);
    if (bindings?.has(identity)) return false;
    const binding = new BindingRecord<Q>(source, destination, destinationType, routingKey, args, argsKey);
    if (bindings === undefined) {
      bindings = new Map();
      this.bindingsByDestination.set(destination, bindings);
    }
    bindings.set(identity, binding);
    source.attachBinding(binding);
    this.onChange?.({ kind: 'binding.added', binding });
    return true;
  }

  private unlinkMatching(source: Exchange<Q>, destination: Destination<Q>, routingKey: string, args: Headers): boolean {
    const identity = bindingIdentityKey(source.name, routingKey, fieldTableKey(args));
    const binding = this.bindingsByDestination.get(destination)?.get(identity);
    if (binding === undefined || binding.source !== source) return false;
    this.unlink(binding);
    this.autoDeleteIfUnbound(source);
    return true;
  }

  /** Removes one binding from both indexes and reports it; idempotent. */
  private unlink(binding: BindingRecord<Q>): void {
    const bindings = this.bindingsByDestination.get(binding.destination);
    if (bindings?.get(binding.identityKey) !== binding) return;
    bindings.delete(binding.identityKey);
    // Drop empty maps, or every queue ever bound would leave an entry behind.
    if (bindings.size === 0) this.bindingsByDestination.delete(binding.destination);
    binding.source.detachBinding(binding);
    this.onChange?.({ kind: 'binding.removed', binding });
  }

  private destroyExchange(exchange: Exchange<Q>): void {
    this.exchangesByName.delete(exchange.name);
    for (const binding of Array.from(exchange.bindings)) this.unlink(binding as BindingRecord<Q>);
    const sources = this.unlinkBindingsTo(exchange);
    this.onChange?.({ kind: 'exchange.deleted', exchange });
    for (const source of sources) this.autoDeleteIfUnbound(source);
  }

  private removeBindingsTo(destination: Destination<Q>): void {
    for (const source of this.unlinkBindingsTo(destination)) this.autoDeleteIfUnbound(source);
  }

  /** Unlinks every binding to `destination`; returns their sources for the auto-delete check. */
  private unlinkBindingsTo(destination: Destination<Q>): Exchange<Q>[] {
    const bindings = this.bindingsByDestination.get(destination);
    if (bindings === undefined) return [];
    const sources: Exchange<Q>[] = [];
    for (const binding of Array.from(bindings.values())) {
      this.unlink(binding);
      sources.push(binding.source);
    }
    return sources;
  }

  /** An auto-delete exchange goes when its last binding as a source goes (never if it never had one). */
  private autoDeleteIfUnbound(exchange: Exchange<Q>): void {
    if (exchange.autoDelete && exchange.bindings.size === 0 && this.exchangesByName.get(exchange.name) === exchange) {
      this.destroyExchange(exchange);
    }
  }
}

/** `rabbit_misc:val/1` for a table field: `none`, or "the value 'v' of type 't'". */
function describeArgument(value: unknown): string {
  if (value === undefined) return 'none';
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString() : formatErlangTerm(value);
  return `the value '${text}' of type '${fieldTypeName(value)}'`;
}
