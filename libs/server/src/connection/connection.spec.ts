import { jest } from '@jest/globals';
import { PROTOCOL_HEADER, ReplyCode, type Method } from '@app/codec';
import { Message, type BrokerCore } from '@app/broker-core';
import { connectOverDuplex, coreWithGuest, openConnection, startOk, type DuplexHarness } from './testing/duplex-harness.js';
import { basicPublish, channelOpen, queueDeclare } from './testing/methods.js';

const tuneOk = (heartbeat = 0): Method => ({
  name: 'connection.tune-ok',
  classId: 10,
  methodId: 31,
  channelMax: 0,
  frameMax: 131072,
  heartbeat,
});
const closeOk = (): Method => ({ name: 'connection.close-ok', classId: 10, methodId: 51 });

/** Lets stream callbacks and the writer's once-per-turn flush run (both are process.nextTick, never faked here). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('AmqpConnection over an in-memory duplex', () => {
  let core: BrokerCore;
  let harness: DuplexHarness;

  beforeAll(async () => {
    // One scrypt-hashed guest for the whole file: hashing is the slow part of a login.
    core = await coreWithGuest();
  });

  afterEach(() => {
    harness?.dispose();
    jest.useRealTimers();
  });

  describe('connection.start / start-ok / tune / tune-ok / open', () => {
    it('answers the protocol header with connection.start, then logs guest in from loopback and opens vhost /', async () => {
      harness = await connectOverDuplex({ core });
      const { client, connection } = harness;

      client.sendProtocolHeader();
      const start = await client.nextMethod('connection.start');
      expect(start).toMatchObject({ versionMajor: 0, versionMinor: 9 });
      expect(start.mechanisms.toString().split(' ')).toContain('PLAIN');
      expect(start.serverProperties.capabilities).toMatchObject({ publisher_confirms: true });

      client.sendMethod(0, startOk('guest', 'guest'));
      expect(await client.nextMethod('connection.tune')).toMatchObject({ channelMax: 2047, frameMax: 131072, heartbeat: 60 });
      expect(connection.state).toBe('awaiting-tune-ok');

      client.sendMethod(0, tuneOk());
      client.sendMethod(0, { name: 'connection.open', classId: 10, methodId: 40, virtualHost: '/', capabilities: '', insist: false });
      await client.nextMethod('connection.open-ok');

      expect(connection.state).toBe('open');
      expect(connection.userName).toBe('guest');
      expect(connection.frameMax).toBe(131072);
      expect(connection.isCancelNotifySupported).toBe(true);
      expect(harness.socket.isNoDelay).toBe(true);
    });

    it('reads a protocol header and frames split at every byte', async () => {
      harness = await connectOverDuplex({ core });
      const { client } = harness;
      for (const byte of PROTOCOL_HEADER) client.send(Buffer.from([byte]));
      await client.nextMethod('connection.start');
    });

    it('refuses guest from a non-loopback address with 403 ACCESS_REFUSED, then drops the socket', async () => {
      harness = await connectOverDuplex({ core, remoteAddress: '192.0.2.7', config: { authFailureDelayMs: 1 } });
      const { client } = harness;
      client.sendProtocolHeader();
      await client.nextMethod('connection.start');
      client.sendMethod(0, startOk('guest', 'guest'));

      const close = await client.nextMethod('connection.close');
      expect(close).toMatchObject({
        replyCode: ReplyCode.ACCESS_REFUSED,
        replyText: 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
      });
      await harness.closed;
    });

    it('answers a method out of handshake order with 503 COMMAND_INVALID', async () => {
      harness = await connectOverDuplex({ core });
      const { client } = harness;
      client.sendProtocolHeader();
      await client.nextMethod('connection.start');
      client.sendMethod(0, tuneOk());

      const close = await client.nextMethod('connection.close');
      expect(close).toMatchObject({
        replyCode: ReplyCode.COMMAND_INVALID,
        replyText: "COMMAND_INVALID - expected 'connection.start-ok', got 'connection.tune-ok'",
      });
    });
  });

  describe('protocol header', () => {
    it.each([
      { case: 'AMQP 0-8', header: Buffer.from([0x41, 0x4d, 0x51, 0x50, 1, 1, 8, 0]) },
      { case: 'AMQP 1.0', header: Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]) },
      { case: 'HTTP', header: Buffer.from('GET / HTTP/1.1\r\n\r\n') },
    ])('answers a $case header with the 0-9-1 header, closes, and reports the connection gone', async ({ header }) => {
      harness = await connectOverDuplex({ core });
      const { client } = harness;

      client.send(header);

      expect(await client.next()).toEqual({ kind: 'protocol-header', bytes: PROTOCOL_HEADER });
      await settle();
      expect(harness.isEnded()).toBe(true);
      expect(harness.connection.state).toBe('closed');
      // Regression: the broker's connection table must forget it (it used to keep every refused connection).
      await harness.closed;
      expect(client.pending).toEqual([]);
    });
  });

  describe('channels', () => {
    it('opens a channel and declares a queue on it', async () => {
      harness = await connectOverDuplex({ core });
      const { client } = harness;
      await openConnection(client);
      client.sendMethod(1, channelOpen());
      await client.nextMethod('channel.open-ok', 1);
      client.sendMethod(1, queueDeclare());
      expect(await client.nextMethod('queue.declare-ok', 1)).toMatchObject({ queue: 'q', messageCount: 0, consumerCount: 0 });
    });

    it.each([
      {
        case: 'a method on a channel that was never opened',
        handshake: 'open',
        replyText: "CHANNEL_ERROR - expected 'channel.open'",
        failing: [50, 10],
      },
      {
        case: 'a channel method before connection.open',
        handshake: 'tuned',
        replyText: "CHANNEL_ERROR - expected 'connection.open' before using channel 1",
        failing: [50, 10],
      },
    ])('closes the connection with 504 CHANNEL_ERROR for $case', async ({ handshake, replyText, failing }) => {
      harness = await connectOverDuplex({ core });
      const { client } = harness;
      if (handshake === 'open') {
        await openConnection(client);
      } else {
        client.sendProtocolHeader();
        await client.nextMethod('connection.start');
        client.sendMethod(0, startOk('guest', 'guest'));
        await client.nextMethod('connection.tune');
        client.sendMethod(0, tuneOk());
      }

      client.sendMethod(1, queueDeclare());

      const close = await client.nextMethod('connection.close');
      expect(close).toMatchObject({
        replyCode: ReplyCode.CHANNEL_ERROR,
        replyText,
        failingClassId: failing[0],
        failingMethodId: failing[1],
      });
      client.sendMethod(0, closeOk());
      await harness.closed;
      expect(harness.connection.state).toBe('closed');
    });

    it('closes the connection with 505 UNEXPECTED_FRAME for a body frame without a publish', async () => {
      harness = await connectOverDuplex({ core });
      const { client } = harness;
      await openConnection(client);
      client.sendMethod(1, channelOpen());
      await client.nextMethod('channel.open-ok', 1);

      client.sendBody(1, Buffer.from('stray'));

      expect(await client.nextMethod('connection.close')).toMatchObject({
        replyCode: ReplyCode.UNEXPECTED_FRAME,
        replyText: 'UNEXPECTED_FRAME - expected method frame, got content body on channel 1',
        failingClassId: 60,
        failingMethodId: 40,
      });
    });

    it('closes the connection with 505 when a method interrupts a publish’s content', async () => {
      harness = await connectOverDuplex({ core });
      const { client } = harness;
      await openConnection(client);
      client.sendMethod(1, channelOpen());
      await client.nextMethod('channel.open-ok', 1);
      client.sendMethod(1, basicPublish('q'));
      client.sendHeader(1, 10);
      client.sendBody(1, Buffer.from('short'));

      client.sendMethod(1, queueDeclare());

      expect(await client.nextMethod('connection.close')).toMatchObject({
        replyCode: ReplyCode.UNEXPECTED_FRAME,
        replyText: "UNEXPECTED_FRAME - expected content header for class 60, got method 'queue.declare' instead",
      });
    });
  });

  describe('backpressure', () => {
    it('stops deliveries while the client does not read, and resumes them on drain', async () => {
      harness = await connectOverDuplex({ core: await coreWithGuest() });
      const { client, connection, socket } = harness;
      await openConnection(client);
      client.sendMethod(1, channelOpen());
      await client.nextMethod('channel.open-ok', 1);
      client.sendMethod(1, queueDeclare());
      await client.nextMethod('queue.declare-ok', 1);
      const vhost = connection.vhost;
      const queue = vhost.getQueue('q')!;
      const total = 40;
      // 40 × 64 KiB = 2.5 MiB, over the writer's 1 MiB high-water mark.
      for (let i = 0; i < total; i++) {
        vhost.publish(vhost.topology.getExchange('')!, 'q', Message.withProperties('', 'q', {}, Buffer.alloc(64 * 1024, i)));
      }
      socket.holdWrites();

      client.sendMethod(1, {
        name: 'basic.consume',
        classId: 60,
        methodId: 20,
        ticket: 0,
        queue: 'q',
        consumerTag: 'slow',
        noLocal: false,
        noAck: true,
        exclusive: false,
        nowait: false,
        arguments: {},
      });
      await settle();

      expect(connection.writer.isBackedUp).toBe(true);
      const held = queue.messageCount;
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThan(total);
      await settle();
      expect(queue.messageCount).toBe(held);

      socket.releaseWrites();

      await client.nextMethod('basic.consume-ok', 1);
      let deliveries = 0;
      while (deliveries < total) {
        const output = await client.next();
        if (output.kind === 'method' && output.method.name === 'basic.deliver') deliveries++;
      }
      expect(queue.messageCount).toBe(0);
    });
  });

  describe('heartbeats', () => {
    beforeEach(() => {
      // Only timers move by hand; stream plumbing and the writer's flush keep running on their own.
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    });

    it('sends a heartbeat after half an interval without other output', async () => {
      harness = await connectOverDuplex({ core });
      const { client } = harness;
      await openConnection(client, { heartbeatSec: 1 });

      jest.advanceTimersByTime(500);
      await settle();
      expect(client.pending).toEqual([]);

      jest.advanceTimersByTime(500);
      expect(await client.next()).toEqual({ kind: 'heartbeat', channel: 0 });
    });

    it('drops a client silent for two intervals', async () => {
      harness = await connectOverDuplex({ core });
      await openConnection(harness.client, { heartbeatSec: 1 });
      let isClosed = false;
      void harness.closed.then(() => (isClosed = true));

      jest.advanceTimersByTime(2000);
      await settle();
      expect(isClosed).toBe(false);

      jest.advanceTimersByTime(500);
      await harness.closed;
      expect(harness.connection.state).toBe('closed');
      expect(harness.logs.some((line) => line.includes('missed heartbeats from client') && line.includes('"heartbeatSec":1'))).toBe(true);
    });

    it('keeps a client that sends heartbeats', async () => {
      harness = await connectOverDuplex({ core });
      const { client, connection } = harness;
      await openConnection(client, { heartbeatSec: 1 });

      for (let elapsed = 0; elapsed < 10_000; elapsed += 500) {
        client.sendHeartbeat();
        await settle();
        jest.advanceTimersByTime(500);
      }

      expect(connection.state).toBe('open');
    });

    it('closes with 505 for a heartbeat on a channel other than 0', async () => {
      harness = await connectOverDuplex({ core });
      const { client } = harness;
      await openConnection(client);
      client.send(Buffer.from([8, 0, 1, 0, 0, 0, 0, 0xce]));
      expect(await client.nextMethod('connection.close')).toMatchObject({
        replyCode: ReplyCode.UNEXPECTED_FRAME,
        replyText: 'UNEXPECTED_FRAME - heartbeat frame on channel 1',
      });
    });

    it('drops a client that never completes the handshake', async () => {
      harness = await connectOverDuplex({ core, config: { handshakeTimeoutMs: 10_000 } });
      harness.client.sendProtocolHeader();
      await harness.client.nextMethod('connection.start');

      jest.advanceTimersByTime(10_000);

      await harness.closed;
      expect(harness.logs.some((line) => line.includes('handshake timed out'))).toBe(true);
    });
  });
});
