// Public API of Warren's embedded test broker: start a broker in the test's own process and inspect it.
export { ExchangeCapture, type CaptureOptions } from './exchange-capture.js';
export type { InspectedMessage } from './inspected-message.js';
export type { BindingFilter, BindingInfo } from './list-bindings.js';
export { DEFAULT_WAIT_TIMEOUT_MS, pollUntil, waitFor, type PollOptions, type Truthy, type WaitForOptions } from './poll-until.js';
export { isPredeclaredExchange, type ResetSummary } from './reset-vhost.js';
export { startTestBroker, TEST_BROKER_DEFAULTS, type StartTestBrokerOptions } from './start-test-broker.js';
export { TestBroker, type ResetOptions, type TestBrokerStorage } from './test-broker.js';
export type { QueueConditions, QueueSnapshot } from './wait-for-queue.js';
