// Names the broker owns for the management path. `amq.` names are reserved: clients can neither declare nor delete
// them (AMQP 0-9-1 exchange.declare and queue.declare "reserved names" rules), and the broker refuses every other
// use of these two to ordinary connections.

/** The exchange the admin API publishes management requests to (only on the management listener). */
export const MANAGEMENT_EXCHANGE = 'amq.warren.management';

/** The broker-owned queue the management requests wait in; never listed, never reachable by clients. */
export const MANAGEMENT_QUEUE = 'amq.warren.management';

/** The vhost a management connection opens (requests name their own vhost in their data). */
export const MANAGEMENT_VHOST = '/';

/** The `connection_name` the admin API's management connections announce. */
export const MANAGEMENT_CONNECTION_NAME = 'warren-admin-api';

/** Whether a name is the management exchange or queue (refused to ordinary connections with 403). */
export function isManagementResource(name: string): boolean {
  return name === MANAGEMENT_EXCHANGE || name === MANAGEMENT_QUEUE;
}
