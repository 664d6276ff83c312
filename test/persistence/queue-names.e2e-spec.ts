import amqplib from 'amqplib';
import { BROKER_ACTOR, ChannelError, Message } from '@app/broker-core';
import { startTestBroker } from '@app/testing';
import { useRestartableBroker } from '../support/restartable-broker.js';

// Hardening item 5: a queue's name must map to exactly one storage key, or its messages are lost at restart.
describe('queue names across a restart (LevelDB)', () => {
  const restart = useRestartableBroker('warren-names-', (dataDir) => startTestBroker({ dataDir }));

  const emoji = 'orders-🐇-ünïcode';
  // 85 × 3 bytes: exactly the 255 bytes a shortstr holds.
  const longest = '€'.repeat(85);

  it('keeps durable queues named with 4-byte UTF-8 and with 255 bytes, with their messages', async () => {
    expect(Buffer.byteLength(longest)).toBe(255);
    let connection = await amqplib.connect((await restart()).url);
    let channel = await connection.createConfirmChannel();
    for (const name of [emoji, longest]) {
      await channel.assertQueue(name, { durable: true });
      for (let i = 0; i < 3; i++) channel.sendToQueue(name, Buffer.from(`${name.length}:${i}`), { persistent: true });
    }
    await channel.waitForConfirms();
    await connection.close();

    connection = await amqplib.connect((await restart()).url);
    channel = await connection.createConfirmChannel();
    for (const name of [emoji, longest]) {
      expect((await channel.checkQueue(name)).messageCount).toBe(3);
      const message = await channel.get(name, { noAck: true });
      expect(message && message.content.toString()).toBe(`${name.length}:0`);
    }
    await connection.close();
  });

  it('refuses a name with a lone surrogate or over 255 bytes on the command path (406), storing nothing', async () => {
    const { vhost } = await restart();
    const options = { durable: true, exclusive: false, autoDelete: false, arguments: {} };
    for (const name of ['\ud800', 'a\udc00b', 'x'.repeat(256)]) {
      const declare = () => vhost.execute({ kind: 'queue.declare', queue: name, options }, BROKER_ACTOR);
      expect(declare).toThrow(ChannelError);
      expect(declare).toThrow(/^PRECONDITION_FAILED - queue '.*' is (not valid UTF-8|longer than 255 bytes)/);
      expect(vhost.getQueue(name)).toBeUndefined();
    }
    const exchange = { type: 'direct', durable: true, autoDelete: false, internal: false, arguments: {} };
    expect(() => vhost.execute({ kind: 'exchange.declare', exchange: 'e\ud800', options: exchange }, BROKER_ACTOR)).toThrow(
      /^PRECONDITION_FAILED - exchange 'e\\ud800' is not valid UTF-8/,
    );
    await vhost.execute({ kind: 'queue.declare', queue: 'q', options }, BROKER_ACTOR).written;
    expect(() =>
      vhost.execute({ kind: 'queue.bind', queue: 'q', exchange: 'amq.direct', routingKey: '\udfff', arguments: {} }, BROKER_ACTOR),
    ).toThrow(/^PRECONDITION_FAILED - routing key/);
  });

  it('a durable queue stored under a lone-surrogate name before the check still finds its messages', async () => {
    // Such a queue could be created before names were checked: make one the way that code did (no check).
    const legacy = 'legacy-\ud800';
    let { vhost } = await restart();
    vhost.createQueue(legacy, { durable: true, exclusive: false, autoDelete: false, arguments: {} }, vhost);
    const message = Message.withProperties('', legacy, { deliveryMode: 2 }, Buffer.from('kept'));
    await vhost.publish(vhost.topology.getExchange('')!, legacy, message);
    expect(vhost.getQueue(legacy)!.messageCount).toBe(1);

    ({ vhost } = await restart());
    expect(vhost.getQueue(legacy)?.messageCount).toBe(1);
  });
});
