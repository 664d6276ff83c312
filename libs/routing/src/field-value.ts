/**
 * Structural view of the codec's field values, so routing can compare and describe them without importing the
 * codec (docs/ARCHITECTURE.md: `routing` imports only its own types).
 *
 * Shapes recognised: `boolean | number | bigint | string | Buffer | null | undefined | array | table`, plus the
 * codec's `TypedFieldValue` (`{ type, value }` with `value` a number, a bigint or a decimal `{ scale, value }`).
 */

/** A codec `TypedFieldValue` seen structurally. */
export interface TypedFieldValueLike {
  readonly type: unknown;
  readonly value: number | bigint | DecimalLike;
}

/** An AMQP decimal: `value / 10 ** scale`. */
export interface DecimalLike {
  readonly scale: number;
  readonly value: number;
}

/**
 * True for a codec `TypedFieldValue`.
 *
 * A table may legitimately have keys `type` and `value`, so only class instances (not plain or null-prototype
 * objects, which is what a decoded table is) count as typed values.
 */
export function isTypedFieldValue(value: unknown): value is TypedFieldValueLike {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto !== Object.prototype && proto !== null && 'type' in value && 'value' in value;
}

/** True for a decimal payload `{ scale, value }`. */
export function isDecimal(value: unknown): value is DecimalLike {
  return typeof value === 'object' && value !== null && 'scale' in value && 'value' in value;
}

/** True for a nested field table (a plain object that is not a typed value, a Buffer or an array). */
export function isFieldTable(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && !isTypedFieldValue(value);
}

/** Void (`V`) on the wire: the codec decodes it as `null`; `undefined` is treated the same. */
export function isVoid(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/** Own-property lookup that ignores `Object.prototype` keys such as `constructor`. */
export function hasField(table: Readonly<Record<string, unknown>>, key: string): boolean {
  return Object.hasOwn(table, key);
}
