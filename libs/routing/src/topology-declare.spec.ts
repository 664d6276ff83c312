import type { ExchangeOptions } from './exchange.js';
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

describe('Topology: exchanges', () => {
  let topology: Topology<FakeQueue>;
  beforeEach(() => {
    topology = new Topology<FakeQueue>('/');
  });

  it.each<[name: string, type: string]>([
    ['', 'direct'],
    ['amq.direct', 'direct'],
    ['amq.fanout', 'fanout'],
    ['amq.topic', 'topic'],
    ['amq.headers', 'headers'],
    ['amq.match', 'headers'],
  ])('predeclares %j as a durable %s exchange', (name, type) => {
    const exchange = topology.getExchange(name);
    expect(exchange?.type.name).toBe(type);
    expect(exchange).toMatchObject({ durable: true, autoDelete: false, internal: false, arguments: {} });
  });

  it('lists exactly the predeclared exchanges at first', () => {
    expect([...topology.exchanges()].map((exchange) => exchange.name).sort()).toEqual([
      '',
      'amq.direct',
      'amq.fanout',
      'amq.headers',
      'amq.match',
      'amq.topic',
    ]);
  });

  describe('exchange.declare', () => {
    it('creates an exchange with the declared properties', () => {
      const args = { 'alternate-exchange': 'ae', other: 1 };
      const { exchange, created } = topology.declareExchange(
        'x',
        options({ type: 'topic', durable: true, autoDelete: true, internal: true, arguments: args }),
      );
      expect(created).toBe(true);
      expect(exchange).toMatchObject({ name: 'x', durable: true, autoDelete: true, internal: true, arguments: args });
      expect(exchange.type.name).toBe('topic');
      expect(exchange.alternateExchange).toBe('ae');
      expect(topology.getExchange('x')).toBe(exchange);
    });

    it('is idempotent for an equivalent redeclare', () => {
      const first = topology.declareExchange('x', options({ arguments: { 'alternate-exchange': 'ae' } }));
      const again = topology.declareExchange('x', options({ arguments: { 'alternate-exchange': 'ae' } }));
      expect(again).toEqual({ exchange: first.exchange, created: false });
    });

    it('ignores arguments other than alternate-exchange on redeclare, as RabbitMQ does', () => {
      topology.declareExchange('x', options({ arguments: { a: 1 } }));
      expect(topology.declareExchange('x', options({ arguments: { a: 2, b: 'x' } })).created).toBe(false);
    });

    it('accepts a redeclare of a predeclared amq.* exchange', () => {
      const { exchange, created } = topology.declareExchange('amq.direct', options({ durable: true }));
      expect(created).toBe(false);
      expect(exchange).toBe(topology.getExchange('amq.direct'));
    });

    it('passively finds an existing exchange whatever the options say', () => {
      topology.declareExchange('x', options({ type: 'fanout' }));
      const { exchange, created } = topology.declareExchange('x', options({ type: 'bogus', durable: true }), true);
      expect(exchange.name).toBe('x');
      expect(created).toBe(false);
    });

    it.each<[string, (t: Topology<FakeQueue>) => unknown, number, string, boolean]>([
      [
        'unknown type (hard)',
        (t) => t.declareExchange('x', options({ type: 'bogus' })),
        503,
        "COMMAND_INVALID - unknown exchange type 'bogus'",
        true,
      ],
      [
        'unknown type is checked before the default exchange',
        (t) => t.declareExchange('', options({ type: 'bogus' })),
        503,
        "COMMAND_INVALID - unknown exchange type 'bogus'",
        true,
      ],
      [
        'reserved amq. prefix',
        (t) => t.declareExchange('amq.x', options()),
        403,
        "ACCESS_REFUSED - exchange name 'amq.x' contains reserved prefix 'amq.*'",
        false,
      ],
      [
        'the default exchange',
        (t) => t.declareExchange('', options()),
        403,
        'ACCESS_REFUSED - operation not permitted on the default exchange',
        false,
      ],
      [
        'the default exchange, passively',
        (t) => t.declareExchange('', options(), true),
        403,
        'ACCESS_REFUSED - operation not permitted on the default exchange',
        false,
      ],
      [
        'passive on a missing exchange',
        (t) => t.declareExchange('missing', options(), true),
        404,
        "NOT_FOUND - no exchange 'missing' in vhost '/'",
        false,
      ],
      [
        'passive on a missing amq. exchange',
        (t) => t.declareExchange('amq.x', options(), true),
        404,
        "NOT_FOUND - no exchange 'amq.x' in vhost '/'",
        false,
      ],
      [
        'alternate-exchange that is not a string',
        (t) => t.declareExchange('x', options({ arguments: { 'alternate-exchange': 5 } })),
        406,
        "PRECONDITION_FAILED - invalid type 'signedint' for arg 'alternate-exchange' in exchange 'x' in vhost '/'",
        false,
      ],
    ])('refuses %s', (_name, action, replyCode, replyText, isHard) => {
      const error = captureError(() => action(topology));
      expect(error).toMatchObject({ replyCode, replyText, isHard, message: replyText });
    });

    it.each<[string, Partial<ExchangeOptions>, string]>([
      ['type', { type: 'direct' }, "inequivalent arg 'type' for exchange 'x' in vhost '/': received 'direct' but current is 'fanout'"],
      ['durable', { durable: false }, "inequivalent arg 'durable' for exchange 'x' in vhost '/': received 'false' but current is 'true'"],
      [
        'auto_delete',
        { autoDelete: false },
        "inequivalent arg 'auto_delete' for exchange 'x' in vhost '/': received 'false' but current is 'true'",
      ],
      ['internal', { internal: true }, "inequivalent arg 'internal' for exchange 'x' in vhost '/': received 'true' but current is 'false'"],
      [
        'alternate-exchange value',
        { arguments: { 'alternate-exchange': 'other' } },
        "inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received the value 'other' of type 'longstr' but current is the value 'ae' of type 'longstr'",
      ],
      [
        'alternate-exchange (now absent)',
        { arguments: {} },
        "inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received none but current is the value 'ae' of type 'longstr'",
      ],
      [
        'alternate-exchange type',
        { arguments: { 'alternate-exchange': Buffer.from('ae') } },
        "inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received the value 'ae' of type 'binary' but current is the value 'ae' of type 'longstr'",
      ],
    ])('refuses a redeclare with a different %s (406)', (_name, overrides, text) => {
      const current = options({ type: 'fanout', durable: true, autoDelete: true, arguments: { 'alternate-exchange': 'ae' } });
      topology.declareExchange('x', current);
      const error = captureError(() => topology.declareExchange('x', { ...current, ...overrides }));
      expect(error).toMatchObject({ replyCode: 406, replyText: `PRECONDITION_FAILED - ${text}`, isHard: false });
    });

    it('checks type before durable, as RabbitMQ does', () => {
      topology.declareExchange('x', options({ type: 'fanout', durable: true }));
      const error = captureError(() => topology.declareExchange('x', options({ type: 'topic', durable: false })));
      expect(error.replyText).toContain("arg 'type'");
    });

    it('uses the vhost name in texts', () => {
      const other = new Topology<FakeQueue>('staging');
      expect(captureError(() => other.declareExchange('x', options(), true)).replyText).toBe(
        "NOT_FOUND - no exchange 'x' in vhost 'staging'",
      );
    });
  });

  describe('exchange.delete', () => {
    it('deletes an exchange', () => {
      topology.declareExchange('x', options());
      expect(topology.deleteExchange('x', false)).toBe(true);
      expect(topology.getExchange('x')).toBeUndefined();
    });

    it('answers ok for a missing exchange, as RabbitMQ 3.x does', () => {
      expect(topology.deleteExchange('missing', false)).toBe(false);
    });

    it.each<[string, (t: Topology<FakeQueue>) => unknown, number, string]>([
      [
        'amq.direct',
        (t) => t.deleteExchange('amq.direct', false),
        403,
        "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed",
      ],
      [
        'a missing amq.*',
        (t) => t.deleteExchange('amq.nope', false),
        403,
        "ACCESS_REFUSED - deletion of system exchange 'amq.nope' in vhost '/' not allowed",
      ],
      ['the default exchange', (t) => t.deleteExchange('', false), 403, 'ACCESS_REFUSED - operation not permitted on the default exchange'],
    ])('refuses to delete %s', (_name, action, replyCode, replyText) => {
      expect(captureError(() => action(topology))).toMatchObject({ replyCode, replyText });
    });

    it('refuses if-unused while the exchange is a binding source (406)', () => {
      topology.declareExchange('x', options());
      topology.bindQueue(new FakeQueue('q'), 'x', 'k', {});
      expect(captureError(() => topology.deleteExchange('x', true))).toMatchObject({
        replyCode: 406,
        replyText: "PRECONDITION_FAILED - exchange 'x' in vhost '/' in use",
      });
      expect(topology.getExchange('x')).toBeDefined();
    });

    it('deletes with if-unused when the exchange is only a binding destination', () => {
      topology.declareExchange('src', options());
      topology.declareExchange('x', options());
      topology.bindExchange('x', 'src', 'k', {});
      expect(topology.deleteExchange('x', true)).toBe(true);
      expect(topology.getExchange('src')?.bindings.size).toBe(0);
    });

    it('removes its bindings as source and as destination', () => {
      const queue = new FakeQueue('q');
      topology.declareExchange('up', options());
      topology.declareExchange('x', options());
      topology.bindExchange('x', 'up', 'k', {});
      topology.bindQueue(queue, 'x', 'k', {});
      topology.deleteExchange('x', false);
      expect([...topology.bindings()]).toEqual([]);
      expect(topology.bindingsOfQueue(queue)).toEqual([]);
      expect(topology.getExchange('up')?.bindings.size).toBe(0);
    });

    it('auto-deletes a source exchange that loses its last binding to the deleted exchange', () => {
      topology.declareExchange('up', options({ autoDelete: true }));
      topology.declareExchange('x', options());
      topology.bindExchange('x', 'up', 'k', {});
      topology.deleteExchange('x', false);
      expect(topology.getExchange('up')).toBeUndefined();
    });

    it('reports bindings removed before the exchange, then cascaded deletions', () => {
      const changes: string[] = [];
      topology.declareExchange('up', options({ autoDelete: true }));
      topology.declareExchange('x', options());
      topology.bindExchange('x', 'up', 'k', {});
      topology.bindQueue(new FakeQueue('q'), 'x', 'k', {});
      topology.onChange = (change: TopologyChange<FakeQueue>) => changes.push(describeChange(change));
      topology.deleteExchange('x', false);
      expect(changes).toEqual(['binding.removed x->q', 'binding.removed up->x', 'exchange.deleted x', 'exchange.deleted up']);
    });
  });

  it('reports a declare once, not for an idempotent redeclare', () => {
    const changes: string[] = [];
    topology.onChange = (change) => changes.push(describeChange(change));
    topology.declareExchange('x', options());
    topology.declareExchange('x', options());
    topology.declareExchange('x', options(), true);
    expect(changes).toEqual(['exchange.declared x']);
  });

  it('reports nothing for a refused operation', () => {
    const changes: string[] = [];
    topology.onChange = (change) => changes.push(describeChange(change));
    captureError(() => topology.declareExchange('amq.x', options()));
    captureError(() => topology.bindQueue(new FakeQueue('q'), 'missing', 'k', {}));
    expect(changes).toEqual([]);
  });
});

function describeChange(change: TopologyChange<FakeQueue>): string {
  if (change.kind === 'exchange.declared' || change.kind === 'exchange.deleted') return `${change.kind} ${change.exchange.name}`;
  return `${change.kind} ${change.binding.source.name}->${change.binding.destination.name}`;
}
