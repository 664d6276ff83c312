import type { Command } from 'commander';
import { AdminClient } from './admin-client.js';
import { CliError } from './cli-error.js';
import { resolveConnectionSettings, type ConnectionFlags } from './connection-settings.js';
import { parseFormat, renderRows, type Column, type OutputFormat } from './output-format.js';

/** What a command's action gets: the admin API client, the output format and ways to print. */
export interface CliContext {
  readonly client: AdminClient;
  readonly format: OutputFormat;
  /** Writes to stdout. */
  print(text: string): void;
  /** Prints rows as a table, TSV or JSON. */
  printRows(rows: readonly unknown[], columns: readonly Column[]): void;
  /** A one-line status message ("queue declared"): on stdout for tables, as `{"ok":true,...}` for JSON. */
  done(message: string, details?: Record<string, unknown>): void;
}

/** The global options every command inherits. */
interface GlobalOptions extends ConnectionFlags {
  format: string;
}

/**
 * Wraps a command action: builds the context from the global options (flags > env > config file), runs the action,
 * and always closes the HTTP pool so the process exits promptly. Errors propagate to the program's one handler.
 */
export function withContext<Args extends unknown[]>(
  action: (context: CliContext, ...args: Args) => Promise<void>,
): (...args: [...Args, Command]) => Promise<void> {
  return async (...args) => {
    const command = args[args.length - 1] as Command;
    const options = command.optsWithGlobals<GlobalOptions>();
    const format = parseFormat(options.format);
    const client = new AdminClient(resolveConnectionSettings(options));
    const print = (text: string) => void process.stdout.write(text);
    const context: CliContext = {
      client,
      format,
      print,
      printRows: (rows, columns) => print(renderRows(rows, columns, format)),
      done: (message, details = {}) => print(format === 'json' ? JSON.stringify({ ok: true, message, ...details }) + '\n' : `${message}\n`),
    };
    try {
      await action(context, ...(args.slice(0, -1) as Args));
    } finally {
      await client.close();
    }
  };
}

/** Parses a JSON object option (`--arguments '{"x-message-ttl":1000}'`). */
export function jsonObjectOption(name: string): (value: string) => Record<string, unknown> {
  return (value) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new CliError(`${name} must be a JSON object, got: ${value}`, 2);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${name} must be a JSON object`, 2);
    return parsed as Record<string, unknown>;
  };
}

/** Collects repeated `key=value` options into an object; values that parse as JSON (numbers, booleans) are typed. */
export function collectKeyValue(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const at = value.indexOf('=');
  if (at <= 0) throw new CliError(`expected key=value, got: ${value}`, 2);
  const raw = value.slice(at + 1);
  let typed: unknown = raw;
  if (/^(-?\d+(\.\d+)?|true|false)$/.test(raw)) typed = JSON.parse(raw);
  return { ...previous, [value.slice(0, at)]: typed };
}

/** Parses a positive integer option. */
export function positiveInteger(name: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) throw new CliError(`${name} must be a positive integer, got: ${value}`, 2);
    return number;
  };
}

/** Parses a positive number option (seconds may be fractional). */
export function positiveNumber(name: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isFinite(number) || number <= 0) throw new CliError(`${name} must be a positive number, got: ${value}`, 2);
    return number;
  };
}

/** The `--vhost` option of commands that act on one vhost (default `/`). */
export const VHOST_OPTION = ['--vhost <vhost>', 'the virtual host', '/'] as const;
