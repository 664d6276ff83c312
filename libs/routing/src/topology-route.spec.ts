import { DirectMatcher } from './direct/direct-exchange.js';
import type { ExchangeOptions } from './exchange.js';
import type { Headers } from './headers.js';
import type { RoutableQueue } from './routable-queue.js';
import type { RoutingKeys } from './route-traversal.js';
import { TOPIC_CACHE_MAX, TopicMatcher } from './topic/topic-exchange.js';
import { Topology } from './topology.js';

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

describe('Topology.route', () => {
  let queues: Map<string, FakeQueue>;
  let topology: Topology<FakeQueue>;
  const queue = (name: string): FakeQueue => {
    let found = queues.get(name);
    if (found === undefined) {
      found = new FakeQueue(name);
      queues.set(name, found);
    }
    return found;
  };
  const declare = (name: string, overrides: Partial<ExchangeOptions> = {}) => topology.declareExchange(name, options(overrides));
  const route = (exchangeName: string, routingKey: RoutingKeys, headers?: Headers): string[] => {
    const out = new Set<FakeQueue>();
    topology.route(topology.getExchange(exchangeName)!, routingKey, headers, out);
    return [...out].map((q) => q.name).sort();
  };

  beforeEach(() => {
    queues = new Map();
    topology = new Topology<FakeQueue>('/', undefined, (name) => queues.get(name));
  });

  describe('default exchange', () => {
    it('routes to the queue named by the routing key', () => {
      queue('q1');
      queue('q2');
      expect(route('', 'q1')).toEqual(['q1']);
    });

    it('routes nowhere for a missing queue', () => {
      expect(route('', 'nope')).toEqual([]);
    });

    it('routes nowhere without a queue resolver', () => {
      const bare = new Topology<FakeQueue>('/');
      const out = new Set<FakeQueue>();
      bare.route(bare.getExchange('')!, 'q1', undefined, out);
      expect(out.size).toBe(0);
    });

    it('routes each of several keys', () => {
      queue('a');
      queue('b');
      expect(route('', ['a', 'b', 'missing'])).toEqual(['a', 'b']);
    });
  });

  it('delivers once to a queue bound twice with keys matching the same message', () => {
    topology.bindQueue(queue('q'), 'amq.topic', 'a.*', {});
    topology.bindQueue(queue('q'), 'amq.topic', 'a.#', {});
    const out = new Set<FakeQueue>();
    topology.route(topology.getExchange('amq.topic')!, 'a.b', undefined, out);
    expect([...out]).toEqual([queue('q')]);
  });

  it('routes through amq.match on headers', () => {
    topology.bindQueue(queue('q'), 'amq.match', '', { 'x-match': 'any', a: 1, b: 2 });
    expect(route('amq.match', 'ignored', { b: 2 })).toEqual(['q']);
    expect(route('amq.match', 'ignored', { c: 3 })).toEqual([]);
  });

  describe('the publish path does not grow with routing keys', () => {
    it('leaves out empty and the direct index unchanged for an unbound key', () => {
      declare('empty');
      const exchange = topology.getExchange('empty')!;
      const out = new Set<FakeQueue>();
      for (let i = 0; i < 1000; i++) topology.route(exchange, `k${i}`, undefined, out);
      expect(out.size).toBe(0);
      expect((exchange.queueMatcher as DirectMatcher<FakeQueue>).keyCount).toBe(0);
    });

    it('keeps the topic cache within its bound', () => {
      topology.bindQueue(queue('q'), 'amq.topic', 'orders.#', {});
      const exchange = topology.getExchange('amq.topic')!;
      const out = new Set<FakeQueue>();
      for (let i = 0; i < TOPIC_CACHE_MAX * 3; i++) topology.route(exchange, `other.${i}`, undefined, out);
      for (let i = 0; i < 10; i++) topology.route(exchange, 'orders.new', undefined, out);
      expect([...out]).toEqual([queue('q')]);
      expect((exchange.queueMatcher as TopicMatcher<FakeQueue>).cacheSize).toBeLessThanOrEqual(TOPIC_CACHE_MAX);
    });
  });

  // One exchange-to-exchange hop from every source type, written once.
  describe.each<[type: string, bindingKey: string, args: Headers, routingKey: string, headers: Headers | undefined]>([
    ['direct', 'k', {}, 'k', undefined],
    ['fanout', '', {}, 'anything', undefined],
    ['topic', 'k.*', {}, 'k.x', undefined],
    ['headers', '', { h: 'v' }, '', { h: 'v' }],
  ])('exchange-to-exchange hop from a %s exchange', (type, bindingKey, args, routingKey, headers) => {
    beforeEach(() => {
      declare('src', { type });
      declare('dst', { type: 'fanout' });
      topology.bindExchange('dst', 'src', bindingKey, args);
      topology.bindQueue(queue('q-dst'), 'dst', '', {});
    });

    it('reaches the destination exchange’s queues', () => {
      expect(route('src', routingKey, headers)).toEqual(['q-dst']);
    });

    it('stops after unbinding', () => {
      topology.unbindExchange('dst', 'src', bindingKey, args);
      expect(route('src', routingKey, headers)).toEqual([]);
    });
  });

  describe('cycle guard', () => {
    it('terminates on a → b → a and delivers to each queue once', () => {
      declare('a', { type: 'fanout' });
      declare('b', { type: 'fanout' });
      topology.bindExchange('b', 'a', '', {});
      topology.bindExchange('a', 'b', '', {});
      topology.bindQueue(queue('qa'), 'a', '', {});
      topology.bindQueue(queue('qb'), 'b', '', {});
      expect(route('a', 'k')).toEqual(['qa', 'qb']);
      expect(route('b', 'k')).toEqual(['qa', 'qb']);
    });

    it('terminates on a self-binding', () => {
      declare('a', { type: 'fanout' });
      topology.bindExchange('a', 'a', '', {});
      topology.bindQueue(queue('q'), 'a', '', {});
      expect(route('a', 'k')).toEqual(['q']);
    });

    it('delivers once through a diamond', () => {
      for (const name of ['a', 'b', 'c', 'd']) declare(name, { type: 'fanout' });
      topology.bindExchange('b', 'a', '', {});
      topology.bindExchange('c', 'a', '', {});
      topology.bindExchange('d', 'b', '', {});
      topology.bindExchange('d', 'c', '', {});
      topology.bindQueue(queue('q'), 'd', '', {});
      const out = new Set<FakeQueue>();
      topology.route(topology.getExchange('a')!, 'k', undefined, out);
      expect([...out]).toEqual([queue('q')]);
    });
  });

  describe('alternate exchange', () => {
    beforeEach(() => {
      declare('ae', { type: 'fanout' });
      topology.bindQueue(queue('q-ae'), 'ae', '', {});
      declare('x', { arguments: { 'alternate-exchange': 'ae' } });
      topology.bindQueue(queue('q'), 'x', 'k', {});
    });

    it('takes an unroutable message', () => {
      expect(route('x', 'other')).toEqual(['q-ae']);
    });

    it('is not used when the exchange matched', () => {
      expect(route('x', 'k')).toEqual(['q']);
    });

    it('is not used when one of several keys matched (CC)', () => {
      expect(route('x', ['other', 'k'])).toEqual(['q']);
    });

    it('is followed along a chain of alternate exchanges', () => {
      declare('ae2', { type: 'fanout' });
      topology.bindQueue(queue('q-ae2'), 'ae2', '', {});
      declare('ae1', { arguments: { 'alternate-exchange': 'ae2' } });
      declare('y', { arguments: { 'alternate-exchange': 'ae1' } });
      expect(route('y', 'k')).toEqual(['q-ae2']);
    });

    it('terminates on an alternate-exchange cycle', () => {
      declare('c1', { arguments: { 'alternate-exchange': 'c2' } });
      declare('c2', { arguments: { 'alternate-exchange': 'c1' } });
      expect(route('c1', 'k')).toEqual([]);
    });

    it('ignores a missing alternate exchange, as RabbitMQ does', () => {
      declare('y', { arguments: { 'alternate-exchange': 'not-declared' } });
      expect(route('y', 'k')).toEqual([]);
    });

    it('uses an alternate exchange declared after the exchange', () => {
      declare('y', { arguments: { 'alternate-exchange': 'later' } });
      declare('later', { type: 'fanout' });
      topology.bindQueue(queue('q-later'), 'later', '', {});
      expect(route('y', 'k')).toEqual(['q-later']);
    });

    it('is decided per exchange: a hop that matches nothing uses its own alternate', () => {
      declare('yae', { type: 'fanout' });
      topology.bindQueue(queue('q-yae'), 'yae', '', {});
      declare('y', { arguments: { 'alternate-exchange': 'yae' } });
      topology.bindExchange('y', 'x', 'hop', {});
      // x matched (its binding to y), so x's alternate is not used; y matched nothing, so y's is.
      expect(route('x', 'hop')).toEqual(['q-yae']);
    });

    it('routes nothing through the default exchange as alternate, as RabbitMQ does', () => {
      queue('k');
      declare('y', { arguments: { 'alternate-exchange': '' } });
      expect(route('y', 'k')).toEqual([]);
    });

    it('applies to a message that reached the exchange through a hop', () => {
      declare('src', { type: 'fanout' });
      topology.bindExchange('x', 'src', '', {});
      expect(route('src', 'other')).toEqual(['q-ae']);
    });
  });

  it('routes through an internal exchange (refusing publishes to it is the broker’s job)', () => {
    declare('inner', { type: 'fanout', internal: true });
    expect(topology.getExchange('inner')!.internal).toBe(true);
    topology.bindQueue(queue('q'), 'inner', '', {});
    topology.bindExchange('inner', 'amq.fanout', '', {});
    expect(route('amq.fanout', 'k')).toEqual(['q']);
    expect(route('inner', 'k')).toEqual(['q']);
  });

  it('adds to the caller’s set without clearing it', () => {
    topology.bindQueue(queue('q'), 'amq.direct', 'k', {});
    const out = new Set([queue('earlier')]);
    topology.route(topology.getExchange('amq.direct')!, 'k', undefined, out);
    expect([...out].map((q) => q.name)).toEqual(['earlier', 'q']);
  });
});
