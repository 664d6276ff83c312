// Field table value types shared by the table reader and writer (0-9-1 §4.2.5.5, with RabbitMQ's tag errata).

/**
 * Field value type tags in RabbitMQ's flavour of AMQP 0-9-1 tables (its errata to the spec's list): `t` boolean,
 * `b`/`B` int8/uint8, `s`/`u` int16/uint16, `I`/`i` int32/uint32, `l` int64, `f`/`d` float32/float64, `D` decimal,
 * `S` longstr, `x` byte array, `A` array, `T` timestamp (uint64 seconds), `F` table, `V` void.
 */
export type FieldType = 't' | 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'l' | 'f' | 'd' | 'D' | 'S' | 'x' | 'A' | 'T' | 'F' | 'V';

/** A `D` field value: `value / 10^scale`; scale is an octet and value an int32, as the Java and pika clients send. */
export interface Decimal {
  scale: number;
  value: number;
}

/**
 * A field value with an explicit type tag, for tags the default encoding of a plain JS value would not choose.
 *
 * @remarks
 * Value per tag: a number for `b B s u I i f d` and for `t` (the raw octet, so `t` octets other than 0/1 round-trip);
 * a number or bigint for `l` and `T`; a {@link Decimal} for `D`; ignored for `V`. `S x A F` are written from plain
 * values (string, Buffer, array, object) instead and are refused here.
 */
export class TypedFieldValue {
  constructor(
    readonly type: FieldType,
    readonly value: number | bigint | Decimal,
  ) {}
}

/**
 * A field table or array value.
 *
 * @remarks
 * Default encoding of plain values: boolean → `t`; string → `S` (UTF-8); integer number in int32 range → `I`;
 * other safe integer → `l`; any other number → `d`; bigint → `l`; Buffer → `x`; array → `A`;
 * null/undefined → `V`; plain object → `F`; TypedFieldValue → its own tag.
 *
 * Decoding yields a plain value exactly when the default encoding would write it back with the same tag, and a
 * TypedFieldValue otherwise, so decode → encode is byte-exact. One exception needs no new type: an `S` value that
 * is not valid UTF-8 decodes to a Buffer the encoder remembers (in a WeakSet) and writes back as `S`, not `x`.
 * Exactness does not survive what a JS object cannot hold: duplicate keys (the last wins), and keys that look like
 * array indices (JS enumerates them first, in numeric order). NaN payloads are canonicalised.
 */
export type FieldValue = boolean | number | bigint | string | Buffer | null | FieldTable | FieldValue[] | TypedFieldValue;

/** An AMQP field table: shortstr keys to typed values, in insertion order. */
export interface FieldTable {
  [key: string]: FieldValue;
}

/** Deepest nesting of tables and arrays accepted either way, so a hostile table cannot exhaust the stack. */
export const MAX_FIELD_DEPTH = 64;

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

/** The tag the default encoding gives a plain number; decoding compares against it to stay byte-exact. */
export function defaultNumberTag(n: number): 'I' | 'l' | 'd' {
  if (Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX) return 'I';
  return Number.isSafeInteger(n) ? 'l' : 'd';
}

/** Buffers that decoded from non-UTF-8 `S` values and must be written back as `S` rather than `x`. */
export const longstrBuffers = new WeakSet<Buffer>();
