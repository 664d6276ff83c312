import { ReplyCode } from '@app/codec';
import { openMemoryStorage } from '@app/storage/memory';
import type { OpenedStorage } from '@app/storage';
import { ChannelError, ConnectionError } from '../amqp-error.js';
import { BrokerStorage } from '../persistence/broker-storage.js';
import { scratchCopyOf } from './scratch-copy.js';
import { BROKER_ACTOR, type TopologyActor, type TopologyCommand } from './topology-command.js';
import { VirtualHost } from './virtual-host.js';

const DURABLE_QUEUE = { durable: true, exclusive: false, autoDelete: false, arguments: {} };
const TRANSIENT_QUEUE = { durable: false, exclusive: false, autoDelete: false, arguments: {} };
const TOPIC = { type: 'topic', durable: true, autoDelete: false, internal: false, arguments: {} };

describe('VirtualHost.execute: the one path for topology changes', () => {
  let opened: OpenedStorage;
  let vhost: VirtualHost;
  const actor: TopologyActor = { owner: {} };

  beforeEach(async () => {
    opened = await openMemoryStorage();
    vhost = new VirtualHost('/');
    vhost.attachStorage(new BrokerStorage(opened.messages, opened.metadata));
  });

  afterEach(async () => {
    vhost.dispose();
    await opened.close();
  });

  it('returns the storage write of a durable change and none for a transient one', async () => {
    const durable = vhost.execute({ kind: 'queue.declare', queue: 'orders', options: DURABLE_QUEUE }, actor);
    expect(durable.result.created).toBe(true);
    expect(durable.written).toBeInstanceOf(Promise);
    await durable.written;
    expect((await opened.metadata.load()).filter((record) => record.kind === 'queue')).toHaveLength(1);

    const transient = vhost.execute({ kind: 'queue.declare', queue: 'scratch', options: TRANSIENT_QUEUE }, actor);
    expect(transient.written).toBeUndefined();
  });

  it('collects every durable change a command causes: deleting a queue removes its bindings too', async () => {
    await vhost.execute({ kind: 'exchange.declare', exchange: 'events', options: TOPIC }, actor).written;
    await vhost.execute({ kind: 'queue.declare', queue: 'orders', options: DURABLE_QUEUE }, actor).written;
    await vhost.execute({ kind: 'queue.bind', queue: 'orders', exchange: 'events', routingKey: 'order.*', arguments: {} }, actor).written;
    expect((await opened.metadata.load()).filter((record) => record.kind === 'binding')).toHaveLength(1);

    const deleted = vhost.execute({ kind: 'queue.delete', queue: 'orders', ifUnused: false, ifEmpty: false }, actor);
    await deleted.written;
    const kinds = (await opened.metadata.load()).map((record) => record.kind);
    expect(kinds).not.toContain('binding');
    expect(kinds).not.toContain('queue');
  });

  it('asks the permission hook after the request checks and before any change', () => {
    const seen: TopologyCommand[] = [];
    const refusing: TopologyActor = {
      owner: {},
      authorize(command) {
        seen.push(command);
        throw new ChannelError(ReplyCode.ACCESS_REFUSED, 'ACCESS_REFUSED - refused by the test');
      },
    };
    expect(() => vhost.execute({ kind: 'queue.declare', queue: 'orders', options: DURABLE_QUEUE }, refusing)).toThrow(
      'ACCESS_REFUSED - refused by the test',
    );
    expect(vhost.getQueue('orders')).toBeUndefined();
    expect(seen).toHaveLength(1);

    // A request that fails its own checks never reaches the hook: an unknown exchange type is a hard 503 first.
    expect(() => vhost.execute({ kind: 'exchange.declare', exchange: 'x', options: { ...TOPIC, type: 'no-such-type' } }, refusing)).toThrow(
      ConnectionError,
    );
    expect(seen).toHaveLength(1);
  });

  it('maps routing errors to AMQP errors with RabbitMQ texts', () => {
    expect(() => vhost.execute({ kind: 'exchange.delete', exchange: 'amq.direct', ifUnused: false }, actor)).toThrow(
      expect.objectContaining({ replyCode: ReplyCode.ACCESS_REFUSED }),
    );
    expect(() =>
      vhost.execute({ kind: 'queue.bind', queue: 'missing', exchange: 'amq.topic', routingKey: '', arguments: {} }, actor),
    ).toThrow("NOT_FOUND - no queue 'missing' in vhost '/'");
  });

  it('lets the broker actor delete a queue another connection holds exclusively', () => {
    const connection: TopologyActor = { owner: {} };
    vhost.execute({ kind: 'queue.declare', queue: 'mine', options: { ...TRANSIENT_QUEUE, exclusive: true } }, connection);
    expect(() => vhost.execute({ kind: 'queue.delete', queue: 'mine', ifUnused: false, ifEmpty: false }, actor)).toThrow(
      expect.objectContaining({ replyCode: ReplyCode.RESOURCE_LOCKED }),
    );
    vhost.execute({ kind: 'queue.delete', queue: 'mine', ifUnused: false, ifEmpty: false }, BROKER_ACTOR);
    expect(vhost.getQueue('mine')).toBeUndefined();
  });
});

describe('scratchCopyOf: validating a batch before changing anything', () => {
  it('applies the same checks and limits as the real vhost, and leaves the real one alone', () => {
    const vhost = new VirtualHost('/');
    const actor: TopologyActor = { owner: {} };
    vhost.maxQueues = 2;
    vhost.execute({ kind: 'exchange.declare', exchange: 'events', options: TOPIC }, actor);
    vhost.execute({ kind: 'queue.declare', queue: 'a', options: TRANSIENT_QUEUE }, actor);
    vhost.execute({ kind: 'queue.bind', queue: 'a', exchange: 'events', routingKey: '#', arguments: {} }, actor);

    const copy = scratchCopyOf(vhost);
    try {
      expect(copy.topology.bindingsOfQueue(copy.getQueue('a')!)).toHaveLength(1);
      copy.execute({ kind: 'queue.declare', queue: 'b', options: TRANSIENT_QUEUE }, actor);
      expect(() => copy.execute({ kind: 'queue.declare', queue: 'c', options: TRANSIENT_QUEUE }, actor)).toThrow(
        "queue limit in vhost '/' (2) is reached",
      );
      expect(() => copy.execute({ kind: 'exchange.declare', exchange: 'events', options: { ...TOPIC, type: 'fanout' } }, actor)).toThrow(
        "inequivalent arg 'type'",
      );
      expect(vhost.getQueue('b')).toBeUndefined();
    } finally {
      copy.dispose();
      vhost.dispose();
    }
  });
});

describe('queue.delete of a queue shared across nodes', () => {
  it('is judged on the counts across nodes it is given, and answers with their backlog', async () => {
    const opened = await openMemoryStorage();
    const vhost = new VirtualHost('/');
    vhost.attachStorage(new BrokerStorage(opened.messages, opened.metadata));
    const actor: TopologyActor = { owner: {} };
    try {
      vhost.execute({ kind: 'queue.declare', queue: 'shared', options: DURABLE_QUEUE }, actor);
      // No consumer or message here, but another node's: refused as RabbitMQ refuses its one queue.
      const command = (ifUnused: boolean, ifEmpty: boolean, consumers: number, messages: number) =>
        ({ kind: 'queue.delete', queue: 'shared', ifUnused, ifEmpty, acrossNodes: { consumers, messages } }) as const;
      expect(() => vhost.execute(command(true, false, 1, 0), actor)).toThrow(/PRECONDITION_FAILED - queue 'shared' in vhost '\/' in use/);
      expect(() => vhost.execute(command(false, true, 0, 4), actor)).toThrow(
        /PRECONDITION_FAILED - queue 'shared' in vhost '\/' not empty/,
      );
      expect(vhost.getQueue('shared')).toBeDefined();
      expect(vhost.execute(command(true, false, 0, 4), actor).result.messageCount).toBe(4);
      expect(vhost.getQueue('shared')).toBeUndefined();
    } finally {
      vhost.dispose();
      await opened.close();
    }
  });
});
