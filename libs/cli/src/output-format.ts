import { CliError } from './cli-error.js';

/** How results are printed. */
export type OutputFormat = 'table' | 'json' | 'tsv';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'tsv'];

/** A column: its heading and where its value is in a row (a dotted path such as `queue.name`). */
export interface Column {
  header: string;
  path: string;
  /** Left out of tables and TSV when no row has a value (e.g. rates, which older brokers do not report). */
  optional?: boolean;
}

/** Parses `--format`. */
export function parseFormat(value: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value)) throw new CliError(`unknown format '${value}' (table, json or tsv)`, 2);
  return value as OutputFormat;
}

/** The value at a dotted path, or undefined. */
export function valueAt(row: unknown, path: string): unknown {
  let value: unknown = row;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** One cell's text: empty for missing values, arrays joined with commas, objects as JSON. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(cellText).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Math.round(value * 100) / 100);
  return String(value);
}

/** Rows as aligned columns under a heading line (numbers right-aligned), or `(none)` when there are none. */
export function renderTable(rows: readonly unknown[], columns: readonly Column[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((row) => columns.map((column) => cellText(valueAt(row, column.path)).replace(/[\t\n\r]/g, ' ')));
  const numeric = columns.map((column) => rows.every((row) => typeof valueAt(row, column.path) === 'number'));
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((line) => line[index].length)));
  const line = (values: string[]) =>
    values
      .map((value, index) => (numeric[index] ? value.padStart(widths[index]) : value.padEnd(widths[index])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...cells.map(line)].join('\n') + '\n';
}

/** Rows as tab-separated values with a heading line (tabs and newlines in values become spaces). */
export function renderTsv(rows: readonly unknown[], columns: readonly Column[]): string {
  const clean = (text: string) => text.replace(/[\t\n\r]/g, ' ');
  const lines = [columns.map((column) => column.header).join('\t')];
  for (const row of rows) lines.push(columns.map((column) => clean(cellText(valueAt(row, column.path)))).join('\t'));
  return lines.join('\n') + '\n';
}

/** Rows in the chosen format: JSON prints what the admin API answered, whole. */
export function renderRows(rows: readonly unknown[], columns: readonly Column[], format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  const shown = columns.filter((column) => !column.optional || rows.some((row) => valueAt(row, column.path) !== undefined));
  return format === 'tsv' ? renderTsv(rows, shown) : renderTable(rows, shown);
}
