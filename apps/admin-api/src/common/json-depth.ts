import { BadRequestException } from '@nestjs/common';

/** Deepest nesting of arrays and objects a request body may have (definitions files need a handful of levels). */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Throws 400 when the raw JSON nests arrays and objects deeper than `maxDepth`, before it is parsed: validation and
 * class-transformer walk the parsed value recursively, and 20,000 levels overflow the stack (a 500). One pass over
 * the bytes (the body is at most 1 MiB); brackets inside strings do not count.
 */
export function refuseDeepJson(raw: Buffer, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let isInString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (isInString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) isInString = false;
    } else if (byte === QUOTE) {
      isInString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) throw new BadRequestException(`JSON nested deeper than ${maxDepth} levels`);
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
}
