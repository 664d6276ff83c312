// The management API's shapes (RabbitMQ's), as far as the console reads them. Every field a broker may not report
// yet (rates before message stats exist, node memory) is optional: the pages show a dash.

/** `{rate, samples}` of a `*_details` field. */
export interface RateDetails {
  rate?: number;
  samples?: { sample: number; timestamp: number }[];
}

export type MessageStats = Partial<Record<string, number | RateDetails>>;

/** A node's memory and disk figures and alarm flags, as `/api/overview` and `/api/nodes` report them. */
export interface ResourceFigures {
  mem_used?: number;
  mem_limit?: number;
  mem_alarm?: boolean;
  disk_free?: number;
  disk_free_limit?: number;
  disk_free_alarm?: boolean;
}

export interface Overview extends ResourceFigures {
  cluster_name?: string;
  rabbitmq_version?: string;
  product_name?: string;
  product_version?: string;
  node?: string;
  object_totals?: Partial<Record<'connections' | 'channels' | 'exchanges' | 'queues' | 'consumers', number>>;
  queue_totals?: { messages?: number; messages_ready?: number; messages_unacknowledged?: number } & Record<string, unknown>;
  message_stats?: MessageStats;
  listeners?: { node?: string; protocol: string; ip_address?: string; port: number }[];
  alarms?: unknown;
  resource_alarms?: unknown;
  [key: string]: unknown;
}

export interface QueueInfo {
  name: string;
  vhost: string;
  durable?: boolean;
  auto_delete?: boolean;
  exclusive?: boolean;
  arguments?: Record<string, unknown>;
  type?: string;
  state?: string;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  consumer_details?: ConsumerInfo[];
  message_stats?: MessageStats;
  messages_details?: RateDetails;
  policy?: string | null;
  [key: string]: unknown;
}

export interface ExchangeInfo {
  name: string;
  vhost: string;
  type: string;
  durable?: boolean;
  auto_delete?: boolean;
  internal?: boolean;
  arguments?: Record<string, unknown>;
  message_stats?: MessageStats;
}

export interface BindingInfo {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments?: Record<string, unknown>;
  properties_key: string;
}

export interface ConsumerInfo {
  consumer_tag: string;
  queue: { name: string; vhost: string };
  channel_details?: { name?: string; connection_name?: string; peer_host?: string; peer_port?: number; user?: string };
  ack_required?: boolean;
  prefetch_count?: number;
  exclusive?: boolean;
}

export interface ConnectionInfo {
  name: string;
  user?: string;
  vhost?: string;
  state?: string;
  channels?: number;
  peer_host?: string;
  peer_port?: number;
  protocol?: string;
  ssl?: boolean;
  connected_at?: number;
  client_properties?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ChannelInfo {
  name: string;
  number?: number;
  user?: string;
  vhost?: string;
  state?: string;
  prefetch_count?: number;
  global_prefetch_count?: number;
  consumer_count?: number;
  messages_unacknowledged?: number;
  messages_unconfirmed?: number;
  confirm?: boolean;
  transactional?: boolean;
  connection_details?: { name?: string; peer_host?: string; peer_port?: number };
  /** Only on one channel's page (`GET /api/channels/{name}`). */
  consumer_details?: ConsumerInfo[];
  message_stats?: MessageStats;
  [key: string]: unknown;
}

/** RabbitMQ's paged list answer (`?page=`). */
export interface Page<T> {
  filtered_count: number;
  item_count: number;
  items: T[];
  page: number;
  page_count: number;
  page_size: number;
  total_count: number;
}

/** One hop of a route explanation (POST /api/exchanges/:vhost/:name/route). */
export interface RouteHop {
  kind: 'binding' | 'default-exchange' | 'alternate-exchange';
  source: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key?: string;
  arguments?: Record<string, unknown>;
  properties_key?: string;
}

export interface RouteExplanation {
  routed: boolean;
  queues: {
    name: string;
    vhost: string;
    paths: RouteHop[][];
    dead_letter?: { exchange: string; routing_key: string | null; exchange_exists: boolean };
  }[];
  exchanges: string[];
  unmatched?: (RouteHop & { reason: string })[];
}

export interface WhoAmI {
  name: string;
  tags?: string | string[];
}
