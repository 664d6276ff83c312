import type { Command } from 'commander';
import { segment } from '../admin-client.js';
import { jsonObjectOption, VHOST_OPTION, withContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';

interface DeclareQueueOptions {
  vhost: string;
  durable: boolean;
  autoDelete?: boolean;
  arguments?: Record<string, unknown>;
}
interface DeclareExchangeOptions extends DeclareQueueOptions {
  type: string;
  internal?: boolean;
}
interface BindingOptions {
  vhost: string;
  source: string;
  destination: string;
  destinationType: string;
  routingKey?: string;
  arguments?: Record<string, unknown>;
}

/** RabbitMQ's binding URL letter for a destination type. */
function kindLetter(destinationType: string): 'q' | 'e' {
  if (destinationType === 'queue') return 'q';
  if (destinationType === 'exchange') return 'e';
  throw new CliError(`--destination-type must be queue or exchange, got: ${destinationType}`, 2);
}

/** The URL of an exchange; RabbitMQ names the default exchange `amq.default` in URLs. */
function exchangePath(vhost: string, name: string): string {
  return `/api/exchanges/${segment(vhost)}/${segment(name === '' ? 'amq.default' : name)}`;
}

const argumentsOption = [
  '--arguments <json>',
  'optional arguments as a JSON object, e.g. \'{"x-message-ttl":60000}\'',
  jsonObjectOption('--arguments'),
] as const;

function bindingOptions(command: Command): Command {
  return command
    .requiredOption('--source <exchange>', 'the exchange the binding routes from')
    .requiredOption('--destination <name>', 'the queue or exchange it routes to')
    .option('--destination-type <type>', 'queue or exchange', 'queue')
    .option('--routing-key <key>', 'the binding key', '')
    .option(...argumentsOption)
    .option(...VHOST_OPTION);
}

/** Deep equality of two JSON values (binding arguments). */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([x], [y]) => x.localeCompare(y))
            .map(([key, inner]) => [key, canonical(inner)]),
        )
      : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** `warren declare queue|exchange|binding` and `warren delete queue|exchange|binding`. */
export function registerTopologyCommands(program: Command): void {
  const declare = program.command('declare').description('declare a queue, an exchange or a binding');
  declare
    .command('queue')
    .description('declare a queue (idempotent when the settings match)')
    .argument('<name>', 'the queue name')
    .option('--no-durable', 'a transient queue (durable by default)')
    .option('--auto-delete', 'delete the queue when its last consumer goes')
    .option(...argumentsOption)
    .option(...VHOST_OPTION)
    .action(
      withContext(async (context, name: string, options: DeclareQueueOptions) => {
        await context.client.request(`/api/queues/${segment(options.vhost)}/${segment(name)}`, {
          method: 'PUT',
          json: { durable: options.durable, auto_delete: options.autoDelete ?? false, arguments: options.arguments ?? {} },
        });
        context.done(`queue declared: ${name}`, { vhost: options.vhost, name });
      }),
    );
  declare
    .command('exchange')
    .description('declare an exchange (idempotent when the settings match)')
    .argument('<name>', 'the exchange name')
    .option('--type <type>', 'direct, fanout, topic or headers', 'direct')
    .option('--no-durable', 'a transient exchange (durable by default)')
    .option('--auto-delete', 'delete the exchange when its last binding goes')
    .option('--internal', 'only other exchanges may publish to it')
    .option(...argumentsOption)
    .option(...VHOST_OPTION)
    .action(
      withContext(async (context, name: string, options: DeclareExchangeOptions) => {
        await context.client.request(exchangePath(options.vhost, name), {
          method: 'PUT',
          json: {
            type: options.type,
            durable: options.durable,
            auto_delete: options.autoDelete ?? false,
            internal: options.internal ?? false,
            arguments: options.arguments ?? {},
          },
        });
        context.done(`exchange declared: ${name}`, { vhost: options.vhost, name });
      }),
    );
  bindingOptions(declare.command('binding').description('bind a queue or an exchange to an exchange')).action(
    withContext(async (context, options: BindingOptions) => {
      const kind = kindLetter(options.destinationType);
      await context.client.request(
        `/api/bindings/${segment(options.vhost)}/e/${segment(options.source)}/${kind}/${segment(options.destination)}`,
        {
          method: 'POST',
          json: { routing_key: options.routingKey ?? '', arguments: options.arguments ?? {} },
        },
      );
      context.done(`binding declared: ${options.source} -> ${options.destination} (${options.routingKey ?? ''})`);
    }),
  );

  const remove = program.command('delete').description('delete a queue, an exchange or a binding');
  remove
    .command('queue')
    .description('delete a queue and its messages')
    .argument('<name>', 'the queue name')
    .option('--if-empty', 'only if it holds no messages')
    .option('--if-unused', 'only if it has no consumers')
    .option(...VHOST_OPTION)
    .action(
      withContext(async (context, name: string, options: { vhost: string; ifEmpty?: boolean; ifUnused?: boolean }) => {
        const query = new URLSearchParams();
        if (options.ifEmpty) query.set('if-empty', 'true');
        if (options.ifUnused) query.set('if-unused', 'true');
        const suffix = query.size > 0 ? `?${query}` : '';
        await context.client.request(`/api/queues/${segment(options.vhost)}/${segment(name)}${suffix}`, { method: 'DELETE' });
        context.done(`queue deleted: ${name}`, { vhost: options.vhost, name });
      }),
    );
  remove
    .command('exchange')
    .description('delete an exchange and its bindings')
    .argument('<name>', 'the exchange name')
    .option('--if-unused', 'only if no binding routes from it')
    .option(...VHOST_OPTION)
    .action(
      withContext(async (context, name: string, options: { vhost: string; ifUnused?: boolean }) => {
        const suffix = options.ifUnused ? '?if-unused=true' : '';
        await context.client.request(exchangePath(options.vhost, name) + suffix, { method: 'DELETE' });
        context.done(`exchange deleted: ${name}`, { vhost: options.vhost, name });
      }),
    );
  bindingOptions(remove.command('binding').description('delete the binding with this source, destination, key and arguments')).action(
    withContext(async (context, options: BindingOptions) => {
      const kind = kindLetter(options.destinationType);
      const base = `/api/bindings/${segment(options.vhost)}/e/${segment(options.source)}/${kind}/${segment(options.destination)}`;
      // A binding's URL names it by its properties key, so find the key among the bindings between the two ends.
      const bindings = await context.client.request<{ routing_key: string; arguments?: unknown; properties_key: string }[]>(base);
      const match = bindings.find(
        (binding) =>
          binding.routing_key === (options.routingKey ?? '') &&
          (options.arguments === undefined || sameJson(binding.arguments ?? {}, options.arguments)),
      );
      if (!match)
        throw new CliError(`no binding from ${options.source} to ${options.destination} with routing key '${options.routingKey ?? ''}'`);
      await context.client.request(`${base}/${segment(match.properties_key)}`, { method: 'DELETE' });
      context.done(`binding deleted: ${options.source} -> ${options.destination} (${match.routing_key})`);
    }),
  );
}
