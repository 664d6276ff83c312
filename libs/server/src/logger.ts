import { createRequire } from 'node:module';
import { pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config/broker-config.js';

/**
 * The broker's logger: pino, writing one JSON object per line (human-readable on a terminal). Connections log
 * through child loggers that carry `connection`, `peer`, `user` and `vhost`. Hot-path callers check
 * `isLevelEnabled('debug')` before building fields, so a disabled level costs one comparison. Never log passwords
 * or message bodies.
 */
export type BrokerLogger = Logger<never, boolean>;

/** A log level, or `'silent'` for none. */
export type BrokerLogLevel = LogLevel | 'silent';

/**
 * Creates the broker's logger. With `sink`, each line (one JSON object, no newline) goes there (tests); otherwise
 * to stderr, pretty-printed when stderr is a terminal.
 *
 * Every destination is synchronous and in-process: no transport worker thread per broker (a test process starts
 * hundreds), and nothing is lost when the process exits right after logging. Logging is rare (connection
 * lifecycle, faults), never per frame at info, so synchronous writes cost nothing that matters.
 */
export function createBrokerLogger(level: BrokerLogLevel, sink?: (line: string) => void): BrokerLogger {
  const destination = sink ? lineSink(sink) : process.stderr.isTTY ? prettyStderr() : pino.destination({ dest: 2, sync: true });
  return pino(
    {
      level,
      // Level names ('info') rather than pino's numbers (30): the same words as WARREN_LOG_LEVEL.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: stdTimeFunctions.isoTime,
    },
    destination,
  );
}

function lineSink(sink: (line: string) => void): DestinationStream {
  return { write: (chunk: string) => sink(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) };
}

/** pino-pretty used as a plain stream, loaded only when a terminal will read the log. */
function prettyStderr(): DestinationStream {
  const require = createRequire(import.meta.url);
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty({ destination: 2, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
}
