import { jest } from '@jest/globals';
import type { BasicProperties, FieldTable } from '@app/codec';
import { openMemoryStorage } from '@app/storage/memory';
import type { OpenedStorage } from '@app/storage';
import { BrokerStorage } from '../persistence/broker-storage.js';
import { Message } from '../queue/message.js';
import type { Queue, QueueOptions } from '../queue/queue.js';
import type { TopologyActor } from './topology-command.js';
import { PublishOutcome, VirtualHost } from './virtual-host.js';

// Topology goes through these helpers only, so a change of the vhost's topology API touches this block alone.
const ACTOR: TopologyActor = { owner: {} };
/** Storage writes of the helpers' commands, awaited by {@link written}. */
let pendingWrites: Promise<void>[] = [];

function declareQueue(vhost: VirtualHost, name: string, options: Partial<QueueOptions> = {}): Queue {
  const full: QueueOptions = { durable: false, exclusive: false, autoDelete: false, arguments: {}, ...options };
  const { result, written } = vhost.execute({ kind: 'queue.declare', queue: name, options: full }, ACTOR);
  if (written) pendingWrites.push(written);
  return result.queue;
}

function declareExchange(vhost: VirtualHost, name: string, type: string): void {
  const options = { type, durable: false, autoDelete: false, internal: false, arguments: {} };
  vhost.execute({ kind: 'exchange.declare', exchange: name, options }, ACTOR);
}

function bind(vhost: VirtualHost, queue: string, exchange: string, routingKey: string): void {
  const { written } = vhost.execute({ kind: 'queue.bind', queue, exchange, routingKey, arguments: {} }, ACTOR);
  if (written) pendingWrites.push(written);
}

/** Waits for the storage writes of the topology declared so far. */
async function written(): Promise<void> {
  const writes = pendingWrites;
  pendingWrites = [];
  await Promise.all(writes);
}

// ---------------------------------------------------------------------------------------------------------------

function publish(vhost: VirtualHost, exchange: string, routingKey: string, properties: BasicProperties = {}, body = 'hello') {
  return vhost.publish(
    vhost.topology.getExchange(exchange)!,
    routingKey,
    Message.withProperties(exchange, routingKey, properties, Buffer.from(body)),
  );
}

function bodies(queue: Queue): string[] {
  return [...queue.readyEntries()].map((entry) => entry.message.body.toString());
}

function headersOf(queue: Queue): FieldTable[] {
  return [...queue.readyEntries()].map((entry) => entry.message.properties.headers ?? {});
}

describe('VirtualHost without storage', () => {
  let vhost: VirtualHost;

  beforeEach(() => {
    vhost = new VirtualHost('/');
  });

  afterEach(() => {
    vhost.dispose();
    jest.useRealTimers();
  });

  describe('routing', () => {
    it('routes through the default exchange by queue name', () => {
      declareQueue(vhost, 'tasks');
      expect(publish(vhost, '', 'tasks')).toBe(PublishOutcome.Routed);
      expect(bodies(vhost.getQueue('tasks')!)).toEqual(['hello']);
    });

    it.each([
      { type: 'direct', bindings: { a: 'orders', b: 'refunds' }, routingKey: 'orders', reached: ['a'] },
      { type: 'fanout', bindings: { a: 'ignored', b: '' }, routingKey: 'anything', reached: ['a', 'b'] },
      { type: 'topic', bindings: { a: 'eu.*', b: 'eu.#' }, routingKey: 'eu.paid.late', reached: ['b'] },
      { type: 'topic', bindings: { a: 'eu.*', b: '#.paid' }, routingKey: 'eu.paid', reached: ['a', 'b'] },
    ])('$type exchange with routing key "$routingKey" reaches $reached', ({ type, bindings, routingKey, reached }) => {
      declareExchange(vhost, 'x', type);
      for (const [queue, bindingKey] of Object.entries(bindings)) {
        declareQueue(vhost, queue);
        bind(vhost, queue, 'x', bindingKey);
      }

      expect(publish(vhost, 'x', routingKey)).toBe(PublishOutcome.Routed);

      const counts = Object.keys(bindings).filter((queue) => vhost.getQueue(queue)!.messageCount === 1);
      expect(counts).toEqual(reached);
    });

    it('reports a message no binding matches as unroutable and enqueues it nowhere', () => {
      declareExchange(vhost, 'x', 'direct');
      declareQueue(vhost, 'a');
      bind(vhost, 'a', 'x', 'known');
      expect(publish(vhost, 'x', 'unknown')).toBe(PublishOutcome.Unroutable);
      expect(vhost.getQueue('a')!.messageCount).toBe(0);
    });

    it('adds the CC and BCC routing keys, delivers one copy per queue, and strips BCC only', () => {
      declareExchange(vhost, 'x', 'direct');
      for (const queue of ['main', 'cc', 'bcc']) {
        declareQueue(vhost, queue);
        bind(vhost, queue, 'x', queue);
      }

      publish(vhost, 'x', 'main', { headers: { CC: ['cc', 'main'], BCC: ['bcc'] } });

      for (const queue of ['main', 'cc', 'bcc']) {
        expect(headersOf(vhost.getQueue(queue)!)).toEqual([{ CC: ['cc', 'main'] }]);
      }
    });

    it('rejects the publish when a queue refuses it (x-overflow reject-publish), while other queues keep it', () => {
      declareExchange(vhost, 'x', 'fanout');
      declareQueue(vhost, 'full', { arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
      declareQueue(vhost, 'open');
      bind(vhost, 'full', 'x', '');
      bind(vhost, 'open', 'x', '');

      expect(publish(vhost, 'x', '')).toBe(PublishOutcome.Rejected);
      expect(vhost.getQueue('open')!.messageCount).toBe(1);
    });
  });

  describe('dead-lettering', () => {
    function withDeadLetterQueue(args: FieldTable): Queue {
      declareExchange(vhost, 'dlx', 'fanout');
      declareQueue(vhost, 'dead');
      bind(vhost, 'dead', 'dlx', '');
      return declareQueue(vhost, 'work', { arguments: { 'x-dead-letter-exchange': 'dlx', ...args } });
    }

    it('routes a rejected delivery to the dead-letter exchange with an x-death entry', () => {
      const work = withDeadLetterQueue({});
      publish(vhost, '', 'work', {}, 'bad');

      work.rejected(work.take(true)!);

      const dead = vhost.getQueue('dead')!;
      expect(bodies(dead)).toEqual(['bad']);
      const [headers] = headersOf(dead);
      expect(headers).toMatchObject({ 'x-first-death-reason': 'rejected', 'x-first-death-queue': 'work', 'x-first-death-exchange': '' });
      expect(headers['x-death']).toEqual([expect.objectContaining({ reason: 'rejected', queue: 'work', 'routing-keys': ['work'] })]);
    });

    it('routes an expired message to the dead-letter exchange, without its expiration', () => {
      jest.useFakeTimers();
      withDeadLetterQueue({ 'x-dead-letter-routing-key': 'expired' });
      publish(vhost, '', 'work', { expiration: '100' }, 'late');

      jest.advanceTimersByTime(101);

      const [entry] = [...vhost.getQueue('dead')!.readyEntries()];
      expect(entry.message.body.toString()).toBe('late');
      expect(entry.message.routingKey).toBe('expired');
      expect(entry.message.properties.expiration).toBeUndefined();
      expect(entry.message.properties.headers?.['x-death']).toEqual([
        expect.objectContaining({ reason: 'expired', 'original-expiration': '100' }),
      ]);
    });

    it('drops a dead letter whose exchange does not exist', () => {
      const work = declareQueue(vhost, 'work', { arguments: { 'x-dead-letter-exchange': 'missing' } });
      publish(vhost, '', 'work');
      work.rejected(work.take(true)!);
      expect(work.messageCount).toBe(0);
    });
  });

  describe('queue expiry', () => {
    it('deletes a queue unused for x-expires ms', () => {
      jest.useFakeTimers();
      declareQueue(vhost, 'idle', { arguments: { 'x-expires': 1000 } });
      jest.advanceTimersByTime(1000);
      expect(vhost.getQueue('idle')).toBeUndefined();
    });
  });
});

describe('VirtualHost with an in-memory store', () => {
  let vhost: VirtualHost;
  let opened: OpenedStorage;
  let isFailing: boolean;

  beforeEach(async () => {
    isFailing = false;
    opened = await openMemoryStorage({ writeFault: () => (isFailing ? new Error('disk full') : undefined) });
    vhost = new VirtualHost('/');
    vhost.attachStorage(new BrokerStorage(opened.messages, opened.metadata));
  });

  afterEach(async () => {
    vhost.dispose();
    await opened.close();
  });

  it('returns the store’s write for a persistent message on a durable queue and stores it', async () => {
    const queue = declareQueue(vhost, 'ledger', { durable: true });
    await written();

    const outcome = publish(vhost, '', 'ledger', { deliveryMode: 2 }, 'entry');

    expect(outcome).toBeInstanceOf(Promise);
    await outcome;
    expect(bodies(queue)).toEqual(['entry']);
    expect(await opened.messages.queueInfo(queue.storageId)).toMatchObject({ nextSeq: 2 });
  });

  it.each([
    { case: 'a transient message on a durable queue', durable: true, deliveryMode: 1 },
    { case: 'a persistent message on a non-durable queue', durable: false, deliveryMode: 2 },
  ])('does not wait for the store for $case', ({ durable, deliveryMode }) => {
    declareQueue(vhost, 'q', { durable });
    expect(publish(vhost, '', 'q', { deliveryMode })).toBe(PublishOutcome.Routed);
  });

  it('withdraws a persistent message from its queues when the store refuses it, and the publish rejects', async () => {
    declareExchange(vhost, 'x', 'fanout');
    const durable = declareQueue(vhost, 'durable', { durable: true });
    const transient = declareQueue(vhost, 'transient');
    bind(vhost, 'durable', 'x', '');
    bind(vhost, 'transient', 'x', '');
    await written();
    await publish(vhost, 'x', '', { deliveryMode: 2 }, 'kept');
    isFailing = true;

    const outcome = publish(vhost, 'x', '', { deliveryMode: 2 }, 'refused');

    await expect(outcome).rejects.toThrow('disk full');
    expect(bodies(durable)).toEqual(['kept']);
    // The non-durable queue's copy never depended on the store.
    expect(bodies(transient)).toEqual(['kept', 'refused']);
  });
});
