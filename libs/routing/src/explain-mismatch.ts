import type { Binding } from './binding.js';
import type { Exchange } from './exchange.js';
import { fieldValueEquals } from './field-value-equals.js';
import { hasField, isVoid } from './field-value.js';
import type { Headers } from './headers.js';
import type { RoutableQueue } from './routable-queue.js';

const quote = (text: string) => `'${text}'`;
const keysText = (keys: readonly string[]) =>
  keys.length === 1 ? `routing key ${quote(keys[0])}` : `routing keys ${keys.map(quote).join(', ')}`;

/**
 * Why a binding of `exchange` did not match a publish, in words for an operator: the route explain's answer for
 * each binding it passed over. Only called for bindings the exchange type's own matcher rejected, so this never
 * decides a match; it describes the type's rule (RabbitMQ's `rabbit_exchange_type_*`) applied to this binding.
 */
export function explainMismatch<Q extends RoutableQueue>(
  exchange: Exchange<Q>,
  binding: Binding<Q>,
  keys: readonly string[],
  headers: Headers | undefined,
): string {
  switch (exchange.type.name) {
    case 'direct':
      return `${keysText(keys)} is not the binding key ${quote(binding.routingKey)}`;
    case 'topic':
      return `${keysText(keys)} does not match the pattern ${quote(binding.routingKey)}`;
    case 'headers':
      return headersMismatch(binding.arguments, headers);
    default:
      return `the ${exchange.type.name} exchange type did not select this binding`;
  }
}

/** The headers binding's rule (`x-match` all/any) and the fields that failed it. */
function headersMismatch(args: Headers, headers: Headers | undefined): string {
  const xMatch = typeof args['x-match'] === 'string' ? args['x-match'] : 'all';
  const withX = xMatch.endsWith('-with-x');
  const failed: string[] = [];
  for (const name of Object.keys(args)) {
    const wanted = args[name];
    if (name === 'x-match' || wanted === undefined || (!withX && name.startsWith('x-'))) continue;
    const actual = headers === undefined || !hasField(headers, name) ? undefined : headers[name];
    if (actual === undefined) failed.push(`header ${quote(name)} is missing`);
    else if (!isVoid(wanted) && !fieldValueEquals(wanted, actual))
      failed.push(`header ${quote(name)} is ${show(actual)}, not ${show(wanted)}`);
  }
  if (failed.length === 0) return `x-match ${xMatch}: no header field to match`;
  return `x-match ${xMatch}: ${failed.join('; ')}`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'bigint') return value.toString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
