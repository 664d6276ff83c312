import type amqplib from 'amqplib';
import { useBrokerPerFile } from '../support/broker-per-file.js';

/** waitForQueue: each condition alone and combined, the snapshot it resolves with, and its timeout errors. */
describe('TestBroker.waitForQueue', () => {
  const env = useBrokerPerFile();

  it('waits for a queue to exist when given no condition', async () => {
    const appeared = env.broker.waitForQueue('late');
    await env.channel.assertQueue('late');

    await expect(appeared).resolves.toEqual({ name: 'late', messages: 0, unacked: 0, consumers: 0 });
  });

  it('waits for exactly N ready messages', async () => {
    await env.channel.assertQueue('jobs');
    const three = env.broker.waitForQueue('jobs', { messages: 3 });
    for (const n of [1, 2, 3]) env.channel.sendToQueue('jobs', Buffer.from(`job ${n}`));

    await expect(three).resolves.toMatchObject({ messages: 3, consumers: 0 });
  });

  it('waits for N consumers', async () => {
    await env.channel.assertQueue('workers');
    const two = env.broker.waitForQueue('workers', { consumers: 2 });
    await env.channel.consume('workers', () => undefined);
    await env.channel.consume('workers', () => undefined);

    await expect(two).resolves.toMatchObject({ consumers: 2 });
  });

  it('waits for unacked deliveries, then for the queue to be empty once they are acked', async () => {
    await env.channel.assertQueue('acks');
    await env.channel.prefetch(10);
    const held: amqplib.ConsumeMessage[] = [];
    await env.channel.consume('acks', (message) => held.push(message!));
    for (let i = 0; i < 4; i++) env.channel.sendToQueue('acks', Buffer.from(String(i)));

    await expect(env.broker.waitForQueue('acks', { unacked: 4, messages: 0 })).resolves.toMatchObject({ unacked: 4 });
    const empty = env.broker.waitForQueue('acks', { empty: true });
    for (const message of held) env.channel.ack(message);

    await expect(empty).resolves.toEqual({ name: 'acks', messages: 0, unacked: 0, consumers: 1 });
  });

  it('treats a queue with unacked deliveries as not empty', async () => {
    await env.channel.assertQueue('pending');
    await env.channel.consume('pending', () => undefined);
    env.channel.sendToQueue('pending', Buffer.from('never acked'));
    await env.broker.waitForQueue('pending', { unacked: 1 });

    await expect(env.broker.waitForQueue('pending', { empty: true, timeoutMs: 100 })).rejects.toThrow(
      "testing: timed out after 100 ms waiting for queue 'pending' in vhost '/' to be empty (0 ready, 0 unacked); it has 0 ready messages, 1 unacked, 1 consumer",
    );
  });

  it('times out naming the queue, every awaited condition and the current counts', async () => {
    await env.channel.assertQueue('jobs');
    env.channel.sendToQueue('jobs', Buffer.from('only one'));
    await env.broker.waitForQueue('jobs', { messages: 1 });

    await expect(env.broker.waitForQueue('jobs', { messages: 3, consumers: 1, timeoutMs: 50 })).rejects.toThrow(
      "testing: timed out after 50 ms waiting for queue 'jobs' in vhost '/' to have 3 ready messages and 1 consumer; it has 1 ready message, 0 unacked, 0 consumers",
    );
  });

  it('times out saying so when the queue does not exist', async () => {
    await expect(env.broker.waitForQueue('missing', { timeoutMs: 20 })).rejects.toThrow(
      "testing: timed out after 20 ms waiting for queue 'missing' in vhost '/' to exist; it does not exist",
    );
  });

  it('resolves at once when the condition already holds', async () => {
    await env.channel.assertQueue('ready');

    await expect(env.broker.waitForQueue('ready', { empty: true, messages: 0, consumers: 0, timeoutMs: 0 })).resolves.toMatchObject({
      name: 'ready',
    });
  });
});
