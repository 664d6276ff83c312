import fc from 'fast-check';
import { fromHex, hex, methodArb, SAMPLE_METHODS } from '../test/codec-samples.js';
import { CodecError } from './codec-error.js';
import {
  CLASS_ACCESS,
  CLASS_BASIC,
  CLASS_CHANNEL,
  CLASS_CONFIRM,
  CLASS_CONNECTION,
  CLASS_EXCHANGE,
  CLASS_QUEUE,
  CLASS_TX,
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FRAME_MIN_SIZE,
  isHardError,
  ReplyCode,
} from './generated/constants.js';
import {
  decodeMethod,
  encodeMethodFrame,
  METHOD_DEFINITIONS,
  methodFrameSize,
  methodHasContent,
  methodName,
  writeMethodFrame,
  type BasicDeliver,
  type BasicPublish,
  type Method,
} from './generated/methods.js';

/** Decodes the payload of an encoded method frame. */
function decodeFrame(frame: Buffer): Method {
  return decodeMethod(frame, 7, frame.length - 1);
}

describe('generated methods', () => {
  it('covers the 66 methods of the spec', () => {
    expect(METHOD_DEFINITIONS).toHaveLength(66);
    expect(new Set(METHOD_DEFINITIONS.map((d) => d.name)).size).toBe(66);
  });

  describe.each(SAMPLE_METHODS.map((m) => [m.name, m] as const))('%s', (_name, method) => {
    it('round-trips with every argument set to a non-default value', () => {
      const frame = encodeMethodFrame(3, method);
      expect(frame.length).toBe(methodFrameSize(method));
      expect(frame[0]).toBe(FRAME_METHOD);
      expect(frame.readUInt16BE(1)).toBe(3);
      expect(frame.readUInt32BE(3)).toBe(frame.length - 8);
      expect(frame[frame.length - 1]).toBe(FRAME_END);
      expect(decodeFrame(frame)).toEqual(method);
    });

    it('round-trips arbitrary argument values byte-exactly', () => {
      const def = METHOD_DEFINITIONS.find((d) => d.name === method.name)!;
      fc.assert(
        fc.property(methodArb(def), (m) => {
          const frame = encodeMethodFrame(0, m);
          expect(frame.length).toBe(methodFrameSize(m));
          const decoded = decodeFrame(frame);
          expect(hex(encodeMethodFrame(0, decoded))).toBe(hex(frame));
          // Tables may come back with typed values in place of bigints or -0; every other argument is identical.
          for (const arg of def.args) {
            if (arg.type !== 'table') {
              expect((decoded as unknown as Record<string, unknown>)[arg.field]).toEqual(
                (m as unknown as Record<string, unknown>)[arg.field],
              );
            }
          }
        }),
        { numRuns: 25 },
      );
    });

    it('is found by methodName and methodHasContent', () => {
      expect(methodName(method.classId, method.methodId)).toBe(method.name);
      const def = METHOD_DEFINITIONS.find((d) => d.name === method.name)!;
      expect(methodHasContent(method.classId, method.methodId)).toBe(def.hasContent);
    });
  });

  it('writes at an offset into a larger buffer and returns the offset after the frame-end octet', () => {
    const method: BasicPublish = {
      name: 'basic.publish',
      classId: 60,
      methodId: 40,
      ticket: 0,
      exchange: 'ex',
      routingKey: 'rk',
      mandatory: true,
      immediate: false,
    };
    const target = Buffer.alloc(100, 0xaa);
    const end = writeMethodFrame(target, 10, 1, method);
    expect(end).toBe(10 + methodFrameSize(method));
    expect(target[9]).toBe(0xaa);
    expect(target[end]).toBe(0xaa);
    expect(decodeMethod(target, 17, end - 1)).toEqual(method);
  });

  it('refuses to write past the end of a too-small target', () => {
    const method: BasicPublish = {
      name: 'basic.publish',
      classId: 60,
      methodId: 40,
      ticket: 0,
      exchange: 'ex',
      routingKey: 'a-long-routing-key',
      mandatory: false,
      immediate: false,
    };
    for (let size = 0; size < methodFrameSize(method); size++) {
      // Buffer's own bounds errors come from another realm under jest's VM modules, so match on the name.
      expect(() => writeMethodFrame(Buffer.alloc(size), 0, 1, method)).toThrow(expect.objectContaining({ name: 'RangeError' }));
    }
  });

  it('lists only basic.publish, return, deliver and get-ok as carrying content', () => {
    expect(METHOD_DEFINITIONS.filter((d) => d.hasContent).map((d) => d.name)).toEqual([
      'basic.publish',
      'basic.return',
      'basic.deliver',
      'basic.get-ok',
    ]);
    expect(methodHasContent(60, 41)).toBe(false);
    expect(methodName(60, 999)).toBeUndefined();
    expect(methodName(999, 10)).toBeUndefined();
  });

  it('names the close arguments failingClassId/failingMethodId, since classId/methodId are the discriminant', () => {
    const close = METHOD_DEFINITIONS.find((d) => d.name === 'connection.close')!;
    expect(close.args.map((a) => a.field)).toEqual(['replyCode', 'replyText', 'failingClassId', 'failingMethodId']);
  });

  describe('wire layout (hand-assembled from the 0-9-1 spec)', () => {
    it.each<[string, Method, string]>([
      [
        'basic.publish packs mandatory into bit 0',
        {
          name: 'basic.publish',
          classId: 60,
          methodId: 40,
          ticket: 0,
          exchange: 'ex',
          routingKey: 'rk',
          mandatory: true,
          immediate: false,
        },
        '01 0001 0000000d 003c 0028 0000 02 6578 02 726b 01 ce',
      ],
      [
        'exchange.declare packs five bits LSB first',
        {
          name: 'exchange.declare',
          classId: 40,
          methodId: 10,
          ticket: 0,
          exchange: 'x',
          type: 'topic',
          passive: false,
          durable: true,
          autoDelete: false,
          internal: false,
          nowait: true,
          arguments: {},
        },
        '01 0002 00000013 0028 000a 0000 01 78 05 746f706963 12 00000000 ce',
      ],
      [
        'basic.deliver writes a longlong delivery tag above 2^32',
        {
          name: 'basic.deliver',
          classId: 60,
          methodId: 60,
          consumerTag: 'c',
          deliveryTag: 2 ** 32 + 5,
          redelivered: true,
          exchange: '',
          routingKey: 'q',
        } satisfies BasicDeliver,
        '01 0001 00000012 003c 003c 01 63 00000001 00000005 01 00 01 71 ce',
      ],
      [
        'connection.tune writes short, long, short',
        { name: 'connection.tune', classId: 10, methodId: 30, channelMax: 2047, frameMax: 131072, heartbeat: 60 },
        '01 0000 0000000c 000a 001e 07ff 00020000 003c ce',
      ],
      [
        'connection.close carries the failing method ids after the reply text',
        {
          name: 'connection.close',
          classId: 10,
          methodId: 50,
          replyCode: 320,
          replyText: 'bye',
          failingClassId: 60,
          failingMethodId: 40,
        },
        '01 0000 0000000e 000a 0032 0140 03 627965 003c 0028 ce',
      ],
      ['tx.select has no arguments', { name: 'tx.select', classId: 90, methodId: 10 }, '01 0005 00000004 005a 000a ce'],
    ])('%s', (_what, method, bytes) => {
      const channel = fromHex(bytes).readUInt16BE(1);
      expect(hex(encodeMethodFrame(channel, method))).toBe(hex(fromHex(bytes)));
      expect(decodeFrame(fromHex(bytes))).toEqual(method);
    });
  });

  describe('encoder validation', () => {
    const publish = (exchange: string): BasicPublish => ({
      name: 'basic.publish',
      classId: 60,
      methodId: 40,
      ticket: 0,
      exchange,
      routingKey: '',
      mandatory: false,
      immediate: false,
    });

    it('accepts a 255-byte shortstr and refuses 256 bytes with SYNTAX_ERROR', () => {
      expect(decodeFrame(encodeMethodFrame(1, publish('é'.repeat(127) + 'x')))).toEqual(publish('é'.repeat(127) + 'x'));
      expect(() => methodFrameSize(publish('x'.repeat(256)))).toThrow(CodecError);
      expect(() => writeMethodFrame(Buffer.alloc(1000), 0, 1, publish('é'.repeat(128)))).toThrow(
        expect.objectContaining({ replyCode: ReplyCode.SYNTAX_ERROR }),
      );
    });

    it.each([-1, 1.5, 2 ** 53, Number.NaN])('refuses longlong %p', (deliveryTag) => {
      const ack: Method = { name: 'basic.ack', classId: 60, methodId: 80, deliveryTag, multiple: false };
      expect(() => encodeMethodFrame(1, ack)).toThrow(expect.objectContaining({ replyCode: ReplyCode.SYNTAX_ERROR }));
    });

    it('refuses an unknown method name at run time instead of writing an empty frame', () => {
      const bogus = { name: 'basic.bogus', classId: 60, methodId: 1 } as unknown as Method;
      expect(() => methodFrameSize(bogus)).toThrow(TypeError);
      expect(() => writeMethodFrame(Buffer.alloc(64), 0, 1, bogus)).toThrow(TypeError);
    });
  });
});

describe('generated constants', () => {
  it('has the class ids and frame constants of the spec', () => {
    expect([CLASS_CONNECTION, CLASS_CHANNEL, CLASS_ACCESS, CLASS_EXCHANGE, CLASS_QUEUE, CLASS_BASIC, CLASS_CONFIRM, CLASS_TX]).toEqual([
      10, 20, 30, 40, 50, 60, 85, 90,
    ]);
    expect([FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_HEARTBEAT, FRAME_MIN_SIZE, FRAME_END]).toEqual([1, 2, 3, 8, 4096, 0xce]);
  });

  it('has every reply code, with reverse names for reply texts', () => {
    expect(ReplyCode.PRECONDITION_FAILED).toBe(406);
    expect(ReplyCode[501]).toBe('FRAME_ERROR');
    const codes = Object.values(ReplyCode).filter((v) => typeof v === 'number');
    expect(codes).toEqual([200, 311, 312, 313, 320, 402, 403, 404, 405, 406, 501, 502, 503, 504, 505, 506, 530, 540, 541]);
  });

  it.each([
    [ReplyCode.REPLY_SUCCESS, false],
    [ReplyCode.NOT_FOUND, false],
    [ReplyCode.PRECONDITION_FAILED, false],
    [ReplyCode.CONNECTION_FORCED, true],
    [ReplyCode.FRAME_ERROR, true],
    [ReplyCode.NOT_ALLOWED, true],
    [ReplyCode.INTERNAL_ERROR, true],
  ])('isHardError(%p) is %p', (code, hard) => {
    expect(isHardError(code)).toBe(hard);
  });
});
