/**
 * Every management request, by name. The pattern is the request's routing key on the management exchange and the
 * `pattern` of its envelope; the broker keeps one handler per pattern.
 */
export const ManagementPattern = {
  Authenticate: 'management.authenticate',
  Overview: 'management.overview',
  VhostsList: 'management.vhosts.list',
  ConnectionsList: 'management.connections.list',
  ConnectionsGet: 'management.connections.get',
  ConnectionsClose: 'management.connections.close',
  ChannelsList: 'management.channels.list',
  /** One channel by name (`GET /api/channels/{name}`), with its consumers. */
  ChannelsGet: 'management.channels.get',
  /** The channels of one connection (`GET /api/connections/{name}/channels`). */
  ConnectionsChannels: 'management.connections.channels',
  ConsumersList: 'management.consumers.list',
  HealthAlarms: 'management.health.alarms',
  HealthStorage: 'management.health.storage',
  HealthCheck: 'management.health.check',
  ExchangesList: 'management.exchanges.list',
  ExchangesGet: 'management.exchanges.get',
  ExchangesDeclare: 'management.exchanges.declare',
  ExchangesDelete: 'management.exchanges.delete',
  ExchangesBindings: 'management.exchanges.bindings',
  ExchangesPublish: 'management.exchanges.publish',
  ExchangesRoute: 'management.exchanges.route',
  QueuesList: 'management.queues.list',
  /** One page of the queue list, filtered and sorted by the broker (RabbitMQ's `?page=` query). */
  QueuesPage: 'management.queues.page',
  QueuesGet: 'management.queues.get',
  QueuesDeclare: 'management.queues.declare',
  QueuesDelete: 'management.queues.delete',
  QueuesBindings: 'management.queues.bindings',
  QueuesGetMessages: 'management.queues.get-messages',
  QueuesPurge: 'management.queues.purge',
  BindingsList: 'management.bindings.list',
  BindingsGet: 'management.bindings.get',
  BindingsCreate: 'management.bindings.create',
  BindingsDelete: 'management.bindings.delete',
  DefinitionsExport: 'management.definitions.export',
  DefinitionsImport: 'management.definitions.import',
  DefinitionsExportVhost: 'management.definitions.export-vhost',
  DefinitionsImportVhost: 'management.definitions.import-vhost',
  Whoami: 'management.whoami',
  NodesList: 'management.nodes.list',
  NodesGet: 'management.nodes.get',
  UsersList: 'management.users.list',
  UsersWithoutPermissions: 'management.users.without-permissions',
  UsersGet: 'management.users.get',
  UsersPut: 'management.users.put',
  UsersDelete: 'management.users.delete',
  UsersBulkDelete: 'management.users.bulk-delete',
  VhostsGet: 'management.vhosts.get',
  VhostsPut: 'management.vhosts.put',
  VhostsDelete: 'management.vhosts.delete',
  PermissionsList: 'management.permissions.list',
  PermissionsGet: 'management.permissions.get',
  PermissionsPut: 'management.permissions.put',
  PermissionsDelete: 'management.permissions.delete',
  TopicPermissionsList: 'management.topic-permissions.list',
  TopicPermissionsGet: 'management.topic-permissions.get',
  TopicPermissionsPut: 'management.topic-permissions.put',
  TopicPermissionsDelete: 'management.topic-permissions.delete',
} as const;

/** One of the {@link ManagementPattern} values. */
export type ManagementPattern = (typeof ManagementPattern)[keyof typeof ManagementPattern];

const PATTERNS: ReadonlySet<string> = new Set(Object.values(ManagementPattern));

/** Whether a string is a known management pattern. */
export function isManagementPattern(value: unknown): value is ManagementPattern {
  return typeof value === 'string' && PATTERNS.has(value);
}
