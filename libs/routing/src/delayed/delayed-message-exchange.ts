import type { BindingMatcher, ExchangeType } from '../exchange-type.js';
import type { Headers } from '../headers.js';

/** The exchange type name of RabbitMQ's delayed-message plugin. */
export const DELAYED_MESSAGE_TYPE = 'x-delayed-message';
/** The argument naming the type that routes once the delay is over. */
export const DELAYED_TYPE_ARG = 'x-delayed-type';

/**
 * `x-delayed-message` (compatible with rabbitmq-delayed-message-exchange): routes like the exchange type named by
 * its `x-delayed-type` argument, after holding each message for its `x-delay` header (milliseconds). Holding is the
 * broker's job (it owns timers and storage); this type only supplies the matching and flags itself `isDelayed`.
 */
export function delayedMessageExchange(types: { get(name: string): ExchangeType | undefined }): ExchangeType {
  const underlying = (args: Headers | undefined): ExchangeType | undefined => {
    const name = args?.[DELAYED_TYPE_ARG];
    if (typeof name !== 'string' || name === DELAYED_MESSAGE_TYPE) return undefined;
    return types.get(name);
  };
  return {
    name: DELAYED_MESSAGE_TYPE,
    isDelayed: true,
    createMatcher<D>(args?: Headers): BindingMatcher<D> {
      // Declaring validated the argument; a missing one only happens for matchers built outside a declare.
      return (underlying(args) ?? types.get('direct')!).createMatcher<D>(args);
    },
    validateArguments(args: Headers): string | undefined {
      return underlying(args) ? undefined : "Invalid argument, 'x-delayed-type' must be an existing exchange type";
    },
  };
}
