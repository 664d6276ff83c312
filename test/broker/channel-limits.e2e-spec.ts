import { PROTOCOL_HEADER, ReplyCode } from '@app/codec';
import { loadConfigFromEnv } from '@app/server';
import { AMQPClient } from '@cloudamqp/amqp-client';
import amqplib from 'amqplib';
import { rawClientsPerTest, type RawClient, startOk } from '../support/raw-client.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';

// WARREN_CHANNEL_MAX and WARREN_FRAME_MAX: offered in connection.tune, negotiated down by clients, and enforced as
// RabbitMQ does (one channel too many is a 530 connection error; a frame_max above the offer is refused).
describe('channel_max and frame_max', () => {
  let server: TestBroker;
  const connectRaw = rawClientsPerTest(() => server.port);

  beforeAll(async () => {
    const { channelMax, frameMax } = loadConfigFromEnv({ WARREN_CHANNEL_MAX: '2', WARREN_FRAME_MAX: '8192' });
    server = await startBroker({ channelMax, frameMax, handshakeTimeoutMs: 5_000 });
  });

  afterAll(async () => {
    await server?.close();
  });

  /** A raw client through connection.tune, answering with the given tune-ok values. */
  async function tuned(channelMax: number, frameMax: number): Promise<RawClient> {
    const raw = await connectRaw();
    raw.send(PROTOCOL_HEADER);
    await raw.method('connection.start');
    raw.sendMethod(0, startOk());
    const tune = await raw.method('connection.tune');
    expect({ channelMax: tune.channelMax, frameMax: tune.frameMax }).toEqual({ channelMax: 2, frameMax: 8192 });
    raw.sendMethod(0, { name: 'connection.tune-ok', classId: 10, methodId: 31, channelMax, frameMax, heartbeat: 0 });
    return raw;
  }

  it('offers the configured limits, which amqplib and @cloudamqp/amqp-client adopt', async () => {
    const connection = await amqplib.connect(server.url);
    try {
      const negotiated = (connection as unknown as { connection: { channelMax: number; frameMax: number } }).connection;
      expect({ channelMax: negotiated.channelMax, frameMax: negotiated.frameMax }).toEqual({ channelMax: 2, frameMax: 8192 });
      await connection.createChannel();
      await connection.createChannel();
      // amqplib will not go past the negotiated limit on its own.
      await expect(connection.createChannel()).rejects.toThrow(/No channels left/);
    } finally {
      await connection.close();
    }
    const client = new AMQPClient(`${server.url}?heartbeat=0`);
    await client.connect();
    expect({ channelMax: client.channelMax, frameMax: client.frameMax }).toEqual({ channelMax: 2, frameMax: 8192 });
    await client.close();
  });

  it('closes the connection with 530 and RabbitMQ’s text when one channel more than channel_max is opened', async () => {
    const fresh = await tuned(0, 0);
    fresh.sendMethod(0, { name: 'connection.open', classId: 10, methodId: 40, virtualHost: '/', capabilities: '', insist: false });
    await fresh.method('connection.open-ok');
    await fresh.openChannel(1);
    await fresh.openChannel(2);
    fresh.sendMethod(3, { name: 'channel.open', classId: 20, methodId: 10, outOfBand: '' });
    const close = await fresh.method('connection.close');
    expect(close).toMatchObject({
      replyCode: ReplyCode.NOT_ALLOWED,
      replyText: 'NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)',
    });
  });

  it('refuses a tune-ok asking for more than the offered channel_max or frame_max with 530', async () => {
    const channels = await tuned(3, 8192);
    expect(await channels.method('connection.close')).toMatchObject({
      replyCode: ReplyCode.NOT_ALLOWED,
      replyText: 'NOT_ALLOWED - channel_max=3 > 2 max',
    });
    const frames = await tuned(2, 16384);
    expect(await frames.method('connection.close')).toMatchObject({
      replyCode: ReplyCode.NOT_ALLOWED,
      replyText: 'NOT_ALLOWED - frame_max=16384 > 8192 max size',
    });
  });
});
