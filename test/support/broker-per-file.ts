import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { startTestBroker, type TestBroker } from '@app/testing';

/** The embedded broker, connection and channel that `useBrokerPerFile` keeps; read them inside tests and hooks only. */
export interface BrokerPerFile {
  broker: TestBroker;
  connection: ChannelModel;
  /** A fresh channel for each test. */
  channel: Channel;
}

/**
 * Registers the jest hooks of a file whose tests share one embedded broker and one amqplib connection: before each
 * test the broker is reset (docs/testing.md, "Between tests") and a fresh channel opened; after it the channel is
 * closed (unless the test closed it, or the broker did); after the file the connection and the broker are closed.
 * The returned object's fields are set by those hooks.
 */
export function useBrokerPerFile(): BrokerPerFile {
  const env = {} as BrokerPerFile;
  beforeAll(async () => {
    env.broker = await startTestBroker();
    env.connection = await amqplib.connect(env.broker.url);
  });
  afterAll(async () => {
    await env.connection.close();
    await env.broker.close();
  });
  beforeEach(async () => {
    await env.broker.reset();
    env.channel = await env.connection.createChannel();
  });
  afterEach(async () => {
    await env.channel.close().catch(() => undefined);
  });
  return env;
}
