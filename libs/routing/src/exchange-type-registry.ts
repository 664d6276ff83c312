import { delayedMessageExchange } from './delayed/delayed-message-exchange.js';
import { directExchange } from './direct/direct-exchange.js';
import type { ExchangeType } from './exchange-type.js';
import { fanoutExchange } from './fanout/fanout-exchange.js';
import { headersExchange } from './headers/headers-exchange.js';
import { topicExchange } from './topic/topic-exchange.js';

/** Exchange types by name (RabbitMQ `rabbit_registry`); open for plugins such as `x-delayed-message`. */
export class ExchangeTypeRegistry {
  private readonly types = new Map<string, ExchangeType>();

  /** A registry holding the four AMQP 0-9-1 types: direct, fanout, topic and headers. */
  static withBuiltins(): ExchangeTypeRegistry {
    const registry = new ExchangeTypeRegistry();
    for (const type of [directExchange, fanoutExchange, topicExchange, headersExchange]) registry.register(type);
    registry.register(delayedMessageExchange(registry));
    return registry;
  }

  /** Adds a type; a name can be registered once. */
  register(type: ExchangeType): void {
    if (this.types.has(type.name)) throw new Error(`routing: exchange type '${type.name}' is already registered`);
    this.types.set(type.name, type);
  }

  /** The type registered under `name`, if any. */
  get(name: string): ExchangeType | undefined {
    return this.types.get(name);
  }
}
