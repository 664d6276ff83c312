import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AMQPClient } from '@cloudamqp/amqp-client';
import amqplib, { type ChannelModel } from 'amqplib';
import { FULL_PERMISSIONS } from '@app/broker-core';
import { startTestBroker, type TestBroker } from '@app/testing';

/** Resolves with the error amqplib reports when the broker closes the connection (320 is a 'close', not an 'error'). */
function forcedClose(connection: ChannelModel): Promise<{ code: number; message: string }> {
  return new Promise((resolve) => connection.on('close', (error: { code: number; message: string }) => resolve(error)));
}

const forcedText = (text: string): string => `Connection closed: 320 (CONNECTION-FORCED) with message "CONNECTION_FORCED - ${text}"`;

// Users, vhosts and permissions change while clients are connected, and survive a restart (persistent broker).
describe('users and vhosts', () => {
  let dataDir: string;
  let broker: TestBroker | undefined;
  const url = (user: string, password: string, vhost = '/'): string =>
    `amqp://${user}:${password}@127.0.0.1:${broker!.port}/${encodeURIComponent(vhost)}`;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'warren-access-'));
  });

  afterAll(async () => {
    await broker?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('closes a user’s connections with 320 when its password changes or it is deleted', async () => {
    broker = await startTestBroker({ dataDir });
    await broker.core.users.createUser('bob', { password: 'one' });
    await broker.core.permissions.set('bob', '/', FULL_PERMISSIONS);
    const first = await amqplib.connect(url('bob', 'one'));
    const guest = await amqplib.connect(broker.url);
    const firstClosed = forcedClose(first);
    await broker.core.users.updateUser('bob', { password: 'two' });
    expect(await firstClosed).toMatchObject({ code: 320, message: forcedText("user 'bob' password changed") });
    await expect(amqplib.connect(url('bob', 'one'))).rejects.toThrow(/ACCESS.REFUSED/);
    const second = await amqplib.connect(url('bob', 'two'));
    const secondClosed = forcedClose(second);
    await broker.core.users.deleteUser('bob');
    expect(await secondClosed).toMatchObject({ code: 320, message: forcedText("user 'bob' was deleted") });
    // Other users' connections are untouched.
    await (await guest.createChannel()).close();
    await guest.close();
    expect(broker.core.permissions.list({ user: 'bob' })).toEqual([]);
    await broker.close();
    broker = undefined;
  });

  it('keeps two vhosts’ queues apart; deleting one closes its connections and drops its stored messages', async () => {
    broker = await startTestBroker({ dataDir });
    for (const name of ['v1', 'v2']) {
      await broker.core.createVhost(name);
      await broker.core.permissions.set('guest', name, FULL_PERMISSIONS);
    }
    await expect(broker.core.createVhost('v1')).rejects.toThrow("'v1' already exists");
    const connections = new Map<string, ChannelModel>();
    for (const name of ['v1', 'v2']) {
      const connection = await amqplib.connect(url('guest', 'guest', name));
      connections.set(name, connection);
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue('same', { durable: true });
      channel.sendToQueue('same', Buffer.from(`from ${name}`), { persistent: true });
      channel.sendToQueue('same', Buffer.from(`again ${name}`), { persistent: true });
      await channel.waitForConfirms();
      const first = await channel.get('same', { noAck: false });
      expect(first && first.content.toString()).toBe(`from ${name}`);
      channel.nack(first as amqplib.Message, false, true);
      await channel.close();
    }
    expect(broker.core.getVhost('v1')!.getQueue('same')).not.toBe(broker.core.getVhost('v2')!.getQueue('same'));
    const v1Closed = forcedClose(connections.get('v1')!);
    expect(await broker.core.deleteVhost('v1')).toBe(true);
    expect(await v1Closed).toMatchObject({ code: 320, message: forcedText("vhost 'v1' is deleted") });
    await (await connections.get('v2')!.createChannel()).close();
    await connections.get('v2')!.close();
    await broker.close();

    broker = await startTestBroker({ dataDir });
    expect(broker.core.getVhost('v1')).toBeUndefined();
    await expect(new AMQPClient(url('guest', 'guest', 'v1')).connect()).rejects.toThrow('NOT_ALLOWED - vhost v1 not found (530)');
    expect(broker.core.getVhost('v2')!.getQueue('same')!.messageCount).toBe(2);
    const messages = await broker.broker.core.storage!.messages.queueIds();
    expect(messages.some((id) => id.startsWith('v1/'))).toBe(false);
    // A vhost of the same name starts empty.
    await broker.core.createVhost('v1');
    expect(broker.core.getVhost('v1')!.getQueue('same')).toBeUndefined();
    await broker.close();
    broker = undefined;
  });

  it('keeps users (hash and tags), permissions and topic permissions across a restart', async () => {
    broker = await startTestBroker({ dataDir });
    await broker.core.users.createUser('carol', { password: 'c-pass', tags: ['monitoring', 'impersonator'] });
    await broker.core.permissions.set('carol', 'v2', { configure: '^carol\\.', write: '.*', read: '.*' });
    await broker.core.permissions.setTopic('carol', 'v2', 'amq.topic', { write: '^a', read: '' });
    await broker.close();

    broker = await startTestBroker({ dataDir });
    expect(broker.core.users.getUser('carol')?.tags).toEqual(['monitoring', 'impersonator']);
    expect(broker.core.permissions.get('carol', 'v2')).toEqual({
      user: 'carol',
      vhost: 'v2',
      configure: '^carol\\.',
      write: '.*',
      read: '.*',
    });
    expect(broker.core.permissions.getTopic('carol', 'v2', 'amq.topic')).toMatchObject({ write: '^a', read: '' });
    // The default user is created on the first start only: guest is the stored one, with its permissions.
    expect(
      broker.core.users
        .list()
        .map((user) => user.name)
        .sort(),
    ).toEqual(['carol', 'guest']);
    const carol = await amqplib.connect(url('carol', 'c-pass', 'v2'));
    const channel = await carol.createChannel();
    await channel.assertQueue('carol.q', { durable: false });
    await carol.close();
  });
});
