import { encodeMethodFrame, FRAME_END, type Method } from '@app/codec';
import { channelOpen, queueDeclare } from '@app/server/connection/testing/methods.js';
import { rawClientsPerTest, type RawClient, type ReceivedFrame } from '../support/raw-client.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

// Hardening item 8: corner cases real client suites hit, each checked against RabbitMQ 3.10 with a raw socket.

const CLOSE_TIMEOUT_MS = 300;

const connectionClose: Method = {
  name: 'connection.close',
  classId: 10,
  methodId: 50,
  replyCode: 200,
  replyText: 'Goodbye',
  failingClassId: 0,
  failingMethodId: 0,
};
const channelClose: Method = {
  name: 'channel.close',
  classId: 20,
  methodId: 40,
  replyCode: 200,
  replyText: 'Goodbye',
  failingClassId: 0,
  failingMethodId: 0,
};

function declare(queue: string, passive = false): Method {
  return queueDeclare(queue, { passive, exclusive: !passive });
}

function methodsNamed(raw: RawClient, name: string, channel?: number): ReceivedFrame[] {
  return raw.frames.filter((f) => f.type === 'method' && f.method.name === name && (channel === undefined || f.channel === channel));
}

describe('raw-socket protocol corner cases', () => {
  let server: TestBroker;
  const client = rawClientsPerTest(() => server.port);

  beforeAll(async () => {
    server = await startBroker({ closeTimeoutMs: CLOSE_TIMEOUT_MS });
  });

  afterAll(async () => {
    await server.close();
  });

  describe('channel.close', () => {
    it('keeps the connection when the client and the server close a channel at once', async () => {
      const raw = await client();
      await raw.handshake();
      await raw.openChannel(1);
      await raw.openChannel(2);
      // A passive declare of a missing queue makes the server close channel 1 (404); the client's own close crosses it.
      raw.send(Buffer.concat([encodeMethodFrame(1, declare('no-such-queue', true)), encodeMethodFrame(1, channelClose)]));
      await waitFor(() => methodsNamed(raw, 'channel.close', 1).length === 1 && methodsNamed(raw, 'channel.close-ok', 1).length === 1, {
        what: "the server's channel.close and its close-ok",
      });
      // The client answers the server's close, as amqplib does.
      raw.sendMethod(1, { name: 'channel.close-ok', classId: 20, methodId: 41 });

      // Every other channel, and the connection, carry on; channel 1 can be opened again.
      raw.sendMethod(2, declare(''));
      await waitFor(() => methodsNamed(raw, 'queue.declare-ok', 2).length === 1 || raw.isClosed, { what: 'declare-ok on channel 2' });
      raw.sendMethod(1, channelOpen());
      await waitFor(() => methodsNamed(raw, 'channel.open-ok', 1).length === 2 || raw.isClosed, { what: 'channel 1 to open again' });
      expect(methodsNamed(raw, 'connection.close')).toEqual([]);
      expect(raw.isClosed).toBe(false);
    });
  });

  describe('connection.close', () => {
    it('answers each of two connection.close in a row with close-ok', async () => {
      const raw = await client();
      await raw.handshake();
      raw.send(Buffer.concat([encodeMethodFrame(0, connectionClose), encodeMethodFrame(0, connectionClose)]));
      await waitFor(() => methodsNamed(raw, 'connection.close-ok').length === 2 || raw.isClosed, { what: 'two close-oks' });
      expect(methodsNamed(raw, 'connection.close-ok')).toHaveLength(2);
      // Closing the socket is left to the client; a client that never does is dropped after the close timeout.
      await raw.closed(CLOSE_TIMEOUT_MS * 20);
    });

    it('answers a second connection.close that arrives after the first close-ok went out', async () => {
      const raw = await client();
      await raw.handshake();
      raw.sendMethod(0, connectionClose);
      await raw.method('connection.close-ok');
      raw.sendMethod(0, connectionClose);
      await waitFor(() => methodsNamed(raw, 'connection.close-ok').length === 2 || raw.isClosed, { what: 'the second close-ok' });
      expect(methodsNamed(raw, 'connection.close-ok')).toHaveLength(2);
    });
  });

  describe('basic properties', () => {
    it('round-trips a timestamp above 2^53 byte for byte', async () => {
      const raw = await client();
      await raw.handshake();
      await raw.openChannel(1);
      raw.sendMethod(1, declare(''));
      const { queue } = await raw.method('queue.declare-ok');
      // Built by hand, not with the codec under test: flags 0x0040 (timestamp only), then 2^62 + 1 as a uint64.
      const properties = Buffer.from('0040' + '4000000000000001', 'hex');
      const headerPayload = Buffer.concat([Buffer.from('003c' + '0000' + '0000000000000001', 'hex'), properties]);
      const header = Buffer.alloc(8 + headerPayload.length);
      header.writeUInt8(2, 0);
      header.writeUInt16BE(1, 1);
      header.writeUInt32BE(headerPayload.length, 3);
      headerPayload.copy(header, 7);
      header.writeUInt8(FRAME_END, 7 + headerPayload.length);
      const body = Buffer.from([3, 0, 1, 0, 0, 0, 1, 0x78, FRAME_END]);
      raw.send(
        Buffer.concat([
          encodeMethodFrame(1, {
            name: 'basic.publish',
            classId: 60,
            methodId: 40,
            ticket: 0,
            exchange: '',
            routingKey: queue,
            mandatory: false,
            immediate: false,
          }),
          header,
          body,
        ]),
      );
      raw.sendMethod(1, { name: 'basic.get', classId: 60, methodId: 70, ticket: 0, queue, noAck: true });

      const received = await waitFor(() => raw.frames.find((f) => f.type === 'header') ?? (raw.isClosed ? 'closed' : undefined), {
        what: 'the content header of basic.get-ok',
      });
      expect(methodsNamed(raw, 'connection.close')).toEqual([]);
      expect(received).toMatchObject({ type: 'header', bodySize: 1 });
      expect((received as { properties: Buffer }).properties.toString('hex')).toBe(properties.toString('hex'));
    });
  });
});
