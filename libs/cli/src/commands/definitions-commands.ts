import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { withContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';

/** `--progress` / `--no-progress`; by default a bar only when stderr is a terminal. */
function wantsProgress(option: boolean | undefined): boolean {
  return option ?? process.stderr.isTTY === true;
}

/** A progress bar on stderr over `total` bytes, or undefined when none is wanted. */
function progressBar(total: number, show: boolean, label: string): SingleBar | undefined {
  if (!show) return undefined;
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} bytes`,
      stream: process.stderr,
      // Forced with --progress into a pipe (scripts, tests): still draw it, at the start, at the end and between.
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 500,
      hideCursor: process.stderr.isTTY === true,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}

/** Streams a file, counting bytes into the bar as the upload consumes them (so the bar follows the network). */
async function* counted(path: string, bar: SingleBar | undefined): AsyncGenerator<Buffer> {
  let sent = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    sent += (chunk as Buffer).length;
    yield chunk as Buffer;
    bar?.update(sent);
  }
}

/** `warren export <file>` and `warren import <file>`: RabbitMQ's definitions (users, vhosts, queues, exchanges, bindings, ...). */
export function registerDefinitionsCommands(program: Command): void {
  program
    .command('export')
    .description('export the definitions (RabbitMQ\'s JSON format) to a file, or to stdout with "-"')
    .argument('<file>', 'where to write them')
    .action(
      withContext(async (context, file: string) => {
        const response = await context.client.send('/api/definitions');
        if (!response.body) throw new CliError('GET /api/definitions: empty answer');
        const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
        if (file === '-') {
          await pipeline(body, process.stdout, { end: false });
          process.stdout.write('\n');
          return;
        }
        await pipeline(body, createWriteStream(file));
        context.done(`definitions exported to ${file}`, { file, bytes: (await stat(file)).size });
      }),
    );
  program
    .command('import')
    .description("import definitions from a file (RabbitMQ's JSON format), streamed with a progress bar")
    .argument('<file>', 'the definitions file')
    .option('--progress', 'always show the upload progress bar (on stderr)')
    .option('--no-progress', 'never show it (by default: when stderr is a terminal)')
    .action(
      withContext(async (context, file: string, options: { progress?: boolean }) => {
        let size: number;
        try {
          size = (await stat(file)).size;
        } catch (error) {
          throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
        }
        const bar = progressBar(size, wantsProgress(options.progress), 'uploading');
        try {
          await context.client.request('/api/definitions', {
            method: 'POST',
            body: counted(file, bar),
            contentType: 'application/json',
          });
        } finally {
          bar?.stop();
        }
        context.done(`definitions imported from ${file}`, { file, bytes: size });
      }),
    );
}
