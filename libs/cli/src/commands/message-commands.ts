import type { Command } from 'commander';
import { segment } from '../admin-client.js';
import { collectKeyValue, jsonObjectOption, positiveInteger, VHOST_OPTION, withContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';

const ACK_MODES = ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'] as const;

interface PublishOptions {
  vhost: string;
  exchange: string;
  routingKey: string;
  properties?: Record<string, unknown>;
  header?: Record<string, unknown>;
  contentType?: string;
  persistent?: boolean;
}

/** Reads all of stdin (the payload of `warren publish` without a payload argument). */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A payload as the publish route takes it: text when it is valid UTF-8, base64 otherwise. */
function encodePayload(payload: Buffer): { payload: string; payload_encoding: 'string' | 'base64' } {
  const text = payload.toString('utf8');
  return Buffer.from(text, 'utf8').equals(payload)
    ? { payload: text, payload_encoding: 'string' }
    : { payload: payload.toString('base64'), payload_encoding: 'base64' };
}

/** `warren publish`, `warren get`, `warren purge queue` and `warren close connection`. */
export function registerMessageCommands(program: Command): void {
  program
    .command('publish')
    .description('publish one message (payload from the argument, or from stdin when it is omitted or "-")')
    .argument('[payload]', 'the message body')
    .option('--exchange <name>', 'the exchange (default: the default exchange)', '')
    .requiredOption('--routing-key <key>', 'the routing key (the queue name for the default exchange)')
    .option(
      '--properties <json>',
      "basic properties as RabbitMQ's API names them, e.g. '{\"delivery_mode\":2}'",
      jsonObjectOption('--properties'),
    )
    .option('--header <key=value>', 'a message header (repeatable)', collectKeyValue)
    .option('--content-type <type>', 'the content_type property')
    .option('--persistent', 'delivery_mode 2 (stored on disk in a durable queue)')
    .option(...VHOST_OPTION)
    .addHelpText('after', '\nPrints "message published" or "message published but NOT routed" (exit code 0 either way).')
    .action(
      withContext(async (context, payloadArgument: string | undefined, options: PublishOptions) => {
        const fromStdin = payloadArgument === undefined || payloadArgument === '-';
        // Nothing piped in: a terminal would wait for input the user did not mean to give.
        if (fromStdin && process.stdin.isTTY) throw new CliError('no payload: give it as an argument, or pipe it to stdin', 2);
        const payload = fromStdin ? await readStdin() : Buffer.from(payloadArgument, 'utf8');
        const properties: Record<string, unknown> = { ...options.properties };
        if (options.header) properties.headers = { ...(properties.headers as object | undefined), ...options.header };
        if (options.contentType) properties.content_type = options.contentType;
        if (options.persistent) properties.delivery_mode = 2;
        const exchange = options.exchange === '' ? 'amq.default' : options.exchange;
        const result = await context.client.request<{ routed: boolean }>(
          `/api/exchanges/${segment(options.vhost)}/${segment(exchange)}/publish`,
          {
            method: 'POST',
            json: { properties, routing_key: options.routingKey, ...encodePayload(payload) },
          },
        );
        context.done(result.routed ? 'message published' : 'message published but NOT routed', { routed: result.routed });
      }),
    );

  program
    .command('get')
    .description("get messages from a queue (by default they are requeued, as RabbitMQ's ack_requeue_true)")
    .argument('<queue>', 'the queue name')
    .option('--count <n>', 'how many messages at most', positiveInteger('--count'), 1)
    .option('--ackmode <mode>', `${ACK_MODES.join(', ')}`, 'ack_requeue_true')
    .option('--encoding <encoding>', 'auto (text when it is UTF-8) or base64', 'auto')
    .option('--truncate <bytes>', 'cut payloads longer than this', positiveInteger('--truncate'))
    .option(...VHOST_OPTION)
    .action(
      withContext(
        async (context, queue: string, options: { vhost: string; count: number; ackmode: string; encoding: string; truncate?: number }) => {
          if (!(ACK_MODES as readonly string[]).includes(options.ackmode))
            throw new CliError(`--ackmode must be one of ${ACK_MODES.join(', ')}`, 2);
          if (options.encoding !== 'auto' && options.encoding !== 'base64') throw new CliError('--encoding must be auto or base64', 2);
          const messages = await context.client.request<unknown[]>(`/api/queues/${segment(options.vhost)}/${segment(queue)}/get`, {
            method: 'POST',
            json: {
              count: options.count,
              ackmode: options.ackmode,
              encoding: options.encoding,
              ...(options.truncate ? { truncate: options.truncate } : {}),
            },
          });
          context.printRows(messages, [
            { header: 'routing_key', path: 'routing_key' },
            { header: 'exchange', path: 'exchange' },
            { header: 'message_count', path: 'message_count' },
            { header: 'payload', path: 'payload' },
            { header: 'payload_bytes', path: 'payload_bytes' },
            { header: 'payload_encoding', path: 'payload_encoding' },
            { header: 'redelivered', path: 'redelivered' },
          ]);
        },
      ),
    );

  program
    .command('purge')
    .description('purge a queue')
    .command('queue')
    .description('remove every ready message from a queue')
    .argument('<name>', 'the queue name')
    .option(...VHOST_OPTION)
    .action(
      withContext(async (context, name: string, options: { vhost: string }) => {
        await context.client.request(`/api/queues/${segment(options.vhost)}/${segment(name)}/contents`, { method: 'DELETE' });
        context.done(`queue purged: ${name}`, { vhost: options.vhost, name });
      }),
    );

  program
    .command('close')
    .description('close a connection')
    .command('connection')
    .description('close a client connection (320 CONNECTION_FORCED with the reason); names come from `warren list connections`')
    .argument('<name>', 'the connection name')
    .option('--reason <text>', 'the reason the client is told', 'Closed via management plugin')
    .action(
      withContext(async (context, name: string, options: { reason: string }) => {
        await context.client.request(`/api/connections/${segment(name)}`, { method: 'DELETE', headers: { 'x-reason': options.reason } });
        context.done(`connection closed: ${name}`, { name });
      }),
    );
}
