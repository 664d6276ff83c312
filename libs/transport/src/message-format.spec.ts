import { decodeMessage, decodeReply, encodeBody, parseBody, readRetryCount } from './message-format.js';

const info = (routingKey: string, properties: Record<string, unknown> = {}) => ({ routingKey, properties });

describe('decodeMessage', () => {
  it.each([
    ['a Nest event', { pattern: 'user.created', data: { id: 1 } }, info('user.created'), { pattern: 'user.created', data: { id: 1 } }],
    [
      'a Nest request',
      { pattern: 'sum', data: [1, 2], id: 'abc' },
      info('sum', { replyTo: 'amq.rabbitmq.reply-to.x', correlationId: 'abc' }),
      { pattern: 'sum', data: [1, 2], id: 'abc' },
    ],
    ['an object pattern', { pattern: { cmd: 'sum' }, data: 1 }, info('{"cmd":"sum"}'), { pattern: { cmd: 'sum' }, data: 1 }],
    [
      'a plain JSON body: the routing key is the pattern',
      { amount: 5 },
      info('invoice.paid'),
      { pattern: 'invoice.paid', data: { amount: 5 } },
    ],
    ['a JSON array body', [1, 2], info('numbers'), { pattern: 'numbers', data: [1, 2] }],
    ['a JSON scalar body', 42, info('answer'), { pattern: 'answer', data: 42 }],
    [
      'a retried plain body: the header keeps the pattern',
      { amount: 5 },
      info('billing', { headers: { 'x-warren-pattern': 'invoice.paid' } }),
      { pattern: 'invoice.paid', data: { amount: 5 } },
    ],
    [
      'a plain request from a non-Nest client: the correlation id is the id',
      { n: 1 },
      info('math.double', { replyTo: 'reply.q', correlationId: 'c-1' }),
      { pattern: 'math.double', data: { n: 1 }, id: 'c-1' },
    ],
    [
      'metadata set through setOnDispatchHook',
      { pattern: 'x', data: null, metadata: { traceId: 't', bad: 1 } },
      info('x'),
      { pattern: 'x', data: null, metadata: { traceId: 't' } },
    ],
  ])('%s', (_name, body, delivery, expected) => {
    expect(decodeMessage(encodeBody(body as object), delivery)).toEqual(expected);
  });

  it('takes a non-JSON body as text', () => {
    expect(decodeMessage(Buffer.from('hello'), info('greeting'))).toEqual({ pattern: 'greeting', data: 'hello' });
    expect(decodeMessage(Buffer.from('{"a":1}'), info('t', { contentType: 'text/plain' }))).toEqual({ pattern: 't', data: '{"a":1}' });
  });

  it('keeps binary bodies as Buffers', () => {
    const bytes = Buffer.from([0, 1, 2]);
    expect(decodeMessage(bytes, info('blob', { contentType: 'application/octet-stream' })).data).toEqual(bytes);
  });
});

describe('decodeReply', () => {
  it.each([
    ['a Nest reply', { id: 'a', response: 3, isDisposed: true }, 'a', { id: 'a', response: 3, isDisposed: true }],
    ['a streamed value', { id: 'a', response: 1 }, 'a', { id: 'a', response: 1 }],
    [
      'an error',
      { id: 'a', err: { status: 'error', message: 'no' }, isDisposed: true },
      'a',
      { id: 'a', err: { status: 'error', message: 'no' }, isDisposed: true },
    ],
    ['a reply without id', { response: 3, isDisposed: true }, 'c', { id: 'c', response: 3, isDisposed: true }],
    ['a plain body from a non-Nest responder', { total: 3 }, 'c', { id: 'c', response: { total: 3 }, isDisposed: true }],
    ['an empty object', {}, 'c', { id: 'c', response: {}, isDisposed: true }],
  ])('%s', (_name, body, correlationId, expected) => {
    expect(decodeReply(encodeBody(body), undefined, correlationId)).toEqual(expected);
  });
});

describe('parseBody', () => {
  it('parses JSON when the content type says so or says nothing', () => {
    expect(parseBody(Buffer.from('[1]'), undefined)).toEqual([1]);
    expect(parseBody(Buffer.from('[1]'), 'application/json; charset=utf-8')).toEqual([1]);
    expect(parseBody(Buffer.from('not json'), 'application/json')).toBe('not json');
  });
});

describe('readRetryCount', () => {
  it.each([
    [undefined, 0],
    [{}, 0],
    [{ 'x-warren-retry-count': 2 }, 2],
    [{ 'x-warren-retry-count': 2n }, 2],
    [{ 'x-warren-retry-count': '3' }, 3],
    [{ 'x-warren-retry-count': -1 }, 0],
    [{ 'x-warren-retry-count': 'x' }, 0],
    [{ 'x-warren-retry-count': 1.5 }, 0],
  ])('%j → %i', (headers, expected) => {
    expect(readRetryCount(headers as Record<string, unknown> | undefined)).toBe(expected);
  });
});
