export { WarrenServer, type WarrenEvents, type WarrenStatus } from './warren-server.js';
export { WarrenClient } from './warren-client.js';
export { WarrenContext, type NackOptions, type WarrenContextArgs } from './warren-context.js';
export { WarrenModule, WARREN_CLIENT_OPTIONS, type WarrenModuleAsyncOptions } from './warren.module.js';
export { WarrenHealthIndicator, type WarrenConnectionState, type WarrenHealthResult } from './warren-health.indicator.js';
export { WarrenTimeoutError, WarrenPublishError, type WarrenPublishFailure } from './warren-errors.js';
export type { WarrenServerOptions, WarrenClientOptions, WarrenConnectionOptions } from './warren-options.js';
export type { RetryOptions } from './retry-policy.js';
export type { BackoffOptions } from './backoff.js';
export {
  WARREN_TRANSPORT,
  DEFAULT_EVENTS_EXCHANGE,
  DEFAULT_REQUESTS_EXCHANGE,
  RETRY_COUNT_HEADER,
  PATTERN_HEADER,
  ERROR_HEADER,
  ORIGIN_QUEUE_HEADER,
  NO_MESSAGE_HANDLER,
  groupQueueNames,
  type GroupQueueNames,
} from './warren-constants.js';
export { matchesTopic, isWildcardPattern } from './topic-pattern.js';
// Side effect: adds the Nest 12 Server methods WarrenServer needs when running under Nest 11 (see the file).
import './nest11-compat.js';
