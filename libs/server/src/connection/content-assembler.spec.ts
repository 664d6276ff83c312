import { CLASS_BASIC, propertiesSize, ReplyCode, writeProperties, type BasicProperties } from '@app/codec';
import { ChannelError, ConnectionError, VirtualHost } from '@app/broker-core';
import { ContentAssembler, type PublishContext } from './content-assembler.js';

const exchange = new VirtualHost('/').topology.getExchange('amq.direct')!;

const context: PublishContext = {
  channelId: 1,
  userName: 'guest',
  maxMessageSize: 1024,
  replyAddress: undefined,
  origin: { remoteAddress: '127.0.0.1', userName: 'guest' },
};

function rawProperties(properties: BasicProperties): Buffer {
  const raw = Buffer.alloc(propertiesSize(properties));
  writeProperties(raw, 0, properties);
  return raw;
}

function started(overrides: Partial<PublishContext> = {}): ContentAssembler {
  const assembler = new ContentAssembler({ ...context, ...overrides });
  assembler.start(exchange, 'key', true);
  return assembler;
}

/** The error `run` throws, for matching its class and reply code. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('ContentAssembler', () => {
  describe('basic.publish → content header → body', () => {
    it('assembles a message from a header and several body frames', () => {
      const assembler = started();
      expect(assembler.isExpectingContent).toBe(true);
      expect(assembler.header(CLASS_BASIC, 11, rawProperties({ contentType: 'text/plain', deliveryMode: 2 }))).toBeUndefined();
      expect(assembler.body(Buffer.from('hello '))).toBeUndefined();

      const assembled = assembler.body(Buffer.from('world'))!;

      expect(assembled).toMatchObject({ exchange, routingKey: 'key', isMandatory: true });
      expect(assembled.message.body.toString()).toBe('hello world');
      expect(assembled.message.properties).toEqual({ contentType: 'text/plain', deliveryMode: 2 });
      expect(assembled.message.isPersistent).toBe(true);
      expect(assembled.message.origin).toBe(context.origin);
      expect(assembler.isExpectingContent).toBe(false);
    });

    it('completes an empty message at its header', () => {
      const assembled = started().header(CLASS_BASIC, 0, rawProperties({}));
      expect(assembled?.message.bodySize).toBe(0);
    });

    it('copies the properties out of the read buffer, which the socket reuses', () => {
      const assembler = started();
      const readBuffer = rawProperties({ messageId: 'abc' });
      assembler.header(CLASS_BASIC, 1, readBuffer);
      readBuffer.fill(0);
      expect(assembler.body(Buffer.from('x'))!.message.properties.messageId).toBe('abc');
    });

    it('forgets a publish in progress on reset (channel closing)', () => {
      const assembler = started();
      assembler.reset();
      expect(assembler.isExpectingContent).toBe(false);
    });
  });

  describe('frames out of order or of the wrong size', () => {
    it.each([
      {
        case: 'a content header without basic.publish',
        run: (a: ContentAssembler) => a.header(CLASS_BASIC, 1, rawProperties({})),
        fresh: true,
        text: 'UNEXPECTED_FRAME - expected method frame, got content header on channel 1',
      },
      {
        case: 'a body without basic.publish',
        run: (a: ContentAssembler) => a.body(Buffer.from('x')),
        fresh: true,
        text: 'UNEXPECTED_FRAME - expected method frame, got content body on channel 1',
      },
      {
        case: 'a body before the content header',
        run: (a: ContentAssembler) => a.body(Buffer.from('x')),
        fresh: false,
        text: 'UNEXPECTED_FRAME - expected method frame, got content body on channel 1',
      },
      {
        case: 'a second content header',
        run: (a: ContentAssembler) => {
          a.header(CLASS_BASIC, 5, rawProperties({}));
          a.header(CLASS_BASIC, 5, rawProperties({}));
        },
        fresh: false,
        text: 'UNEXPECTED_FRAME - expected method frame, got content header on channel 1',
      },
      {
        case: 'a content header of another class',
        run: (a: ContentAssembler) => a.header(50, 1, rawProperties({})),
        fresh: false,
        text: 'UNEXPECTED_FRAME - expected content header for class 60, got class 50',
      },
      {
        case: 'a body longer than the header declared',
        run: (a: ContentAssembler) => {
          a.header(CLASS_BASIC, 3, rawProperties({}));
          a.body(Buffer.from('ab'));
          a.body(Buffer.from('cd'));
        },
        fresh: false,
        text: 'UNEXPECTED_FRAME - content body exceeds the size 3 declared in its header',
      },
    ])('$case is a connection error 505', ({ run, fresh, text }) => {
      const assembler = fresh ? new ContentAssembler(context) : started();
      const error = thrownBy(() => run(assembler));
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).toMatchObject({ replyCode: ReplyCode.UNEXPECTED_FRAME, replyText: text });
    });

    it('refuses a message above the maximum size at its header with 406, and expects no body after it', () => {
      const assembler = started({ maxMessageSize: 10 });
      const error = thrownBy(() => assembler.header(CLASS_BASIC, 11, rawProperties({})));
      expect(error).toBeInstanceOf(ChannelError);
      expect(error).toMatchObject({
        replyCode: ReplyCode.PRECONDITION_FAILED,
        replyText: 'PRECONDITION_FAILED - message size 11 is larger than configured max size 10',
      });
      expect(assembler.isExpectingContent).toBe(false);
    });
  });

  describe('message properties RabbitMQ validates', () => {
    it.each([
      {
        properties: { userId: 'mallory' },
        text: "PRECONDITION_FAILED - user_id property set to 'mallory' but authenticated user was 'guest'",
      },
      { properties: { expiration: 'soon' }, text: "PRECONDITION_FAILED - invalid expiration 'soon': no_integer" },
      { properties: { expiration: '-5' }, text: "PRECONDITION_FAILED - invalid expiration '-5': negative_integer" },
      { properties: { replyTo: 'amq.rabbitmq.reply-to' }, text: 'PRECONDITION_FAILED - fast reply consumer does not exist' },
    ])('refuses $properties with 406', ({ properties, text }) => {
      const assembler = started();
      const error = thrownBy(() => assembler.header(CLASS_BASIC, 0, rawProperties(properties)));
      expect(error).toBeInstanceOf(ChannelError);
      expect(error).toMatchObject({ replyCode: ReplyCode.PRECONDITION_FAILED, replyText: text });
    });

    it('accepts its own user id and rewrites direct reply-to to the channel’s reply address', () => {
      const assembler = started({ replyAddress: 'amq.rabbitmq.reply-to.token' });
      const assembled = assembler.header(CLASS_BASIC, 0, rawProperties({ userId: 'guest', replyTo: 'amq.rabbitmq.reply-to' }))!;
      expect(assembled.message.properties).toEqual({ userId: 'guest', replyTo: 'amq.rabbitmq.reply-to.token' });
    });
  });
});
