import { WarrenClient, type WarrenClientOptions } from '@app/transport';
import type { TestBroker } from '../test-broker.js';
import { TEST_RECONNECT } from './test-microservice.js';

/**
 * A WarrenClient (a Nest `ClientProxy`: `emit()` for events, `send()` for requests) connected to the test broker
 * when this resolves. Tests default to fast reconnects and a 10 s request timeout. The client is closed by
 * `broker.close()` (before the broker) if the test does not close it first.
 */
export async function createTestClient(broker: TestBroker, options: Omit<WarrenClientOptions, 'urls'> = {}): Promise<WarrenClient> {
  const client = new WarrenClient({ reconnect: TEST_RECONNECT, timeoutMs: 10_000, ...options, urls: [broker.url] });
  broker.closeWithBroker(() => client.close());
  await client.connect();
  return client;
}
