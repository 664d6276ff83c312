import type { ExchangeOptions } from './exchange.js';
import { explainRoute, type RouteHop } from './explain-route.js';
import type { RoutableQueue } from './routable-queue.js';
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

function describeHop(hop: RouteHop<FakeQueue>): string {
  switch (hop.kind) {
    case 'binding':
      return `${hop.binding.source.name}-[${hop.binding.routingKey}]->${hop.binding.destination.name}`;
    case 'default-exchange':
      return `(default)->${hop.queueName}`;
    case 'alternate-exchange':
      return `${hop.source.name}-(ae)->${hop.destination.name}`;
  }
}

describe('explainRoute', () => {
  const queues = new Map(['q1', 'q2', 'q3'].map((name) => [name, new FakeQueue(name)]));
  const q = (name: string) => queues.get(name)!;
  let topology: Topology<FakeQueue>;
  const explain = (exchangeName: string, routingKey: string | string[]) => {
    const explanation = explainRoute(topology.getExchange(exchangeName)!, routingKey, undefined);
    return {
      queues: Object.fromEntries(explanation.queues.map(({ queue, paths }) => [queue.name, paths.map((path) => path.map(describeHop))])),
      exchanges: explanation.exchanges.map((exchange) => exchange.name),
    };
  };

  beforeEach(() => {
    topology = new Topology<FakeQueue>('/', undefined, (name) => queues.get(name));
    topology.declareExchange('ae', options({ type: 'fanout' }));
    topology.declareExchange('x', options({ type: 'topic', arguments: { 'alternate-exchange': 'ae' } }));
    topology.declareExchange('y', options({ type: 'fanout' }));
    topology.bindQueue(q('q1'), 'x', 'a.*', {});
    topology.bindQueue(q('q1'), 'x', 'a.#', {});
    topology.bindExchange('y', 'x', '#.b', {});
    topology.bindQueue(q('q2'), 'y', '', {});
    topology.bindQueue(q('q3'), 'ae', '', {});
  });

  it('lists each queue with every binding path that reaches it', () => {
    expect(explain('x', 'a.b')).toEqual({
      queues: {
        q1: [['x-[a.*]->q1'], ['x-[a.#]->q1']],
        q2: [['x-[#.b]->y', 'y-[]->q2']],
      },
      exchanges: ['x', 'y'],
    });
  });

  it('shows the alternate-exchange hop', () => {
    expect(explain('x', 'z')).toEqual({ queues: { q3: [['x-(ae)->ae', 'ae-[]->q3']] }, exchanges: ['x', 'ae'] });
  });

  it('shows the default exchange’s implicit binding', () => {
    expect(explain('', 'q2')).toEqual({ queues: { q2: [['(default)->q2']] }, exchanges: [''] });
  });

  it('combines several routing keys', () => {
    expect(explain('x', ['a.c', 'z.b']).queues).toEqual({
      q1: [['x-[a.*]->q1'], ['x-[a.#]->q1']],
      q2: [['x-[#.b]->y', 'y-[]->q2']],
    });
  });

  it('terminates on cycles and reaches each exchange by its first path', () => {
    topology.bindExchange('x', 'y', '', {});
    expect(explain('y', 'k')).toEqual({
      queues: { q2: [['y-[]->q2']], q3: [['y-[]->x', 'x-(ae)->ae', 'ae-[]->q3']] },
      exchanges: ['y', 'x', 'ae'],
    });
  });

  it('reaches the same queues as route()', () => {
    for (const routingKey of ['a.b', 'a', 'z', 'b', 'a.b.c.b', '']) {
      const out = new Set<FakeQueue>();
      const exchange = topology.getExchange('x')!;
      topology.route(exchange, routingKey, undefined, out);
      expect(explainRoute(exchange, routingKey, undefined).queues.map(({ queue }) => queue)).toEqual([...out]);
    }
  });

  it('gives every binding of a visited exchange that did not match, with the reason', () => {
    const reasons = (exchangeName: string, routingKey: string, headers?: Record<string, unknown>) =>
      explainRoute(topology.getExchange(exchangeName)!, routingKey, headers).unmatched.map(
        ({ binding, reason }) => `${binding.source.name}->${binding.destination.name}: ${reason}`,
      );
    expect(reasons('x', 'z')).toEqual([
      "x->q1: routing key 'z' does not match the pattern 'a.*'",
      "x->q1: routing key 'z' does not match the pattern 'a.#'",
      "x->y: routing key 'z' does not match the pattern '#.b'",
    ]);
    topology.declareExchange('d', options({ type: 'direct' }));
    topology.bindQueue(q('q1'), 'd', 'red', {});
    expect(reasons('d', 'blue')).toEqual(["d->q1: routing key 'blue' is not the binding key 'red'"]);
    topology.declareExchange('h', options({ type: 'headers' }));
    topology.bindQueue(q('q2'), 'h', '', { 'x-match': 'all', format: 'pdf', type: 'report' });
    expect(reasons('h', '', { format: 'pdf', type: 'log' })).toEqual(["h->q2: x-match all: header 'type' is 'log', not 'report'"]);
    expect(reasons('h', '', undefined)).toEqual(["h->q2: x-match all: header 'format' is missing; header 'type' is missing"]);
    expect(reasons('h', '', { format: 'pdf', type: 'report' })).toEqual([]);
  });
});
