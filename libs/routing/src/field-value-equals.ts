import { hasField, isDecimal, isFieldTable, isTypedFieldValue, isVoid } from './field-value.js';

/**
 * Compares two field values the way RabbitMQ's Erlang `==` does when matching headers: numbers by value whatever
 * their wire type (`1` equals `1.0`, a bigint or a typed `signedint` 1), strings and byte arrays by bytes (both are
 * Erlang binaries), decimals by scale and digits, arrays and tables element by element.
 */
export function fieldValueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const an = numericOf(a);
  if (an !== undefined) {
    const bn = numericOf(b);
    // Loose equality is deliberate: it compares number with bigint by value (1 == 1n), which === does not.
    return bn !== undefined && an == bn;
  }
  if (isVoid(a)) return isVoid(b);
  if (typeof a === 'boolean' || typeof b === 'boolean') return false;
  if (typeof a === 'string' || Buffer.isBuffer(a)) return bytesEqual(a, b);
  if (isTypedFieldValue(a) || isTypedFieldValue(b)) return decimalsEqual(a, b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!fieldValueEquals(a[i], b[i])) return false;
    return true;
  }
  if (isFieldTable(a) && isFieldTable(b)) return fieldTableEquals(a, b);
  return false;
}

/** True when both tables have the same keys with equal values (key order is irrelevant, as in RabbitMQ). */
export function fieldTableEquals(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  for (const key of aKeys) {
    if (!hasField(b, key) || !fieldValueEquals(a[key], b[key])) return false;
  }
  return true;
}

/** The numeric value of a number, bigint or typed number; undefined for anything else (decimals included). */
function numericOf(value: unknown): number | bigint | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (isTypedFieldValue(value) && (typeof value.value === 'number' || typeof value.value === 'bigint')) return value.value;
  return undefined;
}

function bytesEqual(a: string | Buffer, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return false; // a !== b already
  if (typeof b !== 'string' && !Buffer.isBuffer(b)) return false;
  // Only reached for a string against a Buffer, which is rare enough to pay for the conversion.
  const aBytes = typeof a === 'string' ? Buffer.from(a) : a;
  const bBytes = typeof b === 'string' ? Buffer.from(b) : b;
  return aBytes.equals(bBytes);
}

function decimalsEqual(a: unknown, b: unknown): boolean {
  if (!isTypedFieldValue(a) || !isTypedFieldValue(b)) return false;
  const x = a.value;
  const y = b.value;
  return isDecimal(x) && isDecimal(y) && x.scale === y.scale && x.value === y.value;
}
