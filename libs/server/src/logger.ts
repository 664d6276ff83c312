import type { LogLevel } from './config/broker-config.js';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/**
 * A level-gated logger for the broker's data path. Callers check `isEnabled('debug')` before building
 * a message, so disabled levels cost one comparison. Never log passwords or message bodies.
 */
export class BrokerLogger {
  private readonly rank: number;

  constructor(
    readonly level: LogLevel,
    private readonly sink: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  ) {
    this.rank = RANK[level];
  }

  /** Whether messages at `level` are written. */
  isEnabled(level: LogLevel): boolean {
    return RANK[level] <= this.rank;
  }

  error(message: string): void {
    if (this.rank >= 0) this.write('error', message);
  }

  warn(message: string): void {
    if (this.rank >= 1) this.write('warn', message);
  }

  info(message: string): void {
    if (this.rank >= 2) this.write('info', message);
  }

  debug(message: string): void {
    if (this.rank >= 3) this.write('debug', message);
  }

  private write(level: LogLevel, message: string): void {
    this.sink(`${new Date().toISOString()} [${level}] ${message}`);
  }
}
