import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { startTestBroker, type TestBroker } from '@app/testing';

/** waitForQueue: each condition alone and combined, the snapshot it resolves with, and its timeout errors. */
describe('TestBroker.waitForQueue', () => {
  let broker: TestBroker;
  let connection: ChannelModel;
  let channel: Channel;

  beforeAll(async () => {
    broker = await startTestBroker();
    connection = await amqplib.connect(broker.url);
  });

  afterAll(async () => {
    await connection.close();
    await broker.close();
  });

  beforeEach(async () => {
    await broker.reset();
    channel = await connection.createChannel();
  });

  afterEach(async () => {
    await channel.close().catch(() => undefined);
  });

  it('waits for a queue to exist when given no condition', async () => {
    const appeared = broker.waitForQueue('late');
    await channel.assertQueue('late');

    await expect(appeared).resolves.toEqual({ name: 'late', messages: 0, unacked: 0, consumers: 0 });
  });

  it('waits for exactly N ready messages', async () => {
    await channel.assertQueue('jobs');
    const three = broker.waitForQueue('jobs', { messages: 3 });
    for (const n of [1, 2, 3]) channel.sendToQueue('jobs', Buffer.from(`job ${n}`));

    await expect(three).resolves.toMatchObject({ messages: 3, consumers: 0 });
  });

  it('waits for N consumers', async () => {
    await channel.assertQueue('workers');
    const two = broker.waitForQueue('workers', { consumers: 2 });
    await channel.consume('workers', () => undefined);
    await channel.consume('workers', () => undefined);

    await expect(two).resolves.toMatchObject({ consumers: 2 });
  });

  it('waits for unacked deliveries, then for the queue to be empty once they are acked', async () => {
    await channel.assertQueue('acks');
    await channel.prefetch(10);
    const held: amqplib.ConsumeMessage[] = [];
    await channel.consume('acks', (message) => held.push(message!));
    for (let i = 0; i < 4; i++) channel.sendToQueue('acks', Buffer.from(String(i)));

    await expect(broker.waitForQueue('acks', { unacked: 4, messages: 0 })).resolves.toMatchObject({ unacked: 4 });
    const empty = broker.waitForQueue('acks', { empty: true });
    for (const message of held) channel.ack(message);

    await expect(empty).resolves.toEqual({ name: 'acks', messages: 0, unacked: 0, consumers: 1 });
  });

  it('treats a queue with unacked deliveries as not empty', async () => {
    await channel.assertQueue('pending');
    await channel.consume('pending', () => undefined);
    channel.sendToQueue('pending', Buffer.from('never acked'));
    await broker.waitForQueue('pending', { unacked: 1 });

    await expect(broker.waitForQueue('pending', { empty: true, timeoutMs: 100 })).rejects.toThrow(
      "testing: timed out after 100 ms waiting for queue 'pending' in vhost '/' to be empty (0 ready, 0 unacked); it has 0 ready messages, 1 unacked, 1 consumer",
    );
  });

  it('times out naming the queue, every awaited condition and the current counts', async () => {
    await channel.assertQueue('jobs');
    channel.sendToQueue('jobs', Buffer.from('only one'));
    await broker.waitForQueue('jobs', { messages: 1 });

    await expect(broker.waitForQueue('jobs', { messages: 3, consumers: 1, timeoutMs: 50 })).rejects.toThrow(
      "testing: timed out after 50 ms waiting for queue 'jobs' in vhost '/' to have 3 ready messages and 1 consumer; it has 1 ready message, 0 unacked, 0 consumers",
    );
  });

  it('times out saying so when the queue does not exist', async () => {
    await expect(broker.waitForQueue('missing', { timeoutMs: 20 })).rejects.toThrow(
      "testing: timed out after 20 ms waiting for queue 'missing' in vhost '/' to exist; it does not exist",
    );
  });

  it('resolves at once when the condition already holds', async () => {
    await channel.assertQueue('ready');

    await expect(broker.waitForQueue('ready', { empty: true, messages: 0, consumers: 0, timeoutMs: 0 })).resolves.toMatchObject({
      name: 'ready',
    });
  });
});
