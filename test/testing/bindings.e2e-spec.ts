import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { startTestBroker, type TestBroker } from '@app/testing';

/** bindings(): the explicit bindings, filtered by source exchange and/or destination queue. */
describe('TestBroker.bindings', () => {
  let broker: TestBroker;
  let connection: ChannelModel;
  let channel: Channel;

  beforeAll(async () => {
    broker = await startTestBroker();
    connection = await amqplib.connect(broker.url);
    channel = await connection.createChannel();
    await channel.assertExchange('orders', 'topic');
    await channel.assertExchange('audit', 'fanout');
    await channel.assertExchange('by-tenant', 'headers');
    await channel.assertQueue('billing');
    await channel.assertQueue('shipping');
    await channel.assertQueue('audit-log');
    await channel.bindQueue('billing', 'orders', 'order.created');
    await channel.bindQueue('billing', 'orders', 'order.refunded');
    await channel.bindQueue('shipping', 'orders', 'order.*');
    await channel.bindExchange('audit', 'orders', '#');
    await channel.bindQueue('audit-log', 'audit', '');
    await channel.bindQueue('shipping', 'by-tenant', '', { 'x-match': 'any', tenant: 'acme' });
  });

  afterAll(async () => {
    await connection.close();
    await broker.close();
  });

  it('lists every explicit binding (not the default exchange implicit ones)', () => {
    const all = broker.bindings();

    expect(all).toHaveLength(6);
    expect(all.some((b) => b.source === '')).toBe(false);
  });

  it('filters by source exchange, including exchange-to-exchange bindings', () => {
    expect(broker.bindings({ exchange: 'orders' })).toEqual([
      { source: 'orders', destination: 'billing', destinationType: 'queue', routingKey: 'order.created', arguments: {} },
      { source: 'orders', destination: 'billing', destinationType: 'queue', routingKey: 'order.refunded', arguments: {} },
      { source: 'orders', destination: 'shipping', destinationType: 'queue', routingKey: 'order.*', arguments: {} },
      { source: 'orders', destination: 'audit', destinationType: 'exchange', routingKey: '#', arguments: {} },
    ]);
  });

  it('filters by destination queue, with binding arguments', () => {
    const shipping = broker.bindings({ queue: 'shipping' });

    expect(shipping.map((b) => `${b.source}:${b.routingKey}`).sort()).toEqual(['by-tenant:', 'orders:order.*']);
    expect(shipping.find((b) => b.source === 'by-tenant')?.arguments).toEqual({ 'x-match': 'any', tenant: 'acme' });
  });

  it('combines both filters, and returns nothing for unknown names', () => {
    expect(broker.bindings({ exchange: 'orders', queue: 'billing' }).map((b) => b.routingKey)).toEqual(['order.created', 'order.refunded']);
    expect(broker.bindings({ exchange: 'nope' })).toEqual([]);
    expect(broker.bindings({ queue: 'nope' })).toEqual([]);
  });

  it('shows no binding of the management path (its exchange and queue are in no topology)', () => {
    const all = broker.bindings({ includeInternal: true });

    expect(all.filter((b) => b.source.startsWith('amq.warren') || b.destination.startsWith('amq.warren'))).toEqual([]);
    expect(broker.bindings({ exchange: 'warren.requests', includeInternal: true })).toEqual([]);
  });

  it('leaves capture bindings out unless asked for', () => {
    const capture = broker.capture('orders');
    try {
      expect(broker.bindings({ exchange: 'orders' })).toHaveLength(4);
      expect(broker.bindings({ exchange: 'orders', includeInternal: true })).toContainEqual({
        source: 'orders',
        destination: capture.queueName,
        destinationType: 'queue',
        routingKey: '#',
        arguments: {},
      });
    } finally {
      capture.stop();
    }
    expect(broker.bindings({ exchange: 'orders', includeInternal: true })).toHaveLength(4);
  });
});
