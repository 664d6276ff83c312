import type { Command } from 'commander';
import { segment } from '../admin-client.js';
import { withContext } from '../cli-context.js';
import type { Column } from '../output-format.js';

/** One listable kind: its admin API paths (all vhosts, one vhost) and the table's columns. */
interface Listing {
  description: string;
  all: string;
  inVhost?: (vhost: string) => string;
  columns: Column[];
}

const col = (header: string, path = header, optional = false): Column => ({ header, path, optional });

/** RabbitMQ's list routes and the columns `rabbitmqadmin list` shows by default. */
export const LISTINGS: Record<string, Listing> = {
  queues: {
    description: 'queues, with depth and consumers',
    all: '/api/queues',
    inVhost: (vhost) => `/api/queues/${segment(vhost)}`,
    columns: [
      col('vhost'),
      col('name'),
      col('durable'),
      col('auto_delete'),
      col('messages'),
      col('ready', 'messages_ready'),
      col('unacked', 'messages_unacknowledged'),
      col('consumers'),
      col('publish_rate', 'message_stats.publish_details.rate', true),
    ],
  },
  exchanges: {
    description: 'exchanges',
    all: '/api/exchanges',
    inVhost: (vhost) => `/api/exchanges/${segment(vhost)}`,
    columns: [col('vhost'), col('name'), col('type'), col('durable'), col('auto_delete'), col('internal')],
  },
  bindings: {
    description: 'bindings',
    all: '/api/bindings',
    inVhost: (vhost) => `/api/bindings/${segment(vhost)}`,
    columns: [col('vhost'), col('source'), col('destination'), col('destination_type'), col('routing_key'), col('arguments')],
  },
  connections: {
    description: 'client connections',
    all: '/api/connections',
    columns: [col('name'), col('user'), col('vhost'), col('state'), col('channels'), col('peer_host'), col('peer_port')],
  },
  channels: {
    description: 'channels',
    all: '/api/channels',
    columns: [
      col('name'),
      col('vhost'),
      col('user'),
      col('consumers', 'consumer_count'),
      col('unacked', 'messages_unacknowledged'),
      col('confirm'),
    ],
  },
  consumers: {
    description: 'consumers',
    all: '/api/consumers',
    inVhost: (vhost) => `/api/consumers/${segment(vhost)}`,
    columns: [
      col('vhost', 'queue.vhost'),
      col('queue', 'queue.name'),
      col('consumer_tag'),
      col('channel', 'channel_details.name'),
      col('ack_required'),
      col('prefetch_count'),
    ],
  },
  users: { description: 'users and their tags', all: '/api/users', columns: [col('name'), col('tags')] },
  vhosts: { description: 'virtual hosts', all: '/api/vhosts', columns: [col('name'), col('messages'), col('tracing')] },
  permissions: {
    description: "users' permissions per vhost",
    all: '/api/permissions',
    inVhost: (vhost) => `/api/vhosts/${segment(vhost)}/permissions`,
    columns: [col('user'), col('vhost'), col('configure'), col('write'), col('read')],
  },
};

/** Filters rows on their `vhost` for routes that have no per-vhost form (connections, channels, vhosts). */
function inVhost(rows: unknown[], vhost: string, kind: string): unknown[] {
  const key = kind === 'vhosts' ? 'name' : 'vhost';
  return rows.filter((row) => (row as Record<string, unknown>)[key] === vhost);
}

/** `warren list <kind>`: one subcommand per kind. */
export function registerListCommands(program: Command): void {
  const list = program
    .command('list')
    .description('list queues, exchanges, bindings, connections, channels, consumers, users, vhosts or permissions');
  for (const [kind, listing] of Object.entries(LISTINGS)) {
    list
      .command(kind)
      .description(`list ${listing.description}`)
      .option('--vhost <vhost>', 'only this virtual host (default: all)')
      .action(
        withContext(async (context, options: { vhost?: string }) => {
          const path = options.vhost !== undefined && listing.inVhost ? listing.inVhost(options.vhost) : listing.all;
          let rows = await context.client.request<unknown[]>(path);
          if (!Array.isArray(rows)) rows = [];
          if (options.vhost !== undefined && !listing.inVhost) rows = inVhost(rows, options.vhost, kind);
          context.printRows(rows, listing.columns);
        }),
      );
  }
}
