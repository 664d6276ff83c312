import { totalmem } from 'node:os';
import { z } from 'zod';
import { LOG_LEVELS } from './log-level.js';

// The kinds of value a `WARREN_*` variable can hold. Every app parses a kind the same way, so `WARREN_AMQP_PORT`
// and `WARREN_HTTP_PORT` accept exactly the same strings. Numbers are decimal digits only: no sign, spaces, hex
// (`0x50`), exponent or empty string, which `Number()` would silently accept.

const DIGITS = /^\d+$/;
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;
const HOST = /^[A-Za-z0-9.:_%-]+$/;

/** An integer from `min` to `max`, written in decimal digits. */
export function integerKind(min: number, max: number, what = `an integer from ${min} to ${max}`) {
  const message = `must be ${what}`;
  return z.string().regex(DIGITS, message).transform(Number).pipe(z.number().min(min, message).max(max, message));
}

/** A TCP port, 0–65535 (0 picks a free one). */
export const portKind = () => integerKind(0, 65535, 'a port: decimal digits from 0 to 65535 (0 picks a free port)');

/** A fraction of a whole in (0, 1], or a whole number above 1 (the memory watermark: share of RAM or bytes). */
export const fractionOrCountKind = () => {
  const message = 'must be a fraction in (0, 1] or a whole number above 1';
  return z
    .string()
    .regex(DECIMAL, message)
    .transform(Number)
    .pipe(z.number().refine((value) => value > 0 && (value <= 1 || Number.isInteger(value)), message));
};

// RabbitMQ's size units (`disk_free_limit.absolute`): k/K/KiB, M/MiB, G/GiB, T/TiB are powers of 1024; kB, MB,
// GB, TB powers of 1000. No unit: bytes.
const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1024,
  K: 1024,
  KiB: 1024,
  kiB: 1024,
  M: 1024 ** 2,
  MiB: 1024 ** 2,
  G: 1024 ** 3,
  GiB: 1024 ** 3,
  T: 1024 ** 4,
  TiB: 1024 ** 4,
  kB: 1000,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
};
const SIZE = /^(\d+)([A-Za-z]*)$/;
const MEM_RELATIVE = /^mem_relative:(\d+(\.\d*)?|\.\d+)$/;
/** Above this a limit is a typo, not a disk (and stays a safe integer). */
const MAX_DISK_FREE_LIMIT = 2 ** 50;

/**
 * RabbitMQ's `disk_free_limit`, as bytes: an absolute size with an optional unit (`50000000`, `50MB`, `1GiB`) or
 * `mem_relative:<factor>` (`disk_free_limit.relative`: that multiple of RAM, e.g. `mem_relative:1.0`).
 */
export const diskFreeLimitKind = (totalMemBytes: number = totalmem()) => {
  const message = 'must be bytes with an optional unit (50000000, 50MB, 1GiB) or mem_relative:<factor> (mem_relative:1.0)';
  return z.string().transform((text, context) => {
    const relative = MEM_RELATIVE.exec(text);
    const size = relative ? undefined : SIZE.exec(text);
    const unit = size ? SIZE_UNITS[size[2]!] : undefined;
    const bytes = relative ? Math.floor(Number(relative[1]) * totalMemBytes) : unit !== undefined ? Number(size![1]) * unit : NaN;
    if (!(bytes >= 0 && bytes <= MAX_DISK_FREE_LIMIT)) {
      context.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return bytes;
  });
};

/** One of LOG_LEVELS, in any case. */
export const logLevelKind = () =>
  z
    .string()
    .transform((text) => text.toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }));

/** A host name or an IPv4/IPv6 address (with an optional `%zone`). */
export const hostKind = () => z.string().regex(HOST, 'must be a host name or IP address');

/** A bind address where the empty string means every interface (IPv4 and IPv6). */
export const listenHostKind = () =>
  z
    .string()
    .refine((text) => text === '' || HOST.test(text), 'must be a host name or IP address (empty: every interface)')
    .transform((text) => (text === '' ? undefined : text));

/** `true` or `false` (RabbitMQ's spelling of its boolean settings); anything else is refused, not read as false. */
export const booleanKind = () => z.enum(['true', 'false'], { message: 'must be true or false' }).transform((text) => text === 'true');

/** A file system path; blank is refused rather than meaning the working directory. */
export const pathKind = () => z.string().trim().min(1, 'must be a path, not blank');

/** A comma-separated list of names (spaces around commas ignored); the empty string is the empty list. */
export const nameListKind = () =>
  z.string().transform((text) =>
    text
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );

/** An `amqp://` or `amqps://` URL. */
export const amqpUrlKind = () => z.string().refine(isAmqpUrl, 'must be an amqp:// or amqps:// URL');

function isAmqpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'amqp:' || url.protocol === 'amqps:') && url.hostname !== '';
  } catch {
    return false;
  }
}
