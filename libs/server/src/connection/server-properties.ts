import type { FieldTable } from '@app/codec';

/** Warren's version, sent in `connection.start`. */
export const WARREN_VERSION = '0.1.0';

/**
 * The `server-properties` table of `connection.start`. Capabilities list exactly what Warren implements:
 * clients negotiate features through them, not through the product name.
 */
export function serverProperties(): FieldTable {
  return {
    product: 'Warren',
    version: WARREN_VERSION,
    platform: `Node.js ${process.version}`,
    copyright: 'Copyright (c) the Warren authors',
    information: 'Warren, an AMQP 0-9-1 broker for TypeScript and NestJS teams. Licensed under the MIT license.',
    cluster_name: 'warren',
    capabilities: {
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      authentication_failure_close: true,
      per_consumer_qos: true,
      direct_reply_to: true,
    },
  };
}
