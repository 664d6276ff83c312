import { isDecimal, isFieldTable, isTypedFieldValue, isVoid } from './field-value.js';

/** RabbitMQ's name (`rabbit_binary_parser`) for each field-value type tag of AMQP 0-9-1 as RabbitMQ errata it. */
const TYPE_NAME_BY_TAG: Readonly<Record<string, string>> = {
  t: 'bool',
  b: 'byte',
  B: 'unsignedbyte',
  s: 'short',
  u: 'unsignedshort',
  I: 'signedint',
  i: 'unsignedint',
  l: 'long',
  f: 'float',
  d: 'double',
  D: 'decimal',
  S: 'longstr',
  x: 'binary',
  A: 'array',
  T: 'timestamp',
  F: 'table',
  V: 'void',
};

/**
 * RabbitMQ's type name for a field value, as its error texts print it (`longstr`, `signedint`, `table`, …).
 *
 * Plain JS numbers carry no wire type, so they are named as the codec most likely encodes them: `signedint` for
 * 32-bit integers, `long` for larger ones, `double` otherwise.
 */
export function fieldTypeName(value: unknown): string {
  if (isVoid(value)) return 'void';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'string':
      return 'longstr';
    case 'bigint':
      return 'long';
    case 'number':
      if (!Number.isInteger(value)) return 'double';
      return value >= -0x80000000 && value <= 0x7fffffff ? 'signedint' : 'long';
  }
  if (Buffer.isBuffer(value)) return 'binary';
  if (Array.isArray(value)) return 'array';
  if (isTypedFieldValue(value)) return typeNameOfTag(value.type);
  return 'table';
}

// The codec's FieldType may be the wire tag ('I'), its char code (73) or a name; accept all three.
function typeNameOfTag(type: unknown): string {
  const tag = typeof type === 'number' ? String.fromCharCode(type) : String(type);
  return TYPE_NAME_BY_TAG[tag] ?? tag.toLowerCase();
}

/** RabbitMQ's `type_class`: integer widths are one class, float widths another (`rabbit_misc`). */
export function fieldTypeClass(value: unknown): string {
  const name = fieldTypeName(value);
  switch (name) {
    case 'byte':
    case 'short':
    case 'signedint':
    case 'long':
    case 'decimal':
      return 'int';
    case 'float':
    case 'double':
      return 'float';
    default:
      return name;
  }
}

/**
 * Formats a field value the way Erlang's `~tp` prints the decoded term, for RabbitMQ's reply texts:
 * `<<"foo">>` for a string, `5` for a number, `undefined` for void.
 */
export function formatErlangTerm(value: unknown): string {
  if (isVoid(value)) return 'undefined';
  switch (typeof value) {
    case 'boolean':
      return String(value);
    case 'number':
      return Number.isInteger(value) ? String(value) : formatErlangFloat(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return formatBinary(Buffer.from(value));
  }
  if (Buffer.isBuffer(value)) return formatBinary(value);
  if (Array.isArray(value)) return `[${value.map(formatErlangTerm).join(',')}]`;
  if (isTypedFieldValue(value)) {
    const inner = value.value;
    return isDecimal(inner) ? `{${inner.scale},${inner.value}}` : formatErlangTerm(inner);
  }
  if (isFieldTable(value)) {
    const rows = Object.keys(value).map((key) => {
      const field = value[key];
      return `{${formatBinary(Buffer.from(key))},${fieldTypeName(field)},${formatErlangTerm(field)}}`;
    });
    return `[${rows.join(',')}]`;
  }
  return String(value);
}

function formatErlangFloat(value: number): string {
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** `<<"text">>` for printable ASCII, `<<"text"/utf8>>` for printable UTF-8, else `<<1,2,3>>`, as `~tp` does. */
function formatBinary(bytes: Buffer): string {
  if (bytes.every((byte) => byte >= 0x20 && byte < 0x7f)) return `<<"${escapeErlang(bytes.toString('latin1'))}">>`;
  const text = bytes.toString('utf8');
  if (Buffer.from(text).equals(bytes) && !/\p{Cc}/u.test(text)) return `<<"${escapeErlang(text)}"/utf8>>`;
  return `<<${Array.from(bytes).join(',')}>>`;
}

function escapeErlang(text: string): string {
  return text.replace(/[\\"]/g, (c) => `\\${c}`);
}
