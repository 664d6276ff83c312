import type { Command } from 'commander';
import { segment } from '../admin-client.js';
import { positiveInteger, positiveNumber, withContext, type CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { renderRows, valueAt, type Column } from '../output-format.js';

interface TopOptions {
  vhost?: string;
  interval: number;
  sort: string;
  limit: number;
  once?: boolean;
}

/** One queue as `top` shows it. */
interface TopRow {
  vhost: string;
  name: string;
  messages: number;
  ready: number;
  unacked: number;
  consumers: number;
  /** Messages per second: the broker's publish rate when it reports one, else the depth's change since the last refresh. */
  rate?: number;
}

const COLUMNS: Column[] = [
  { header: 'vhost', path: 'vhost' },
  { header: 'name', path: 'name' },
  { header: 'messages', path: 'messages' },
  { header: 'ready', path: 'ready' },
  { header: 'unacked', path: 'unacked' },
  { header: 'consumers', path: 'consumers' },
  { header: 'rate/s', path: 'rate' },
];

const SORTS = ['depth', 'rate'] as const;

/** Keeps the previous depths, to derive a rate when the broker reports none. */
class TopSampler {
  private previous = new Map<string, number>();
  private previousAt = 0;

  rows(queues: Record<string, unknown>[], now: number): TopRow[] {
    const seconds = this.previousAt ? (now - this.previousAt) / 1000 : 0;
    const next = new Map<string, number>();
    const rows = queues.map((queue) => {
      const key = `${queue.vhost}\u0000${queue.name}`;
      const messages = Number(queue.messages ?? 0);
      next.set(key, messages);
      const reported = valueAt(queue, 'message_stats.publish_details.rate');
      const before = this.previous.get(key);
      const rate =
        typeof reported === 'number' ? reported : seconds > 0 && before !== undefined ? (messages - before) / seconds : undefined;
      return {
        vhost: String(queue.vhost),
        name: String(queue.name),
        messages,
        ready: Number(queue.messages_ready ?? 0),
        unacked: Number(queue.messages_unacknowledged ?? 0),
        consumers: Number(queue.consumers ?? 0),
        rate,
      };
    });
    this.previous = next;
    this.previousAt = now;
    return rows;
  }
}

/** The busiest `limit` queues: by depth, or by the absolute rate (a draining queue is busy too). */
export function busiest(rows: TopRow[], sort: string, limit: number): TopRow[] {
  const key = sort === 'rate' ? (row: TopRow) => Math.abs(row.rate ?? 0) : (row: TopRow) => row.messages;
  return [...rows].sort((a, b) => key(b) - key(a) || a.name.localeCompare(b.name)).slice(0, limit);
}

async function frame(context: CliContext, sampler: TopSampler, options: TopOptions): Promise<string> {
  const path = options.vhost === undefined ? '/api/queues' : `/api/queues/${segment(options.vhost)}`;
  const [queues, overview] = await Promise.all([
    context.client.request<Record<string, unknown>[]>(path),
    context.client.request<Record<string, unknown>>('/api/overview'),
  ]);
  const rows = busiest(sampler.rows(queues, Date.now()), options.sort, options.limit);
  if (context.format === 'json') return JSON.stringify(rows) + '\n';
  const totals = (overview.queue_totals ?? {}) as Record<string, unknown>;
  const objects = (overview.object_totals ?? {}) as Record<string, unknown>;
  const header =
    `warren top - ${new Date().toISOString().slice(11, 19)} UTC - ${options.vhost === undefined ? 'all vhosts' : `vhost ${options.vhost}`}` +
    ` - queues ${objects.queues ?? queues.length}, connections ${objects.connections ?? '?'}, consumers ${objects.consumers ?? '?'}` +
    ` - messages ${totals.messages ?? '?'} (ready ${totals.messages_ready ?? '?'}, unacked ${totals.messages_unacknowledged ?? '?'})\n` +
    `busiest ${rows.length} by ${options.sort}` +
    (options.once ? '' : `, every ${options.interval}s (q or Ctrl-C to quit)`) +
    '\n\n';
  return header + renderRows(rows, COLUMNS, context.format);
}

/** `warren top`: a live view of the busiest queues. */
export function registerTopCommand(program: Command): void {
  program
    .command('top')
    .description('a live view of the busiest queues, refreshed every few seconds')
    .option('--vhost <vhost>', 'only this virtual host (default: all)')
    .option('--interval <seconds>', 'seconds between refreshes', positiveNumber('--interval'), 2)
    .option('--sort <key>', 'depth (messages) or rate (messages per second)', 'depth')
    .option('--limit <n>', 'how many queues to show', positiveInteger('--limit'), 20)
    .option('--once', 'print one refresh and exit (for scripts)')
    .addHelpText(
      'after',
      "\nrate/s is the broker's publish rate when it reports message rates, else the change in depth since the last refresh.",
    )
    .action(
      withContext(async (context, options: TopOptions) => {
        if (!(SORTS as readonly string[]).includes(options.sort))
          throw new CliError(`--sort must be depth or rate, got: ${options.sort}`, 2);
        const sampler = new TopSampler();
        if (options.once) {
          context.print(await frame(context, sampler, options));
          return;
        }
        await live(context, sampler, options);
      }),
    );
}

/** Redraws until q, Ctrl-C or SIGTERM; an error (the broker went away) ends it with that error. */
async function live(context: CliContext, sampler: TopSampler, options: TopOptions): Promise<void> {
  const tty = process.stdout.isTTY === true;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onKey = (key: Buffer) => {
    if (key[0] === 0x71 /* q */ || key[0] === 0x03 /* Ctrl-C in raw mode */) stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', onKey);
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    if (tty) process.stdout.write('\x1b[?25l');
    let done = false;
    void stopped.then(() => (done = true));
    while (!done) {
      const text = await frame(context, sampler, options);
      if (done) break;
      process.stdout.write(tty ? `\x1b[H\x1b[2J${text}` : `${text}\n`);
      await Promise.race([stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.interval * 1000)))]);
      clearTimeout(timer);
    }
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (process.stdin.isTTY) {
      process.stdin.off('data', onKey);
      process.stdin.setRawMode(false);
      process.stdin.pause();
    }
    if (tty) process.stdout.write('\x1b[?25h');
  }
}
