import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib, { type ChannelModel } from 'amqplib';
import { startTestBroker, waitFor, type BindingInfo, type TestBroker } from '@app/testing';

function exchangeNames(broker: TestBroker): string[] {
  return [...broker.vhost.topology.exchanges()].map((e) => e.name).sort();
}

/** reset(): back to a fresh broker's topology between tests. */
describe('TestBroker.reset', () => {
  let broker: TestBroker;
  let connection: ChannelModel;
  /** A fresh broker's exchanges: the predeclared ones (the management exchange is in no vhost's topology). */
  let initialExchanges: string[];
  let initialBindings: BindingInfo[];

  beforeEach(async () => {
    broker = await startTestBroker();
    initialExchanges = exchangeNames(broker);
    initialBindings = broker.bindings({ includeInternal: true });
    connection = await amqplib.connect(broker.url);
    connection.on('error', () => undefined);
  });

  afterEach(async () => {
    await connection.close().catch(() => undefined);
    await broker.close();
  });

  it('deletes every queue, declared exchange and binding, keeping the predeclared exchanges', async () => {
    const channel = await connection.createChannel();
    await channel.assertExchange('orders', 'topic', { durable: true });
    await channel.assertExchange('audit', 'fanout', { autoDelete: true });
    await channel.assertQueue('billing', { durable: true });
    await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue('billing', 'orders', '#');
    await channel.bindQueue('billing', 'amq.topic', 'x.*');
    await channel.bindExchange('audit', 'orders', '#');
    await channel.bindExchange('amq.fanout', 'amq.topic', '#');
    channel.sendToQueue('billing', Buffer.from('dropped'));
    await broker.waitForQueue('billing', { messages: 1 });

    const summary = await broker.reset();

    expect(summary).toEqual({ queues: 2, exchanges: 2, exchangeBindings: 1 });
    expect([...broker.vhost.allQueues()]).toEqual([]);
    expect(initialExchanges).toEqual(expect.arrayContaining(['', 'amq.direct', 'amq.fanout', 'amq.topic']));
    expect(exchangeNames(broker)).toEqual(initialExchanges);
    expect(broker.bindings()).toEqual([]);
    expect(broker.bindings({ includeInternal: true })).toEqual(initialBindings);
    // The connection and its channel survive and can declare the same names again.
    await channel.assertExchange('orders', 'direct');
    await channel.assertQueue('billing', { durable: false });
    expect(broker.queue('billing').options.durable).toBe(false);
  });

  it('cancels consumers of deleted queues (basic.cancel) and drops their unacked messages', async () => {
    const channel = await connection.createChannel();
    await channel.assertQueue('work');
    const deliveries: Array<string | null> = [];
    await channel.consume('work', (message) => deliveries.push(message === null ? null : message.content.toString()));
    channel.sendToQueue('work', Buffer.from('in flight'));
    await broker.waitForQueue('work', { unacked: 1 });

    await broker.reset();

    // amqplib reports a server-sent basic.cancel as a null message.
    await waitFor(() => deliveries.length === 2, { what: 'the delivery and the basic.cancel' });
    expect(deliveries).toEqual(['in flight', null]);
    expect(broker.vhost.getQueue('work')).toBeUndefined();
  });

  it('closes client connections first with { closeConnections: true }', async () => {
    const closed = new Promise<unknown>((resolve) => connection.on('close', resolve));
    const channel = await connection.createChannel();
    await channel.assertQueue('q');

    await broker.reset({ closeConnections: true });

    await expect(closed).resolves.toMatchObject({ code: 320 });
    expect([...broker.broker.allConnections()]).toEqual([]);
    expect([...broker.vhost.allQueues()]).toEqual([]);
  });

  it('drops the messages a delayed exchange still holds, so none reaches the next test', async () => {
    const channel = await connection.createChannel();
    const delayed = { arguments: { 'x-delayed-type': 'direct' } };
    await channel.assertExchange('later', 'x-delayed-message', delayed);
    channel.publish('later', 'k', Buffer.from('stale'), { headers: { 'x-delay': 200 } });
    await waitFor(() => broker.vhost.delayed.size === 1, { what: 'the delayed exchange to hold the message' });

    await broker.reset();
    expect(broker.vhost.delayed.size).toBe(0);
    await channel.assertExchange('later', 'x-delayed-message', delayed);
    await channel.assertQueue('next-test');
    await channel.bindQueue('next-test', 'later', 'k');
    // A message delayed as long, published later, falls due after the stale one would have: once it is in the
    // queue, the stale one had its chance to arrive too.
    channel.publish('later', 'k', Buffer.from('fresh'), { headers: { 'x-delay': 200 } });
    await broker.waitForQueue('next-test', { messages: 1 });

    expect(broker.peek('next-test').map((m) => m.body.toString())).toEqual(['fresh']);
    expect(broker.vhost.delayed.size).toBe(0);
  });

  it('on a persistent broker, deletes durable queues, exchanges and held delayed messages from storage too', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-testing-reset-'));
    await connection.close();
    await broker.close();
    try {
      broker = await startTestBroker({ dataDir });
      connection = await amqplib.connect(broker.url);
      const channel = await connection.createConfirmChannel();
      await channel.assertExchange('orders', 'topic', { durable: true });
      await channel.assertQueue('billing', { durable: true });
      await channel.bindQueue('billing', 'orders', '#');
      channel.publish('orders', 'a', Buffer.from('stored'), { persistent: true });
      const delayed = { durable: true, arguments: { 'x-delayed-type': 'topic' } };
      await channel.assertExchange('later', 'x-delayed-message', delayed);
      channel.publish('later', 'a', Buffer.from('stored, delayed'), { persistent: true, headers: { 'x-delay': 60_000 } });
      await channel.waitForConfirms();

      await broker.reset();
      // The same durable delayed exchange again: after a restart it must not get the old held message back.
      await channel.assertExchange('later', 'x-delayed-message', delayed);
      await connection.close();
      await broker.close();
      broker = await startTestBroker({ dataDir });

      expect([...broker.vhost.allQueues()]).toEqual([]);
      expect(exchangeNames(broker)).toEqual([...initialExchanges, 'later'].sort());
      expect(broker.vhost.delayed.size).toBe(0);
    } finally {
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
