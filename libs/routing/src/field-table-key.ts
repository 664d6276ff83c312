import { isDecimal, isTypedFieldValue, isVoid } from './field-value.js';
import type { Headers } from './headers.js';

/**
 * A canonical string for a field table: equal for tables RabbitMQ would treat as the same binding arguments.
 *
 * Keys are sorted (RabbitMQ sorts binding arguments before comparing them, `rabbit_binding:binding_action`);
 * numbers are keyed by value whatever their width; strings and byte arrays stay distinct (`longstr` and `binary`
 * are different types in the stored term). The empty table maps to `''` so argument-less bindings cost nothing.
 */
export function fieldTableKey(table: Headers): string {
  let key = '';
  for (const name of Object.keys(table).sort()) {
    const value = table[name];
    if (value === undefined) continue; // an absent field, not a void one
    key += `${name.length}:${name}=${fieldValueKey(value)};`;
  }
  return key;
}

function fieldValueKey(value: unknown): string {
  if (isVoid(value)) return 'V';
  switch (typeof value) {
    case 'boolean':
      return value ? 't1' : 't0';
    case 'number':
    case 'bigint':
      return `n${String(value)}`;
    case 'string':
      return `s${value.length}:${value}`;
  }
  if (Buffer.isBuffer(value)) return `x${value.toString('hex')}`;
  if (Array.isArray(value)) return `A${value.length}[${value.map(fieldValueKey).join(',')}]`;
  if (isTypedFieldValue(value)) {
    const inner = value.value;
    return isDecimal(inner) ? `D${inner.scale},${inner.value}` : `n${String(inner)}`;
  }
  return `F{${fieldTableKey(value as Headers)}}`;
}
