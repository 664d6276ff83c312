/**
 * RabbitMQ's binding "properties key" (`rabbit_mgmt_format:pack_binding_props`), which the management API uses to
 * name one binding in URLs: the URL-quoted routing key, `~` for an empty key, plus `~` and a short hash of the
 * arguments when there are any.
 *
 * RabbitMQ hashes the Erlang term with `erlang:phash2`; Warren hashes {@link fieldTableKey}'s canonical string
 * with 32-bit FNV-1a, so the key has the same shape (6 base64url characters) and is stable for equal arguments,
 * but is not byte-identical to RabbitMQ's.
 *
 * @param argsKey the arguments' canonical key (`''` when there are none)
 */
export function bindingPropertiesKey(routingKey: string, argsKey: string): string {
  if (argsKey === '') return routingKey === '' ? '~' : quoteBinding(routingKey);
  return `${quoteBinding(routingKey)}~${quoteBinding(argsHash(argsKey))}`;
}

/** mochiweb's `quote_plus` (`[A-Za-z0-9._~-]` kept, space to `+`, UTF-8 bytes as `%XX`), then `~` as `%7E`. */
function quoteBinding(text: string): string {
  let quoted = '';
  for (const byte of Buffer.from(text)) {
    if (isUnreserved(byte)) quoted += byte === 0x7e ? '%7E' : String.fromCharCode(byte);
    else if (byte === 0x20) quoted += '+';
    else quoted += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return quoted;
}

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    byte === 0x2e || // .
    byte === 0x2d || // -
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}

/** `rabbit_misc:base64url` of a 32-bit hash: 4 bytes, base64url without padding. */
function argsHash(argsKey: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < argsKey.length; i++) {
    hash ^= argsKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(hash >>> 0);
  return bytes.toString('base64url');
}
