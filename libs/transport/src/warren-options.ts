import type { Deserializer, Serializer } from '@nestjs/microservices';
import type { BackoffOptions } from './backoff.js';
import type { RetryOptions } from './retry-policy.js';

/** Connection settings shared by WarrenServer and WarrenClient. */
export interface WarrenConnectionOptions {
  /** Broker URL(s), `amqp://user:pass@host:port/vhost`; tried in turn on reconnect. Default `amqp://localhost`. */
  urls?: string | readonly string[];
  /** Delay between reconnection attempts. */
  reconnect?: BackoffOptions;
  /** Heartbeat interval proposed to the broker, in seconds. Default 10. */
  heartbeatSeconds?: number;
  /** Shown as `connection_name` in the broker's connection list. */
  connectionName?: string;
  /** Topic exchange for events. Default `warren.events`. */
  exchange?: string;
  /** Topic exchange for requests. Default `warren.requests`. */
  requestExchange?: string;
}

/** Options of {@link WarrenServer}. */
export interface WarrenServerOptions extends WarrenConnectionOptions {
  /**
   * The consumer group: instances of one group share its queues and compete for messages, and every group gets
   * every event it is bound to. Defaults to `serviceName`; one of the two is required.
   */
  group?: string;
  /** The application's name, the default `group`. */
  serviceName?: string;
  /** Unacknowledged deliveries per consumer (basic.qos, per consumer). Default 10. */
  prefetchCount?: number;
  /**
   * `auto` (default): an event is acked once its handlers succeed, retried when one fails. `manual`: handlers
   * settle through `WarrenContext#ack()`/`nack()`; a failing handler that did not settle is still retried.
   */
  ackMode?: 'auto' | 'manual';
  /** Retry schedule for failed events. */
  retry?: RetryOptions;
  /** How long `close()` waits for in-flight handlers before closing anyway (their messages are redelivered). Default 10 000 ms. */
  shutdownTimeoutMs?: number;
  /** Connection attempts before `listen()` fails; later outages always retry. Default: unlimited. */
  maxConnectAttempts?: number;
  serializer?: Serializer;
  deserializer?: Deserializer;
}

/** Options of {@link WarrenClient}. */
export interface WarrenClientOptions extends WarrenConnectionOptions {
  /** Time a `send()` waits for its complete reply before failing with WarrenTimeoutError. Default 30 000 ms. */
  timeoutMs?: number;
  /**
   * Messages kept while disconnected, sent on reconnect; beyond this, `emit()`/`send()` fail with
   * `WarrenPublishError('buffer-full')`. 0 fails at once while disconnected. Default 1000.
   */
  maxBufferedMessages?: number;
  /** Publish events as persistent (delivery mode 2), so they survive a broker restart. Default true. */
  persistent?: boolean;
  /** How long `close()` waits for outstanding publisher confirms. Default 5000 ms. */
  closeTimeoutMs?: number;
  serializer?: Serializer;
  deserializer?: Deserializer;
}

/** Default broker URL, as Transport.RMQ's. */
export const DEFAULT_URL = 'amqp://localhost';

/** The URL list of a connection, defaults applied. */
export function urlsOf(options: WarrenConnectionOptions): string[] {
  const urls = options.urls === undefined ? [DEFAULT_URL] : typeof options.urls === 'string' ? [options.urls] : [...options.urls];
  if (urls.length === 0) throw new Error('transport: "urls" must not be empty');
  return urls;
}
