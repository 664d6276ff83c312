import type { HealthCheckRequest } from './health-check-request.js';
import type { ManagementPattern } from './management-patterns.js';
import type { ListPage, ListPageQuery } from './list-page.js';

// The `data` of each request and the `response` of its reply. Keys are RabbitMQ's snake_case, as the HTTP API
// speaks them. The broker still checks every field (a request's data is JSON from another process).

/** A JSON object as RabbitMQ's management API prints it. */
export type JsonObject = Record<string, unknown>;

/** `vhost` of a list request: one vhost, or all when absent. */
export interface VhostFilter {
  vhost?: string;
}

/** An object addressed by vhost and name. */
export interface VhostObject {
  vhost: string;
  name: string;
}

/** A binding addressed by its two ends. */
export interface BindingEnds {
  vhost: string;
  source: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
}

/** RabbitMQ's sample-window query parameters, in seconds (`message_stats` and length `_details` get `samples`). */
export interface StatsQuery {
  lengths_age?: number;
  lengths_incr?: number;
  msg_rates_age?: number;
  msg_rates_incr?: number;
  /** `'true'`: no `message_stats` or `_details` (RabbitMQ's `disable_stats`). */
  disable_stats?: string;
}

/** Health check answer, as RabbitMQ's `/api/health/checks/*`. */
export interface HealthAnswer {
  status: 'ok' | 'failed';
  reason?: string;
  alarms?: string[];
}

/** A user as RabbitMQ's `/api/users` prints it (tags as an array, RabbitMQ 3.9+). */
export interface UserJson {
  name: string;
  password_hash: string;
  hashing_algorithm: string;
  tags: string[];
  limits: JsonObject;
}

/** `PUT /api/users/{name}`: a password, or a ready hash, and tags (array or comma-separated). */
export interface UserPut {
  name: string;
  password?: string;
  password_hash?: string;
  hashing_algorithm?: string;
  tags?: string[] | string;
}

/** A user's permissions in one vhost, as `/api/permissions` prints them. */
export interface PermissionJson {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

/** A user's topic permissions on one exchange, as `/api/topic-permissions` prints them. */
export interface TopicPermissionJson {
  user: string;
  vhost: string;
  exchange: string;
  write: string;
  read: string;
}

/** Filters of a permissions list: one user and/or one vhost. */
export interface PermissionFilter {
  user?: string;
  vhost?: string;
}

/** A PUT answer: 201 when it created the object, 204 when it replaced one. */
export interface PutOutcome {
  created: boolean;
}

/** Request data, by pattern. */
export interface ManagementRequests {
  'management.authenticate': Record<string, never>;
  'management.overview': StatsQuery;
  'management.vhosts.list': StatsQuery;
  'management.connections.list': VhostFilter & StatsQuery;
  'management.connections.get': { name: string } & StatsQuery;
  'management.connections.close': { name: string; reason?: string };
  'management.channels.list': VhostFilter & StatsQuery;
  'management.channels.get': { name: string } & StatsQuery;
  'management.connections.channels': { name: string } & StatsQuery;
  'management.consumers.list': VhostFilter;
  'management.health.alarms': Record<string, never>;
  'management.health.ready': Record<string, never>;
  'management.health.storage': Record<string, never>;
  'management.health.check': HealthCheckRequest;
  'management.exchanges.list': VhostFilter & StatsQuery;
  'management.exchanges.get': VhostObject & StatsQuery;
  'management.exchanges.declare': VhostObject & {
    type: string;
    durable?: boolean;
    auto_delete?: boolean;
    internal?: boolean;
    arguments?: JsonObject;
  };
  'management.exchanges.delete': VhostObject & { if_unused?: boolean };
  'management.exchanges.bindings': VhostObject & { side: 'source' | 'destination' };
  'management.exchanges.publish': VhostObject & {
    properties: JsonObject;
    routing_key: string;
    payload: string;
    payload_encoding: 'string' | 'base64';
  };
  'management.exchanges.route': VhostObject & { routing_key?: string; headers?: JsonObject };
  'management.queues.list': VhostFilter & StatsQuery;
  'management.queues.page': VhostFilter & StatsQuery & ListPageQuery & { page: number };
  'management.queues.get': VhostObject & StatsQuery;
  'management.queues.declare': VhostObject & { durable?: boolean; auto_delete?: boolean; arguments?: JsonObject };
  'management.queues.delete': VhostObject & { if_empty?: boolean; if_unused?: boolean };
  'management.queues.bindings': VhostObject;
  'management.queues.get-messages': VhostObject & { count?: number; ackmode?: string; encoding?: string; truncate?: number };
  'management.queues.purge': VhostObject;
  'management.bindings.list': VhostFilter & Partial<BindingEnds>;
  'management.bindings.get': BindingEnds & { props: string };
  'management.bindings.create': BindingEnds & { routing_key?: string; arguments?: JsonObject };
  'management.bindings.delete': BindingEnds & { props: string };
  'management.definitions.export': Record<string, never>;
  'management.definitions.import': JsonObject;
  'management.definitions.export-vhost': { vhost: string };
  'management.definitions.import-vhost': JsonObject & { vhost: string };
  'management.whoami': Record<string, never>;
  'management.nodes.list': Record<string, never>;
  'management.nodes.get': { name: string };
  'management.users.list': Record<string, never>;
  'management.users.without-permissions': Record<string, never>;
  'management.users.get': { name: string };
  'management.users.put': UserPut;
  'management.users.delete': { name: string };
  'management.users.bulk-delete': { users: string[] };
  'management.vhosts.get': { vhost: string } & StatsQuery;
  'management.vhosts.put': { vhost: string; description?: string; tags?: string[] | string };
  'management.vhosts.delete': { vhost: string };
  'management.permissions.list': PermissionFilter;
  'management.permissions.get': { vhost: string; user: string };
  'management.permissions.put': { vhost: string; user: string; configure: string; write: string; read: string };
  'management.permissions.delete': { vhost: string; user: string };
  'management.topic-permissions.list': PermissionFilter;
  'management.topic-permissions.get': { vhost: string; user: string };
  'management.topic-permissions.put': { vhost: string; user: string; exchange: string; write: string; read: string };
  'management.topic-permissions.delete': { vhost: string; user: string; exchange?: string };
}

/** Reply `response`, by pattern. */
export interface ManagementResponses {
  'management.authenticate': { name: string; tags: string };
  'management.overview': JsonObject;
  'management.vhosts.list': JsonObject[];
  'management.connections.list': JsonObject[];
  'management.connections.get': JsonObject;
  'management.connections.close': JsonObject;
  'management.channels.list': JsonObject[];
  'management.channels.get': JsonObject;
  'management.connections.channels': JsonObject[];
  'management.consumers.list': JsonObject[];
  'management.health.alarms': HealthAnswer;
  'management.health.ready': HealthAnswer;
  'management.health.storage': HealthAnswer;
  'management.health.check': HealthAnswer & Record<string, unknown>;
  'management.exchanges.list': JsonObject[];
  'management.exchanges.get': JsonObject;
  'management.exchanges.declare': { created: boolean };
  'management.exchanges.delete': JsonObject;
  'management.exchanges.bindings': JsonObject[];
  'management.exchanges.publish': { routed: boolean };
  'management.exchanges.route': JsonObject;
  'management.queues.list': JsonObject[];
  'management.queues.page': ListPage<JsonObject>;
  'management.queues.get': JsonObject;
  'management.queues.declare': { created: boolean };
  'management.queues.delete': JsonObject;
  'management.queues.bindings': JsonObject[];
  'management.queues.get-messages': JsonObject[];
  'management.queues.purge': { message_count: number };
  'management.bindings.list': JsonObject[];
  'management.bindings.get': JsonObject;
  'management.bindings.create': { properties_key: string };
  'management.bindings.delete': JsonObject;
  'management.definitions.export': JsonObject;
  'management.definitions.import': JsonObject;
  'management.definitions.export-vhost': JsonObject;
  'management.definitions.import-vhost': JsonObject;
  'management.whoami': { name: string; tags: string[]; is_internal_user: boolean };
  'management.nodes.list': JsonObject[];
  'management.nodes.get': JsonObject;
  'management.users.list': UserJson[];
  'management.users.without-permissions': UserJson[];
  'management.users.get': UserJson;
  'management.users.put': PutOutcome;
  'management.users.delete': JsonObject;
  'management.users.bulk-delete': JsonObject;
  'management.vhosts.get': JsonObject;
  'management.vhosts.put': PutOutcome;
  'management.vhosts.delete': JsonObject;
  'management.permissions.list': PermissionJson[];
  'management.permissions.get': PermissionJson;
  'management.permissions.put': PutOutcome;
  'management.permissions.delete': JsonObject;
  'management.topic-permissions.list': TopicPermissionJson[];
  'management.topic-permissions.get': TopicPermissionJson[];
  'management.topic-permissions.put': PutOutcome;
  'management.topic-permissions.delete': JsonObject;
}

/** The data of one request. */
export type ManagementRequestData<P extends ManagementPattern> = ManagementRequests[P];

/** The response of one request. */
export type ManagementResponse<P extends ManagementPattern> = ManagementResponses[P];
