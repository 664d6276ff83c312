import type { MessageHandler } from '@nestjs/microservices';
import { HandlerIndex } from './handler-index.js';

function handler(name: string, isEventHandler: boolean): MessageHandler {
  const fn = (async () => name) as MessageHandler;
  fn.isEventHandler = isEventHandler;
  return fn;
}

describe('HandlerIndex', () => {
  const handlers = new Map<string, MessageHandler>([
    ['order.created', handler('created', true)],
    ['order.*', handler('order.*', true)],
    ['order.#', handler('order.#', true)],
    ['math.double', handler('double', false)],
    ['math.*', handler('math.*', false)],
    ['{"cmd":"sum"}', handler('sum', false)],
  ]);
  const index = new HandlerIndex(handlers);
  const names = (found: MessageHandler[]) => Promise.all(found.map((h) => h(undefined)));

  it('splits binding keys by kind', () => {
    expect(index.eventPatterns).toEqual(['order.created', 'order.*', 'order.#']);
    expect(index.requestPatterns).toEqual(['math.double', '{"cmd":"sum"}', 'math.*']);
  });

  it.each([
    ['order.created', ['created', 'order.*', 'order.#']],
    ['order.paid', ['order.*', 'order.#']],
    ['order.paid.late', ['order.#']],
    ['order', ['order.#']],
    ['invoice.paid', []],
    ['math.double', []],
  ])('event %s runs %j', async (route, expected) => {
    await expect(names(index.findEventHandlers(route))).resolves.toEqual(expected);
  });

  it.each([
    ['math.double', 'double'],
    ['math.square', 'math.*'],
    ['{"cmd":"sum"}', 'sum'],
    ['math.square.root', null],
    ['order.created', null],
  ])('request %s is handled by %s', async (route, expected) => {
    const found = index.findRequestHandler(route);
    expect(found ? await found(undefined) : null).toBe(expected);
  });

  it('finds any handler, requests first', async () => {
    expect(await index.findAny('math.x')!(undefined)).toBe('math.*');
    expect(await index.findAny('order.x')!(undefined)).toBe('order.*');
    expect(index.findAny('nothing')).toBeNull();
  });
});
