import { CLASS_BASIC, encodeHeaderFrame, FRAME_END, PROTOCOL_HEADER, ReplyCode, type Method } from '@app/codec';
import amqplib from 'amqplib';
import { rawClientsPerTest, RawClient, startOk } from '../support/raw-client.js';
import { startBroker, type TestBroker } from '../support/with-broker.js';
import { waitFor } from '../support/wait-for.js';

function frame(type: number, channel: number, payload: Buffer, end = FRAME_END): Buffer {
  const out = Buffer.alloc(8 + payload.length);
  out[0] = type;
  out.writeUInt16BE(channel, 1);
  out.writeUInt32BE(payload.length, 3);
  payload.copy(out, 7);
  out[7 + payload.length] = end;
  return out;
}

function bodyFrame(channel: number, body: string): Buffer {
  return frame(3, channel, Buffer.from(body));
}

/** basic.publish to queue `q` through the default exchange. */
function publishToQ(immediate: boolean): Method {
  return { name: 'basic.publish', classId: 60, methodId: 40, ticket: 0, exchange: '', routingKey: 'q', mandatory: false, immediate };
}

describe('raw-socket protocol errors', () => {
  let server: TestBroker;
  const client = rawClientsPerTest(() => server.port);

  beforeAll(async () => {
    // The handshake timeout bounds every handshake in this file, so it must outlast a first login (one scrypt hash)
    // on a busy machine; 300 ms did not.
    server = await startBroker({ handshakeTimeoutMs: 2_000, heartbeatUnitMs: 50 });
  });

  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['AMQP 0-9-2', Buffer.from('AMQP\x00\x00\x09\x02', 'latin1')],
    ['AMQP 1.0', Buffer.from('AMQP\x01\x01\x00\x0a', 'latin1')],
    ['HTTP', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
  ])('answers a wrong protocol header (%s) with the 0-9-1 header and closes', async (_name, header) => {
    const raw = await client();
    raw.send(header);
    await raw.closed();
    expect(Buffer.concat(raw.received)).toEqual(PROTOCOL_HEADER);
  });

  it('closes a client that never completes the handshake', async () => {
    const raw = await client();
    raw.send(Buffer.from('AMQ'));
    await raw.closed();
  });

  type Case = [string, (raw: RawClient) => void, ReplyCode];
  const cases: Case[] = [
    ['a bad frame end', (raw) => raw.send(frame(1, 0, Buffer.from([0, 10, 0, 60]), 0x00)), ReplyCode.FRAME_ERROR],
    ['a frame over frame_max', (raw) => raw.send(frame(3, 1, Buffer.alloc(5000))), ReplyCode.FRAME_ERROR],
    ['a frame declaring 4 GiB', (raw) => raw.send(Buffer.from([3, 0, 1, 0xff, 0xff, 0xff, 0xff])), ReplyCode.FRAME_ERROR],
    ['an unknown frame type', (raw) => raw.send(frame(9, 0, Buffer.alloc(0))), ReplyCode.FRAME_ERROR],
    [
      'a method on an unopened channel',
      (raw) => raw.sendMethod(7, { name: 'basic.qos', classId: 60, methodId: 10, prefetchSize: 0, prefetchCount: 1, global: false }),
      ReplyCode.CHANNEL_ERROR,
    ],
    ['a heartbeat on a non-zero channel', (raw) => raw.send(frame(8, 1, Buffer.alloc(0))), ReplyCode.UNEXPECTED_FRAME],
    ['a body before a header', (raw) => raw.send(bodyFrame(1, 'hello')), ReplyCode.UNEXPECTED_FRAME],
    ['a header without a method', (raw) => raw.send(encodeHeaderFrame(1, CLASS_BASIC, 5, {})), ReplyCode.UNEXPECTED_FRAME],
    [
      'a body longer than its header says',
      (raw) => {
        raw.sendMethod(1, publishToQ(false));
        raw.send(encodeHeaderFrame(1, CLASS_BASIC, 2, {}));
        raw.send(bodyFrame(1, 'too long'));
      },
      ReplyCode.UNEXPECTED_FRAME,
    ],
    ['an unknown method', (raw) => raw.send(frame(1, 1, Buffer.from([0, 60, 3, 231]))), ReplyCode.COMMAND_INVALID],
    ['an unknown class', (raw) => raw.send(frame(1, 1, Buffer.from([3, 231, 0, 10]))), ReplyCode.COMMAND_INVALID],
    ['truncated method arguments', (raw) => raw.send(frame(1, 1, Buffer.from([0, 60, 0, 10, 0]))), ReplyCode.FRAME_ERROR],
    [
      'a second channel.open',
      (raw) => raw.sendMethod(1, { name: 'channel.open', classId: 20, methodId: 10, outOfBand: '' }),
      ReplyCode.CHANNEL_ERROR,
    ],
    [
      'a channel above channel_max',
      (raw) => raw.sendMethod(3000, { name: 'channel.open', classId: 20, methodId: 10, outOfBand: '' }),
      ReplyCode.CHANNEL_ERROR,
    ],
    ['immediate=true', (raw) => raw.sendMethod(1, publishToQ(true)), ReplyCode.NOT_IMPLEMENTED],
    [
      'basic.recover(requeue=false)',
      (raw) => raw.sendMethod(1, { name: 'basic.recover', classId: 60, methodId: 110, requeue: false }),
      ReplyCode.NOT_IMPLEMENTED,
    ],
    [
      'a connection method on a channel',
      (raw) => raw.sendMethod(1, { name: 'connection.update-secret', classId: 10, methodId: 70, newSecret: Buffer.alloc(0), reason: '' }),
      ReplyCode.COMMAND_INVALID,
    ],
    [
      'channel.flow(active=false)',
      (raw) => raw.sendMethod(1, { name: 'channel.flow', classId: 20, methodId: 20, active: false }),
      ReplyCode.NOT_IMPLEMENTED,
    ],
  ];

  it.each(cases)('answers %s with connection.close %d', async (_name, misbehave, code) => {
    const raw = await client();
    await raw.handshake({ frameMax: 4096 });
    await raw.openChannel(1);
    misbehave(raw);
    const close = await raw.method('connection.close');
    expect(close.replyCode).toBe(code);
    expect(close.replyText).toMatch(new RegExp(`^${ReplyCode[code]} - `));
    raw.sendMethod(0, { name: 'connection.close-ok', classId: 10, methodId: 51 });
    await raw.closed();
  });

  it('drops a peer that stays silent for two heartbeat intervals', async () => {
    const raw = await client();
    await raw.handshake({ heartbeat: 1 });
    // heartbeatUnitMs is 50: the broker sends heartbeats every 25 ms and gives up after 100 ms of silence.
    await raw.closed();
    expect(raw.frames.some((f) => f.type === 'heartbeat')).toBe(true);
    expect(raw.frames.some((f) => f.type === 'method' && f.method.name === 'connection.close')).toBe(false);
  });

  it('refuses frame_max below 4096 in tune-ok with 530', async () => {
    const raw = await client();
    raw.send(PROTOCOL_HEADER);
    await raw.method('connection.start');
    raw.sendMethod(0, startOk());
    await raw.method('connection.tune');
    raw.sendMethod(0, { name: 'connection.tune-ok', classId: 10, methodId: 31, channelMax: 0, frameMax: 1024, heartbeat: 0 });
    const close = await raw.method('connection.close');
    expect(close.replyCode).toBe(ReplyCode.NOT_ALLOWED);
  });

  it('answers a malformed PLAIN response with 502', async () => {
    const raw = await client();
    raw.send(PROTOCOL_HEADER);
    await raw.method('connection.start');
    raw.sendMethod(0, startOk({ response: Buffer.from('guest') }));
    expect((await raw.method('connection.close')).replyCode).toBe(ReplyCode.SYNTAX_ERROR);
  });

  it('keeps serving other clients while one sends garbage', async () => {
    const connection = await amqplib.connect(server.url);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    const garbage = await client();
    garbage.send(PROTOCOL_HEADER);
    await garbage.method('connection.start');
    garbage.send(Buffer.alloc(64 * 1024, 0xab));
    await garbage.closed();
    channel.sendToQueue(queue, Buffer.from('still here'));
    const message = await waitFor(async () => (await channel.get(queue, { noAck: true })) || undefined);
    expect(message.content.toString()).toBe('still here');
    await connection.close();
  });
});

describe('raw-socket handshake variants', () => {
  let server: TestBroker;

  beforeAll(async () => {
    server = await startBroker();
  });

  afterAll(async () => {
    await server.close();
  });

  it('logs in with AMQPLAIN and answers connection.update-secret with update-secret-ok', async () => {
    const { encodeFieldTable } = await import('@app/codec');
    const raw = await RawClient.connect(server.port);
    try {
      raw.send(PROTOCOL_HEADER);
      const start = await raw.method('connection.start');
      expect(start.mechanisms.toString()).toBe('AMQPLAIN PLAIN');
      raw.sendMethod(0, startOk({ mechanism: 'AMQPLAIN', response: encodeFieldTable({ LOGIN: 'guest', PASSWORD: 'guest' }).subarray(4) }));
      await raw.method('connection.tune');
      raw.sendMethod(0, { name: 'connection.tune-ok', classId: 10, methodId: 31, channelMax: 0, frameMax: 4096, heartbeat: 0 });
      raw.sendMethod(0, { name: 'connection.open', classId: 10, methodId: 40, virtualHost: '/', capabilities: '', insist: false });
      await raw.method('connection.open-ok');
      raw.sendMethod(0, {
        name: 'connection.update-secret',
        classId: 10,
        methodId: 70,
        newSecret: Buffer.from('token'),
        reason: 'refresh',
      });
      await raw.method('connection.update-secret-ok');
      raw.sendMethod(0, {
        name: 'connection.close',
        classId: 10,
        methodId: 50,
        replyCode: 200,
        replyText: 'bye',
        failingClassId: 0,
        failingMethodId: 0,
      });
      await raw.method('connection.close-ok');
      await raw.closed();
    } finally {
      raw.destroy();
    }
  });

  it('refuses an unknown SASL mechanism with a close frame (503)', async () => {
    const raw = await RawClient.connect(server.port);
    try {
      raw.send(PROTOCOL_HEADER);
      await raw.method('connection.start');
      raw.sendMethod(0, startOk({ mechanism: 'EXTERNAL', response: Buffer.alloc(0) }));
      expect((await raw.method('connection.close')).replyCode).toBe(ReplyCode.COMMAND_INVALID);
    } finally {
      raw.destroy();
    }
  });
});
