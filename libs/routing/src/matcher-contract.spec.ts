import { directExchange } from './direct/direct-exchange.js';
import type { ExchangeType } from './exchange-type.js';
import { fanoutExchange } from './fanout/fanout-exchange.js';
import type { Headers } from './headers.js';
import { headersExchange } from './headers/headers-exchange.js';
import { topicExchange } from './topic/topic-exchange.js';

interface Variant {
  type: ExchangeType;
  /** Two different bindings that both match `message`. */
  bindings: [routingKey: string, args: Headers][];
  message: [routingKey: string, headers: Headers | undefined];
}

const variants: [string, Variant][] = [
  [
    'direct',
    {
      type: directExchange,
      bindings: [
        ['k', {}],
        ['k', { a: 1 }],
      ],
      message: ['k', undefined],
    },
  ],
  [
    'fanout',
    {
      type: fanoutExchange,
      bindings: [
        ['', {}],
        ['other', {}],
      ],
      message: ['anything', undefined],
    },
  ],
  [
    'topic',
    {
      type: topicExchange,
      bindings: [
        ['a.*', {}],
        ['#', {}],
      ],
      message: ['a.b', undefined],
    },
  ],
  [
    'headers',
    {
      type: headersExchange,
      bindings: [
        ['', { h: 1 }],
        ['', { h: 1, 'x-note': 'ignored' }],
      ],
      message: ['', { h: 1 }],
    },
  ],
];

// The BindingMatcher contract every exchange type must honour (exchange-type.ts), written once per type.
describe.each(variants)('BindingMatcher contract: %s', (_name, { type, bindings, message }) => {
  const [first, second] = bindings;
  const [routingKey, headers] = message;

  it('matches nothing and adds nothing when empty', () => {
    const out = new Set<string>();
    expect(type.createMatcher<string>().match(routingKey, headers, out)).toBe(false);
    expect(out.size).toBe(0);
  });

  it('adds the destination of a matching binding', () => {
    const matcher = type.createMatcher<string>();
    matcher.add(first[0], first[1], 'q1');
    const out = new Set<string>();
    expect(matcher.match(routingKey, headers, out)).toBe(true);
    expect([...out]).toEqual(['q1']);
  });

  it('adds a destination bound twice once, and keeps it until both bindings are removed', () => {
    const matcher = type.createMatcher<string>();
    matcher.add(first[0], first[1], 'q1');
    matcher.add(second[0], second[1], 'q1');
    const out = new Set<string>();
    matcher.match(routingKey, headers, out);
    expect([...out]).toEqual(['q1']);

    matcher.remove(first[0], first[1], 'q1');
    out.clear();
    expect(matcher.match(routingKey, headers, out)).toBe(true);
    expect([...out]).toEqual(['q1']);

    matcher.remove(second[0], second[1], 'q1');
    out.clear();
    expect(matcher.match(routingKey, headers, out)).toBe(false);
    expect(out.size).toBe(0);
  });

  it('adds every matching destination', () => {
    const matcher = type.createMatcher<string>();
    matcher.add(first[0], first[1], 'q1');
    matcher.add(first[0], first[1], 'q2');
    const out = new Set<string>();
    matcher.match(routingKey, headers, out);
    expect([...out].sort()).toEqual(['q1', 'q2']);
  });

  it('reports a match even when the destination is already in out', () => {
    const matcher = type.createMatcher<string>();
    matcher.add(first[0], first[1], 'q1');
    const out = new Set(['q1']);
    expect(matcher.match(routingKey, headers, out)).toBe(true);
  });

  it('ignores the removal of a destination that was never added', () => {
    const matcher = type.createMatcher<string>();
    matcher.add(first[0], first[1], 'q1');
    matcher.remove(first[0], first[1], 'q2');
    const out = new Set<string>();
    matcher.match(routingKey, headers, out);
    expect([...out]).toEqual(['q1']);
  });
});
