import type { Command } from 'commander';
import { segment } from '../admin-client.js';
import { collectKeyValue, jsonObjectOption, VHOST_OPTION, withContext } from '../cli-context.js';
import { cellText } from '../output-format.js';

/** One hop of a route explanation (fields beyond these are printed as they come). */
interface Hop {
  kind?: string;
  source?: string;
  destination?: string;
  destination_type?: string;
  routing_key?: string;
  arguments?: Record<string, unknown>;
  [key: string]: unknown;
}

/** An exchange name as RabbitMQ's UI shows it: the default exchange has the empty name. */
function exchangeLabel(name: unknown): string {
  return name === '' ? '(AMQP default)' : String(name ?? '?');
}

/** `source --[kind 'key']--> destination`, with any extra fields of the hop after it. */
function hopText(hop: Hop): string {
  const { kind, source, destination, destination_type: type, routing_key: key, ...rest } = hop;
  const label = [kind, key !== undefined ? `'${key}'` : undefined].filter((part) => part !== undefined && part !== '').join(' ');
  const extra = Object.entries(rest)
    .filter(([, value]) => value !== undefined && !(typeof value === 'object' && value !== null && Object.keys(value).length === 0))
    .map(([name, value]) => `${name}=${cellText(value)}`);
  const target = type === 'exchange' ? `exchange ${exchangeLabel(destination)}` : `${destination}`;
  return `${exchangeLabel(source)} --[${label}]--> ${target}${extra.length ? `  (${extra.join(', ')})` : ''}`;
}

/**
 * The explanation as text. Known fields (`routed`, `queues` with their paths, `exchanges`) get their own layout;
 * any other field the broker adds (why bindings did not match, dead-letter targets, ...) is printed under its own
 * name, so a newer admin API is shown in full by an older CLI.
 */
export function renderExplanation(exchange: string, explanation: Record<string, unknown>): string {
  const lines: string[] = [];
  const { routed, queues, exchanges, ...rest } = explanation;
  lines.push(`exchange '${exchange}': ${routed ? 'routed' : 'NOT routed'}`);
  if (Array.isArray(exchanges) && exchanges.length) lines.push(`exchanges visited: ${exchanges.map(exchangeLabel).join(', ')}`);
  if (Array.isArray(queues)) {
    lines.push(queues.length ? 'queues:' : 'queues: (none)');
    for (const queue of queues as { name?: string; vhost?: string; paths?: Hop[][]; [key: string]: unknown }[]) {
      const { name, vhost, paths, ...more } = queue;
      void vhost;
      const extra = Object.entries(more).map(([key, value]) => `${key}=${cellText(value)}`);
      lines.push(`  ${name}${extra.length ? `  (${extra.join(', ')})` : ''}`);
      for (const path of paths ?? []) lines.push(`    via ${path.map(hopText).join('  then  ')}`);
    }
  }
  for (const [key, value] of Object.entries(rest)) {
    if (Array.isArray(value)) {
      lines.push(`${key}:${value.length ? '' : ' (none)'}`);
      for (const item of value)
        lines.push(`  ${typeof item === 'object' && item !== null && 'source' in item ? hopText(item as Hop) : cellText(item)}`);
    } else lines.push(`${key}: ${cellText(value)}`);
  }
  return lines.join('\n') + '\n';
}

/** `warren explain`: where a message would go and why, publishing nothing. */
export function registerExplainCommand(program: Command): void {
  program
    .command('explain')
    .description('explain where a message published to an exchange would be routed, and why (publishes nothing)')
    .argument('<exchange>', 'the exchange (amq.default or "" for the default exchange)')
    .option('--routing-key <key>', 'the routing key', '')
    .option('--header <key=value>', 'a message header, for headers exchanges (repeatable)', collectKeyValue)
    .option('--headers <json>', 'message headers as a JSON object', jsonObjectOption('--headers'))
    .option(...VHOST_OPTION)
    .action(
      withContext(
        async (
          context,
          exchange: string,
          options: { vhost: string; routingKey: string; header?: Record<string, unknown>; headers?: Record<string, unknown> },
        ) => {
          const name = exchange === '' ? 'amq.default' : exchange;
          const headers = { ...options.headers, ...options.header };
          const explanation = await context.client.request<Record<string, unknown>>(
            `/api/exchanges/${segment(options.vhost)}/${segment(name)}/route`,
            {
              method: 'POST',
              json: { routing_key: options.routingKey, ...(Object.keys(headers).length ? { headers } : {}) },
            },
          );
          context.print(context.format === 'json' ? JSON.stringify(explanation, null, 2) + '\n' : renderExplanation(exchange, explanation));
        },
      ),
    );
}
