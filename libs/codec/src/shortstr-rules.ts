/** Most bytes a shortstr holds: its length is one octet (AMQP 0-9-1 §4.2.5.3). */
export const MAX_SHORTSTR_BYTES = 255;

// In a `u` regex a surrogate pair is one code point, so `\p{Cs}` matches only a lone (unpaired) surrogate.
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/**
 * Why a JS string could not travel as a shortstr, or undefined when it can: it must be valid UTF-8 once encoded
 * (no lone surrogate, which UTF-8 cannot encode: Buffer and LevelDB write U+FFFD instead) and at most 255 bytes.
 * Strings the decoder produced always pass (it refuses the rest with 501); strings from JSON may not.
 */
export function shortstrRefusal(value: string): string | undefined {
  // A string of ≤ 85 UTF-16 units is ≤ 255 bytes (3 bytes per unit at most): no need to measure it.
  if (value.length > 85) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_SHORTSTR_BYTES) return `is longer than ${MAX_SHORTSTR_BYTES} bytes (${bytes})`;
  }
  if (LONE_SURROGATE.test(value)) return 'is not valid UTF-8 (it holds a lone surrogate)';
  return undefined;
}

/** `value` with each lone surrogate replaced by U+FFFD, exactly as UTF-8 encoding (and so a LevelDB key) holds it. */
export function wellFormed(value: string): string {
  return LONE_SURROGATE.test(value) ? value.replace(LONE_SURROGATES, '\ufffd') : value;
}

/** A short printable form of a string for an error text (a shortstr itself): lone surrogates shown as `\uXXXX`. */
export function shortstrPreview(value: string): string {
  const head = value.length > 40 ? value.slice(0, 40) + '…' : value;
  return head.replace(LONE_SURROGATES, (unit) => `\\u${unit.charCodeAt(0).toString(16)}`);
}
