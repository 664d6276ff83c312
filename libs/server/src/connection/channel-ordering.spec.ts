import type { BrokerCore } from '@app/broker-core';
import type { Channel } from './channel.js';
import { basicPublish, channelOpen, queueDeclare } from './testing/methods.js';
import { connectOverDuplex, coreWithGuest, openConnection, type DuplexHarness } from './testing/duplex-harness.js';

/** Lets stream callbacks, settled promises and the writer's once-per-turn flush run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A promise settled by hand: the asynchronous step a method waits for (a judgement across nodes, a claim). */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

/**
 * A channel whose method waits for an asynchronous step (channel.afterStep, as a shared queue's judged delete
 * does) acts on the methods after it only once that step has acted, in order, over a real AmqpConnection.
 */
describe('Channel: methods after an asynchronous step', () => {
  let core: BrokerCore;
  let harness: DuplexHarness;

  beforeAll(async () => {
    core = await coreWithGuest();
  });
  afterEach(() => harness?.dispose());

  /** An open connection with channel 1 open and queue `q` declared; returns the server's channel 1. */
  async function channelOne(): Promise<Channel> {
    harness = await connectOverDuplex({ core });
    await openConnection(harness.client);
    harness.client.sendMethod(1, channelOpen());
    await harness.client.nextMethod('channel.open-ok', 1);
    harness.client.sendMethod(1, queueDeclare('q'));
    await harness.client.nextMethod('queue.declare-ok', 1);
    return [...harness.connection.allChannels()][0]!;
  }

  /** The step's action: a delete of `q` with its reply, as the judged delete applies it. */
  function deleteQ(channel: Channel): void {
    const { messageCount } = channel.vhost.execute(
      { kind: 'queue.delete', queue: 'q', ifUnused: false, ifEmpty: false },
      channel.actor,
    ).result;
    channel.send({ name: 'queue.delete-ok', classId: 50, methodId: 41, messageCount });
  }

  it('holds a re-declare and a publish until the delete acted, then runs them in order', async () => {
    const channel = await channelOne();
    const step = deferred<void>();
    channel.afterStep(
      step.promise,
      () => deleteQ(channel),
      () => undefined,
    );
    const { client } = harness;
    client.sendMethod(1, queueDeclare('q'));
    client.sendMethod(1, basicPublish('q'));
    client.sendHeader(1, 3);
    client.sendBody(1, Buffer.from('new'));
    await settle();
    // Nothing after the pending method acted: no declare-ok, and the old queue got no message.
    expect(client.pending).toEqual([]);
    expect(channel.vhost.getQueue('q')!.messageCount).toBe(0);
    const oldQueue = channel.vhost.getQueue('q');

    step.resolve();
    expect(await client.nextMethod('queue.delete-ok', 1)).toMatchObject({ messageCount: 0 });
    expect(await client.nextMethod('queue.declare-ok', 1)).toMatchObject({ queue: 'q', messageCount: 0 });
    const queue = channel.vhost.getQueue('q')!;
    expect(queue).not.toBe(oldQueue);
    expect(queue.messageCount).toBe(1);
  });

  it('holds a channel.close behind the step: the delete applies and is answered before close-ok', async () => {
    const channel = await channelOne();
    const step = deferred<void>();
    channel.afterStep(
      step.promise,
      () => deleteQ(channel),
      () => undefined,
    );
    harness.client.sendMethod(1, {
      name: 'channel.close',
      classId: 20,
      methodId: 40,
      replyCode: 200,
      replyText: '',
      failingClassId: 0,
      failingMethodId: 0,
    });
    await settle();
    expect(harness.client.pending).toEqual([]);
    step.resolve();
    await harness.client.nextMethod('queue.delete-ok', 1);
    await harness.client.nextMethod('channel.close-ok', 1);
    expect(channel.vhost.getQueue('q')).toBeUndefined();
  });

  it('stops reading the socket while more than its bound is held, and resumes once replayed', async () => {
    const channel = await channelOne();
    const step = deferred<void>();
    channel.afterStep(
      step.promise,
      () => undefined,
      () => undefined,
    );
    const body = Buffer.alloc(64 * 1024, 1);
    // 24 publishes of 64 KiB: more than the 1 MiB a connection holds before it stops reading.
    for (let i = 0; i < 24; i++) {
      harness.client.sendMethod(1, basicPublish('q'));
      harness.client.sendHeader(1, body.length);
      harness.client.sendBody(1, body);
    }
    await settle();
    expect(harness.socket.isPaused()).toBe(true);
    expect(channel.vhost.getQueue('q')!.messageCount).toBe(0);
    step.resolve();
    await settle();
    expect(harness.socket.isPaused()).toBe(false);
    expect(channel.vhost.getQueue('q')!.messageCount).toBe(24);
  });
});
