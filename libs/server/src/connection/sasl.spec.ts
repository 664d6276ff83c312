import { encodeFieldTable, ReplyCode } from '@app/codec';
import { ConnectionError } from '@app/broker-core';
import { parseSaslResponse, saslMechanisms } from './sasl.js';

describe('parseSaslResponse', () => {
  it('parses PLAIN', () => {
    expect(parseSaslResponse('PLAIN', Buffer.from('\0guest\0s3cr\u00e9t'))).toEqual({ username: 'guest', password: 's3cr\u00e9t' });
  });

  it('parses AMQPLAIN', () => {
    const table = encodeFieldTable({ LOGIN: 'bob', PASSWORD: 'pw' }).subarray(4);
    expect(parseSaslResponse('AMQPLAIN', table)).toEqual({ username: 'bob', password: 'pw' });
  });

  it('takes EXTERNAL from the verified certificate name, ignoring the response', () => {
    expect(parseSaslResponse('EXTERNAL', Buffer.from('someone else'), 'some user')).toEqual({ username: 'some user', password: undefined });
  });

  it('offers EXTERNAL only with a certificate name', () => {
    expect(saslMechanisms(undefined)).toBe('AMQPLAIN PLAIN');
    expect(saslMechanisms('guest')).toBe('EXTERNAL AMQPLAIN PLAIN');
  });

  it.each([
    ['PLAIN', Buffer.from('guest'), ReplyCode.SYNTAX_ERROR],
    ['PLAIN', Buffer.from('\0guest'), ReplyCode.SYNTAX_ERROR],
    ['PLAIN', Buffer.from('\0a\0b\0c'), ReplyCode.SYNTAX_ERROR],
    ['AMQPLAIN', Buffer.from([1, 2, 3]), ReplyCode.SYNTAX_ERROR],
    ['AMQPLAIN', encodeFieldTable({ LOGIN: 'bob' }).subarray(4), ReplyCode.SYNTAX_ERROR],
    // Not offered: no verified client certificate on this connection.
    ['EXTERNAL', Buffer.alloc(0), ReplyCode.COMMAND_INVALID],
  ])('rejects %s %p with %d', (mechanism, response, code) => {
    try {
      parseSaslResponse(mechanism, response);
      throw new Error('expected a ConnectionError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).replyCode).toBe(code);
    }
  });
});
