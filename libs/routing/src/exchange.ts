import type { Binding } from './binding.js';
import type { BindingMatcher, ExchangeType } from './exchange-type.js';
import type { Headers } from './headers.js';
import type { RoutableQueue } from './routable-queue.js';

/** The fields of `exchange.declare` that define an exchange. */
export interface ExchangeOptions {
  type: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: Headers;
}

/**
 * What an exchange needs from its topology while routing: alternate exchanges are looked up by name per publish
 * (they may be declared after the exchange that names them).
 * @internal
 */
export interface ExchangeDirectory<Q extends RoutableQueue> {
  getExchange(name: string): Exchange<Q> | undefined;
}

/** The name of the alternate-exchange argument (RabbitMQ `ae` docs page). */
export const ALTERNATE_EXCHANGE_ARG = 'alternate-exchange';

/**
 * An exchange: its declared properties, its bindings as a source and the type's binding indexes.
 *
 * Created and mutated only by `Topology`; the broker reads it and passes it back to `Topology.route`.
 */
export class Exchange<Q extends RoutableQueue> {
  readonly durable: boolean;
  readonly autoDelete: boolean;
  /** Stored only: refusing publishes to an internal exchange is the broker's job (403 on basic.publish). */
  readonly internal: boolean;
  readonly arguments: Headers;
  /** @internal Index of the bindings whose destination is a queue. */
  readonly queueMatcher: BindingMatcher<Q>;
  /**
   * @internal Index of the exchange-to-exchange bindings. Created with the first one and dropped with the last,
   * so routing through an exchange without any takes the no-hop fast path.
   */
  exchangeMatcher: BindingMatcher<Exchange<Q>> | undefined;
  /** @internal */
  readonly directory: ExchangeDirectory<Q>;
  private readonly sourceBindings = new Set<Binding<Q>>();
  private exchangeBindingCount = 0;
  /** Messages published to this exchange (RabbitMQ's `publish_in`); counted by the broker, read by its stats sampler. */
  publishIn = 0;
  /** Of those, messages routed to at least one destination (RabbitMQ's `publish_out`). */
  publishOut = 0;
  // Arguments are fixed at declaration (a redeclare must be equivalent), so the alternate exchange is read once.
  private readonly alternateExchangeName: string | undefined;

  /** @internal Use `Topology.declareExchange`. */
  constructor(
    readonly name: string,
    readonly type: ExchangeType,
    options: Omit<ExchangeOptions, 'type'>,
    directory: ExchangeDirectory<Q>,
    queueMatcher: BindingMatcher<Q> = type.createMatcher<Q>(options.arguments),
  ) {
    this.durable = options.durable;
    this.autoDelete = options.autoDelete;
    this.internal = options.internal;
    this.arguments = options.arguments;
    this.directory = directory;
    this.queueMatcher = queueMatcher;
    const alternate = options.arguments[ALTERNATE_EXCHANGE_ARG];
    this.alternateExchangeName = typeof alternate === 'string' ? alternate : undefined;
  }

  /** The alternate exchange's name, from `arguments['alternate-exchange']`. */
  get alternateExchange(): string | undefined {
    return this.alternateExchangeName;
  }

  /** The bindings this exchange is the source of. */
  get bindings(): ReadonlySet<Binding<Q>> {
    return this.sourceBindings;
  }

  /** True for the default exchange `''`, which routes by queue name and cannot be bound. */
  get isDefault(): boolean {
    return this.name === '';
  }

  /** @internal Indexes a binding whose source is this exchange. */
  attachBinding(binding: Binding<Q>): void {
    this.sourceBindings.add(binding);
    if (binding.destinationType === 'queue') {
      this.queueMatcher.add(binding.routingKey, binding.arguments, binding.destination as Q);
    } else {
      this.exchangeMatcher ??= this.type.createMatcher<Exchange<Q>>(this.arguments);
      this.exchangeMatcher.add(binding.routingKey, binding.arguments, binding.destination as Exchange<Q>);
      this.exchangeBindingCount++;
    }
  }

  /** @internal Removes a binding attached with {@link attachBinding}. */
  detachBinding(binding: Binding<Q>): void {
    if (!this.sourceBindings.delete(binding)) return;
    if (binding.destinationType === 'queue') {
      this.queueMatcher.remove(binding.routingKey, binding.arguments, binding.destination as Q);
    } else {
      this.exchangeMatcher?.remove(binding.routingKey, binding.arguments, binding.destination as Exchange<Q>);
      if (--this.exchangeBindingCount === 0) this.exchangeMatcher = undefined;
    }
  }
}
