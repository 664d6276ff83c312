import { channelOpen, queueDeclare } from '@app/server/connection/testing/methods.js';
import { encodeHeaderFrame, encodeMethodFrame, HEARTBEAT_FRAME, PROTOCOL_HEADER, type BasicProperties, type Method } from '@app/codec';

/**
 * Client byte streams a real client sends, built with Warren's codec frame by frame (so the mutator knows the frame
 * boundaries): the handshake as guest, then declares, publishes, consumes, acks and a clean close. Queues are
 * exclusive and exchanges auto-delete, so a stream that runs to the end leaves nothing behind in the broker.
 */
export type ClientStream = readonly Buffer[];

/**
 * Where a real client waits for the server: after start-ok it must see `connection.tune` before answering it. The
 * runner sends the frames before this marker, waits for tune (or a close), then sends the rest. Mutations may move
 * or drop it like any frame (identity, not content, marks it).
 */
export const AWAIT_TUNE: Buffer = Buffer.alloc(0);

const CLASS_BASIC = 60;
const FRAME_BODY = 3;

function method(channel: number, m: Method): Buffer {
  return encodeMethodFrame(channel, m);
}

function body(channel: number, payload: Buffer): Buffer {
  const frame = Buffer.alloc(8 + payload.length);
  frame.writeUInt8(FRAME_BODY, 0);
  frame.writeUInt16BE(channel, 1);
  frame.writeUInt32BE(payload.length, 3);
  payload.copy(frame, 7);
  frame.writeUInt8(0xce, 7 + payload.length);
  return frame;
}

/** The handshake: protocol header, start-ok (PLAIN guest), tune-ok (no heartbeats), open `/`. */
export function handshake(frameMax = 131072): Buffer[] {
  return [
    PROTOCOL_HEADER,
    method(0, {
      name: 'connection.start-ok',
      classId: 10,
      methodId: 11,
      clientProperties: {
        product: 'warren-fuzz',
        capabilities: { authentication_failure_close: true, consumer_cancel_notify: true, 'connection.blocked': true },
      },
      mechanism: 'PLAIN',
      response: Buffer.from('\0guest\0guest'),
      locale: 'en_US',
    }),
    AWAIT_TUNE,
    method(0, { name: 'connection.tune-ok', classId: 10, methodId: 31, channelMax: 2047, frameMax, heartbeat: 0 }),
    method(0, { name: 'connection.open', classId: 10, methodId: 40, virtualHost: '/', capabilities: '', insist: false }),
  ];
}

function publish(channel: number, exchange: string, routingKey: string, payload: Buffer, properties: BasicProperties): Buffer[] {
  const frames = [
    method(channel, {
      name: 'basic.publish',
      classId: 60,
      methodId: 40,
      ticket: 0,
      exchange,
      routingKey,
      mandatory: true,
      immediate: false,
    }),
    encodeHeaderFrame(channel, CLASS_BASIC, payload.length, properties),
  ];
  // Two body frames when the payload allows it: content assembly across frames is part of what is fuzzed.
  const half = payload.length >> 1;
  if (half > 0) frames.push(body(channel, payload.subarray(0, half)), body(channel, payload.subarray(half)));
  else if (payload.length > 0) frames.push(body(channel, payload));
  return frames;
}

function close(): Buffer[] {
  return [
    method(1, {
      name: 'channel.close',
      classId: 20,
      methodId: 40,
      replyCode: 200,
      replyText: 'bye',
      failingClassId: 0,
      failingMethodId: 0,
    }),
    method(0, {
      name: 'connection.close',
      classId: 10,
      methodId: 50,
      replyCode: 200,
      replyText: 'bye',
      failingClassId: 0,
      failingMethodId: 0,
    }),
  ];
}

const declare = (queue: string): Method =>
  queueDeclare(queue, { exclusive: true, autoDelete: true, arguments: { 'x-max-length': 100, 'x-message-ttl': 60_000 } });

/** Declare, publish (with properties and headers), consume, ack, close. */
function publishConsumeAck(): ClientStream {
  return [
    ...handshake(),
    method(1, channelOpen()),
    method(1, { name: 'basic.qos', classId: 60, methodId: 10, prefetchSize: 0, prefetchCount: 10, global: false }),
    method(1, declare('fuzz-work')),
    ...publish(1, '', 'fuzz-work', Buffer.from('{"order":1,"item":"carrot"}'), {
      contentType: 'application/json',
      deliveryMode: 2,
      priority: 3,
      messageId: 'm-1',
      timestamp: 1_700_000_000,
      headers: { attempt: 1, trace: 'abc', nested: { list: [1, 'two', true] } },
    }),
    method(1, {
      name: 'basic.consume',
      classId: 60,
      methodId: 20,
      ticket: 0,
      queue: 'fuzz-work',
      consumerTag: 'c1',
      noLocal: false,
      noAck: false,
      exclusive: false,
      nowait: false,
      arguments: {},
    }),
    method(1, { name: 'basic.ack', classId: 60, methodId: 80, deliveryTag: 1, multiple: false }),
    ...close(),
  ];
}

/** Confirms, a topic exchange, a binding, publishes routed through it, get and reject, heartbeats. */
function confirmTopicGet(): ClientStream {
  return [
    ...handshake(4096),
    method(1, channelOpen()),
    method(1, { name: 'confirm.select', classId: 85, methodId: 10, nowait: false }),
    method(1, {
      name: 'exchange.declare',
      classId: 40,
      methodId: 10,
      ticket: 0,
      exchange: 'fuzz-topic',
      type: 'topic',
      passive: false,
      durable: false,
      autoDelete: true,
      internal: false,
      nowait: false,
      arguments: {},
    }),
    method(1, declare('')),
    method(1, {
      name: 'queue.bind',
      classId: 50,
      methodId: 20,
      ticket: 0,
      queue: '',
      exchange: 'fuzz-topic',
      routingKey: 'a.*.c',
      nowait: false,
      arguments: {},
    }),
    HEARTBEAT_FRAME,
    ...publish(1, 'fuzz-topic', 'a.b.c', Buffer.alloc(300, 0x61), { deliveryMode: 1, expiration: '5000' }),
    ...publish(1, 'fuzz-topic', 'x.y', Buffer.alloc(0), {}),
    method(1, { name: 'basic.get', classId: 60, methodId: 70, ticket: 0, queue: '', noAck: false }),
    method(1, { name: 'basic.reject', classId: 60, methodId: 90, deliveryTag: 1, requeue: true }),
    ...close(),
  ];
}

/** A transaction over two channels: select, publish, commit, rollback, nack. */
function transactions(): ClientStream {
  return [
    ...handshake(),
    method(1, channelOpen()),
    method(2, channelOpen()),
    method(1, declare('fuzz-tx')),
    method(1, { name: 'tx.select', classId: 90, methodId: 10 }),
    ...publish(1, '', 'fuzz-tx', Buffer.from('one'), { correlationId: 'c', replyTo: 'amq.rabbitmq.reply-to' }),
    method(1, { name: 'tx.commit', classId: 90, methodId: 20 }),
    ...publish(1, '', 'fuzz-tx', Buffer.from('two'), {}),
    method(1, { name: 'tx.rollback', classId: 90, methodId: 30 }),
    method(2, { name: 'basic.get', classId: 60, methodId: 70, ticket: 0, queue: 'fuzz-tx', noAck: false }),
    method(2, { name: 'basic.nack', classId: 60, methodId: 120, deliveryTag: 1, multiple: true, requeue: false }),
    method(2, { name: 'channel.close', classId: 20, methodId: 40, replyCode: 200, replyText: '', failingClassId: 0, failingMethodId: 0 }),
    ...close(),
  ];
}

/** The recorded streams the fuzzer mutates. */
export const CLIENT_STREAMS: readonly ClientStream[] = [publishConsumeAck(), confirmTopicGet(), transactions()];
