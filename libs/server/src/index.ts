// The AMQP server: the broker object, connection and channel state machines, listener, management service,
// configuration and logger. Apps and the test kit import it through `@app/server`.
export * from './warren-broker.js';
export * from './config/broker-config.js';
export * from './logger.js';
export * from './resource-alarms.js';
export { AmqpConnection } from './connection/connection.js';
export * from './definitions/definitions-import.js';
