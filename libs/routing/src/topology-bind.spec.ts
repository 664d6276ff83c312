import type { ExchangeOptions } from './exchange.js';
import type { Headers } from './headers.js';
import type { RoutableQueue } from './routable-queue.js';
import { RoutingError } from './routing-error.js';
import { Topology } from './topology.js';
import type { TopologyChange } from './topology-change.js';

class FakeQueue implements RoutableQueue {
  constructor(readonly name: string) {}
}

const options = (overrides: Partial<ExchangeOptions> = {}): ExchangeOptions => ({
  type: 'direct',
  durable: false,
  autoDelete: false,
  internal: false,
  arguments: {},
  ...overrides,
});

function captureError(action: () => unknown): RoutingError {
  try {
    action();
  } catch (error) {
    if (error instanceof RoutingError) return error;
    throw error;
  }
  throw new Error('expected a RoutingError');
}

describe('Topology: bindings', () => {
  let topology: Topology<FakeQueue>;
  const q1 = new FakeQueue('q1');
  const q2 = new FakeQueue('q2');
  let changes: string[];
  beforeEach(() => {
    topology = new Topology<FakeQueue>('/');
    topology.declareExchange('x', options());
    topology.declareExchange('h', options({ type: 'headers' }));
    changes = [];
    topology.onChange = (change: TopologyChange<FakeQueue>) => changes.push(describeChange(change));
  });

  describe('queue.bind', () => {
    it('adds a binding and reports it', () => {
      expect(topology.bindQueue(q1, 'x', 'k', { a: 1 })).toBe(true);
      const [binding] = topology.bindingsOfQueue(q1);
      expect(binding).toMatchObject({
        source: topology.getExchange('x'),
        destination: q1,
        destinationType: 'queue',
        routingKey: 'k',
        arguments: { a: 1 },
      });
      expect([...topology.getExchange('x')!.bindings]).toEqual([binding]);
      expect(changes).toEqual(['binding.added x->q1 k']);
    });

    it('is idempotent for an identical binding, whatever the argument order', () => {
      topology.bindQueue(q1, 'x', 'k', { a: 1, b: 'two' });
      expect(topology.bindQueue(q1, 'x', 'k', { b: 'two', a: 1 })).toBe(false);
      expect(topology.bindingsOfQueue(q1)).toHaveLength(1);
      expect(changes).toHaveLength(1);
    });

    it.each<[string, string, Headers]>([
      ['another key', 'k2', {}],
      ['other arguments', 'k', { a: 1 }],
    ])('adds a second binding with %s', (_name, routingKey, args) => {
      topology.bindQueue(q1, 'x', 'k', {});
      expect(topology.bindQueue(q1, 'x', routingKey, args)).toBe(true);
      expect(topology.bindingsOfQueue(q1)).toHaveLength(2);
    });

    it.each<[string, (t: Topology<FakeQueue>) => unknown, number, string]>([
      ['a missing exchange', (t) => t.bindQueue(q1, 'missing', 'k', {}), 404, "NOT_FOUND - no exchange 'missing' in vhost '/'"],
      [
        'the default exchange',
        (t) => t.bindQueue(q1, '', 'q1', {}),
        403,
        'ACCESS_REFUSED - operation not permitted on the default exchange',
      ],
      [
        'an invalid x-match',
        (t) => t.bindQueue(q1, 'h', '', { 'x-match': 'foo' }),
        406,
        'PRECONDITION_FAILED - Invalid x-match field value <<"foo">>; expected all, any, all-with-x, or any-with-x',
      ],
      [
        'an x-match of the wrong type',
        (t) => t.bindQueue(q1, 'amq.match', '', { 'x-match': 1 }),
        406,
        'PRECONDITION_FAILED - Invalid x-match field type signedint (value 1); expected longstr',
      ],
    ])('refuses %s', (_name, action, replyCode, replyText) => {
      expect(captureError(() => action(topology))).toMatchObject({ replyCode, replyText, isHard: false });
      expect(topology.bindingsOfQueue(q1)).toEqual([]);
      expect(changes).toEqual([]);
    });

    it('does not validate x-match on other exchange types', () => {
      expect(topology.bindQueue(q1, 'x', 'k', { 'x-match': 'foo' })).toBe(true);
    });
  });

  describe('queue.unbind', () => {
    it('removes the binding with equal key and arguments and reports it', () => {
      topology.bindQueue(q1, 'x', 'k', { a: 1 });
      topology.bindQueue(q1, 'x', 'k', {});
      expect(topology.unbindQueue(q1, 'x', 'k', { a: 1 })).toBe(true);
      expect(topology.bindingsOfQueue(q1).map((binding) => binding.arguments)).toEqual([{}]);
      expect(changes).toEqual(['binding.added x->q1 k', 'binding.added x->q1 k', 'binding.removed x->q1 k']);
    });

    it.each<[string, (t: Topology<FakeQueue>) => boolean]>([
      ['a missing binding', (t) => t.unbindQueue(q1, 'x', 'nope', {})],
      ['a missing exchange', (t) => t.unbindQueue(q1, 'missing', 'k', {})],
      ['other arguments', (t) => t.unbindQueue(q1, 'x', 'k', { a: 2 })],
    ])('answers ok for %s, as RabbitMQ 3.x does', (_name, action) => {
      topology.bindQueue(q1, 'x', 'k', { a: 1 });
      expect(action(topology)).toBe(false);
      expect(topology.bindingsOfQueue(q1)).toHaveLength(1);
    });

    it('refuses the default exchange (403)', () => {
      expect(captureError(() => topology.unbindQueue(q1, '', 'q1', {}))).toMatchObject({
        replyCode: 403,
        replyText: 'ACCESS_REFUSED - operation not permitted on the default exchange',
      });
    });
  });

  describe('exchange.bind and exchange.unbind', () => {
    beforeEach(() => topology.declareExchange('y', options({ type: 'fanout' })));

    it('binds a destination exchange to a source exchange', () => {
      expect(topology.bindExchange('y', 'x', 'k', {})).toBe(true);
      const [binding] = topology.getExchange('x')!.bindings;
      expect(binding).toMatchObject({ destination: topology.getExchange('y'), destinationType: 'exchange', routingKey: 'k' });
      expect(topology.bindExchange('y', 'x', 'k', {})).toBe(false);
      expect(topology.unbindExchange('y', 'x', 'k', {})).toBe(true);
      expect(topology.getExchange('x')!.bindings.size).toBe(0);
      expect(changes).toEqual(['exchange.declared y', 'binding.added x->y k', 'binding.removed x->y k']);
    });

    it('lets an exchange bind to itself', () => {
      expect(topology.bindExchange('x', 'x', 'k', {})).toBe(true);
      topology.deleteExchange('x', false);
      expect([...topology.bindings()]).toEqual([]);
    });

    it.each<[string, (t: Topology<FakeQueue>) => unknown, number, string]>([
      ['a missing source', (t) => t.bindExchange('y', 'nope', 'k', {}), 404, "NOT_FOUND - no exchange 'nope' in vhost '/'"],
      ['a missing destination', (t) => t.bindExchange('nope', 'x', 'k', {}), 404, "NOT_FOUND - no exchange 'nope' in vhost '/'"],
      ['both missing (source reported)', (t) => t.bindExchange('d', 's', 'k', {}), 404, "NOT_FOUND - no exchange 's' in vhost '/'"],
      [
        'the default exchange as source',
        (t) => t.bindExchange('y', '', 'k', {}),
        403,
        'ACCESS_REFUSED - operation not permitted on the default exchange',
      ],
      [
        'the default exchange as destination',
        (t) => t.bindExchange('', 'x', 'k', {}),
        403,
        'ACCESS_REFUSED - operation not permitted on the default exchange',
      ],
      [
        'unbinding the default exchange',
        (t) => t.unbindExchange('', 'x', 'k', {}),
        403,
        'ACCESS_REFUSED - operation not permitted on the default exchange',
      ],
      [
        'an invalid x-match on a headers source',
        (t) => t.bindExchange('y', 'amq.headers', '', { 'x-match': 'nope' }),
        406,
        'PRECONDITION_FAILED - Invalid x-match field value <<"nope">>; expected all, any, all-with-x, or any-with-x',
      ],
    ])('refuses %s', (_name, action, replyCode, replyText) => {
      expect(captureError(() => action(topology))).toMatchObject({ replyCode, replyText });
    });

    it('answers ok when unbinding from or to a missing exchange', () => {
      expect(topology.unbindExchange('y', 'missing', 'k', {})).toBe(false);
      expect(topology.unbindExchange('missing', 'x', 'k', {})).toBe(false);
    });
  });

  describe('auto-delete exchanges', () => {
    beforeEach(() => topology.declareExchange('auto', options({ autoDelete: true })));

    it('stays while it never had a binding', () => {
      expect(topology.getExchange('auto')).toBeDefined();
    });

    it('goes when its last binding as a source is unbound', () => {
      topology.bindQueue(q1, 'auto', 'a', {});
      topology.bindQueue(q2, 'auto', 'b', {});
      topology.unbindQueue(q1, 'auto', 'a', {});
      expect(topology.getExchange('auto')).toBeDefined();
      topology.unbindQueue(q2, 'auto', 'b', {});
      expect(topology.getExchange('auto')).toBeUndefined();
      expect(changes.at(-1)).toBe('exchange.deleted auto');
    });

    it('goes when the queue of its last binding is removed', () => {
      topology.bindQueue(q1, 'auto', 'a', {});
      topology.removeQueue(q1);
      expect(topology.getExchange('auto')).toBeUndefined();
    });

    it('stays when it loses a binding as a destination only', () => {
      topology.bindQueue(q1, 'auto', 'a', {});
      topology.bindExchange('auto', 'x', 'k', {});
      topology.unbindExchange('auto', 'x', 'k', {});
      expect(topology.getExchange('auto')).toBeDefined();
    });

    it('cascades along exchange-to-exchange bindings', () => {
      topology.declareExchange('auto2', options({ autoDelete: true }));
      topology.bindExchange('auto', 'auto2', 'k', {});
      topology.bindQueue(q1, 'auto', 'a', {});
      topology.removeQueue(q1);
      expect(topology.getExchange('auto')).toBeUndefined();
      expect(topology.getExchange('auto2')).toBeUndefined();
    });
  });

  describe('removeQueue', () => {
    it('drops every binding to the queue and reports each', () => {
      topology.bindQueue(q1, 'x', 'a', {});
      topology.bindQueue(q1, 'amq.topic', 'a.#', {});
      topology.bindQueue(q2, 'x', 'a', {});
      changes = [];
      topology.removeQueue(q1);
      expect(topology.bindingsOfQueue(q1)).toEqual([]);
      expect(topology.bindingsOfQueue(q2)).toHaveLength(1);
      expect(changes.sort()).toEqual(['binding.removed amq.topic->q1 a.#', 'binding.removed x->q1 a']);
      const out = new Set<FakeQueue>();
      topology.route(topology.getExchange('x')!, 'a', undefined, out);
      expect([...out]).toEqual([q2]);
    });

    it('does nothing for a queue without bindings', () => {
      topology.removeQueue(q1);
      expect(changes).toEqual([]);
    });
  });

  it('lists every explicit binding and none for the default exchange', () => {
    topology.bindQueue(q1, 'x', 'a', {});
    topology.bindQueue(q2, 'amq.fanout', '', {});
    topology.bindExchange('amq.direct', 'x', 'b', {});
    expect([...topology.bindings()].map((b) => `${b.source.name}->${b.destination.name}:${b.destinationType}`).sort()).toEqual([
      'amq.fanout->q2:queue',
      'x->amq.direct:exchange',
      'x->q1:queue',
    ]);
  });

  describe('propertiesKey', () => {
    it.each<[routingKey: string, args: Headers, key: string | RegExp]>([
      ['', {}, '~'],
      ['foo', {}, 'foo'],
      ['foo~bar/bash', {}, 'foo%7Ebar%2Fbash'],
      ['a b', {}, 'a+b'],
      ['a.b-c_d', {}, 'a.b-c_d'],
      ['ü', {}, '%C3%BC'],
      ['foo', { a: 1 }, /^foo~[A-Za-z0-9_-]{6}$/],
      ['', { a: 1 }, /^~[A-Za-z0-9_-]{6}$/],
    ])('is RabbitMQ-shaped for key %j and arguments %o', (routingKey, args, key) => {
      topology.bindQueue(q1, 'x', routingKey, args);
      const [binding] = topology.bindingsOfQueue(q1);
      if (typeof key === 'string') expect(binding.propertiesKey).toBe(key);
      else expect(binding.propertiesKey).toMatch(key);
    });

    it('is equal for equal arguments and differs for different ones', () => {
      topology.bindQueue(q1, 'x', 'k', { a: 1, b: 'x' });
      topology.bindQueue(q2, 'x', 'k', { b: 'x', a: 1 });
      topology.bindQueue(q2, 'x', 'k', { a: 2, b: 'x' });
      const [first] = topology.bindingsOfQueue(q1);
      const [same, different] = topology.bindingsOfQueue(q2);
      expect(same.propertiesKey).toBe(first.propertiesKey);
      expect(different.propertiesKey).not.toBe(first.propertiesKey);
    });
  });
});

function describeChange(change: TopologyChange<FakeQueue>): string {
  if (change.kind === 'exchange.declared' || change.kind === 'exchange.deleted') return `${change.kind} ${change.exchange.name}`;
  const { source, destination, routingKey } = change.binding;
  return `${change.kind} ${source.name}->${destination.name} ${routingKey}`;
}
