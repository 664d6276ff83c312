import { DEFAULT_BROKER_ENV, loadBrokerEnv, type BrokerEnv } from '@app/config';

// The variables, their kinds and defaults live in the shared schema (`@app/config`), which the admin API uses too;
// re-exported so callers of the server need one import.
export { ConfigError, LOG_LEVELS, type BrokerEnv, type LogLevel } from '@app/config';

/**
 * Everything the broker can be tuned with: the environment settings plus limits and timers that only code sets.
 * Timers are configurable so tests run in milliseconds.
 */
export interface BrokerConfig extends BrokerEnv {
  /** Heartbeat interval offered in `connection.tune`, in seconds (0 disables). */
  heartbeatSec: number;
  /** Milliseconds per negotiated heartbeat second: 1000 in production, smaller in tests. */
  heartbeatUnitMs: number;
  /** A client must complete the handshake (open-ok) within this time. */
  handshakeTimeoutMs: number;
  /** After the server sends `connection.close`, how long it waits for `close-ok` before dropping the socket. */
  closeTimeoutMs: number;
  /** After a storage fault, how often to try reopening the store. */
  storageRetryMs: number;
  /** How often consumer timeouts are checked. */
  consumerTimeoutCheckMs: number;
}

/** Defaults (RabbitMQ's where it has one). */
export const DEFAULT_CONFIG: BrokerConfig = {
  ...DEFAULT_BROKER_ENV,
  heartbeatSec: 60,
  heartbeatUnitMs: 1000,
  handshakeTimeoutMs: 10_000,
  closeTimeoutMs: 1000,
  storageRetryMs: 1000,
  consumerTimeoutCheckMs: 60_000,
};

/**
 * Reads the broker configuration from the `WARREN_*` environment variables (README, "Configuration") over
 * DEFAULT_CONFIG. Throws ConfigError naming the variable on a bad value.
 */
export function loadConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  return { ...DEFAULT_CONFIG, ...loadBrokerEnv(env) };
}
