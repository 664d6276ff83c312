/** DI token of the BrokerConfig. */
export const BROKER_CONFIG = Symbol('BROKER_CONFIG');
