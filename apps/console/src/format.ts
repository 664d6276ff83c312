/** A number for a table cell, or a dash when the broker did not report it. */
export function num(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toLocaleString('en-US') : '–';
}

/** A rate (`x_details.rate`) as "1.2/s", or a dash. */
export function rate(details: unknown): string {
  const value = (details as { rate?: unknown } | undefined)?.rate;
  return typeof value === 'number' ? `${value.toFixed(value < 10 ? 1 : 0)}/s` : '–';
}

/** Bytes as KiB/MiB/GiB, or a dash. */
export function bytes(value: unknown): string {
  if (typeof value !== 'number') return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let amount = value;
  let unit = 0;
  while (amount >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit++;
  }
  return `${amount.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** A vhost name for a URL segment. */
export const vhostSeg = (vhost: string) => encodeURIComponent(vhost);

/** Arguments or headers as compact JSON, or empty. */
export function args(value: unknown): string {
  if (!value || (typeof value === 'object' && Object.keys(value).length === 0)) return '';
  return JSON.stringify(value);
}

/** The exchange's display name (the default exchange has none). */
export const exchangeLabel = (name: string) => (name === '' ? '(AMQP default)' : name);
