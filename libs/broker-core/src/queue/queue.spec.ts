import { jest } from '@jest/globals';
import { decodeProperties, type BasicProperties, type FieldTable } from '@app/codec';
import type { QueueConsumer } from './consumer.js';
import { Message, type QueueEntry } from './message.js';
import { Queue, type DeadLetterReason, type QueueHooks } from './queue.js';

/** A consumer standing in for the channel layer: takes up to `prefetch` unacked deliveries and records them. */
class FakeConsumer implements QueueConsumer {
  readonly delivered: QueueEntry[] = [];
  readonly unacked = new Set<QueueEntry>();
  isCancelled = false;

  constructor(
    readonly tag: string,
    private readonly prefetch = Infinity,
    readonly noAck = false,
    readonly exclusive = false,
    readonly owner: object = {},
  ) {}

  canAccept(): boolean {
    return this.unacked.size < this.prefetch;
  }

  deliver(_queue: Queue, entry: QueueEntry): void {
    this.delivered.push(entry);
    if (!this.noAck) this.unacked.add(entry);
  }

  cancelledByServer(): void {
    this.isCancelled = true;
  }

  /** Settles a delivery the way the channel does on `basic.ack`, then lets the queue dispatch again. */
  ack(queue: Queue, entry: QueueEntry): void {
    this.unacked.delete(entry);
    queue.settled(entry);
    queue.dispatch();
  }

  get bodies(): string[] {
    return this.delivered.map((entry) => entry.message.body.toString());
  }
}

/** The virtual host's side of a queue: records dead letters and expiry instead of routing them. */
class RecordingHooks implements QueueHooks {
  readonly deadLetters: Array<{ body: string; reason: DeadLetterReason }> = [];
  readonly expiredQueues: Queue[] = [];

  deadLetter(_queue: Queue, message: Message, reason: DeadLetterReason): void {
    this.deadLetters.push({ body: message.body.toString(), reason });
  }

  expired(queue: Queue): void {
    this.expiredQueues.push(queue);
  }

  /** A timer's error would be logged by the vhost; a spec wants it to fail loudly. */
  reportError(task: string, error: unknown): void {
    throw new Error(`${task} failed: ${String(error)}`);
  }
}

function makeQueue(args: FieldTable = {}): { queue: Queue; hooks: RecordingHooks } {
  const queue = new Queue('q', '/', { durable: false, exclusive: false, autoDelete: false, arguments: args }, null);
  const hooks = new RecordingHooks();
  queue.hooks = hooks;
  return { queue, hooks };
}

function message(body: string, properties: BasicProperties = {}): Message {
  return Message.withProperties('', 'q', properties, Buffer.from(body));
}

function readyBodies(queue: Queue): string[] {
  return [...queue.readyEntries()].map((entry) => entry.message.body.toString());
}

afterEach(() => {
  jest.useRealTimers();
});

describe('Queue', () => {
  describe('length limits (x-overflow)', () => {
    const DLX = { 'x-dead-letter-exchange': 'dlx' };

    it.each<{ overflow: string; limit: FieldTable; accepted: boolean[]; ready: string[]; deadLetters: RecordingHooks['deadLetters'] }>([
      {
        overflow: 'drop-head',
        limit: { 'x-max-length': 2 },
        accepted: [true, true, true],
        ready: ['m2', 'm3'],
        deadLetters: [{ body: 'm1', reason: 'maxlen' }],
      },
      {
        overflow: 'reject-publish',
        limit: { 'x-max-length': 2 },
        accepted: [true, true, false],
        ready: ['m1', 'm2'],
        deadLetters: [],
      },
      {
        overflow: 'reject-publish-dlx',
        limit: { 'x-max-length': 2 },
        accepted: [true, true, false],
        ready: ['m1', 'm2'],
        deadLetters: [{ body: 'm3', reason: 'maxlen' }],
      },
      {
        overflow: 'drop-head',
        limit: { 'x-max-length-bytes': 4 },
        accepted: [true, true, true],
        ready: ['m2', 'm3'],
        deadLetters: [{ body: 'm1', reason: 'maxlen' }],
      },
      {
        overflow: 'reject-publish',
        limit: { 'x-max-length-bytes': 4 },
        accepted: [true, true, false],
        ready: ['m1', 'm2'],
        deadLetters: [],
      },
      {
        overflow: 'reject-publish-dlx',
        limit: { 'x-max-length-bytes': 5 },
        accepted: [true, true, false],
        ready: ['m1', 'm2'],
        deadLetters: [{ body: 'm3', reason: 'maxlen' }],
      },
    ])('$overflow with $limit: accepts $accepted, keeps $ready', ({ overflow, limit, accepted, ready, deadLetters }) => {
      const { queue, hooks } = makeQueue({ ...DLX, ...limit, 'x-overflow': overflow });

      const outcomes = ['m1', 'm2', 'm3'].map((body) => queue.enqueue(message(body)) !== undefined);

      expect(outcomes).toEqual(accepted);
      expect(readyBodies(queue)).toEqual(ready);
      expect(queue.messageCount).toBe(ready.length);
      expect(queue.messageBytes).toBe(ready.length * 2);
      expect(hooks.deadLetters).toEqual(deadLetters);
    });

    it('drop-head without a dead-letter exchange drops the head silently', () => {
      const { queue, hooks } = makeQueue({ 'x-max-length': 1 });
      queue.enqueue(message('old'));
      queue.enqueue(message('new'));
      expect(readyBodies(queue)).toEqual(['new']);
      expect(hooks.deadLetters).toEqual([]);
    });

    it('counts only ready messages: unacked deliveries leave room for new ones', () => {
      const { queue } = makeQueue({ 'x-max-length': 1, 'x-overflow': 'reject-publish' });
      queue.enqueue(message('m1'));
      expect(queue.take(true)).toBeDefined();
      expect(queue.enqueue(message('m2'))).toBeDefined();
      expect(queue.enqueue(message('m3'))).toBeUndefined();
    });
  });

  describe('priorities (x-max-priority)', () => {
    it('delivers the highest priority first, FIFO within a level, and caps priorities at the maximum', () => {
      const { queue } = makeQueue({ 'x-max-priority': 5 });
      const published: Array<[string, number | undefined]> = [
        ['low-1', 1],
        ['top-1', 5],
        ['mid', 3],
        ['none', undefined],
        ['over', 9],
        ['low-2', 1],
        ['top-2', 5],
      ];
      for (const [body, priority] of published) queue.enqueue(message(body, { priority }));

      const taken: string[] = [];
      for (let entry = queue.take(false); entry; entry = queue.take(false)) taken.push(entry.message.body.toString());

      expect(taken).toEqual(['top-1', 'over', 'top-2', 'mid', 'low-1', 'low-2', 'none']);
    });

    it('ignores priorities on a queue without x-max-priority', () => {
      const { queue } = makeQueue();
      queue.enqueue(message('first', { priority: 1 }));
      queue.enqueue(message('second', { priority: 9 }));
      expect(readyBodies(queue)).toEqual(['first', 'second']);
    });

    it('requeues within the message’s own priority level', () => {
      const { queue } = makeQueue({ 'x-max-priority': 2 });
      queue.enqueue(message('high', { priority: 2 }));
      queue.enqueue(message('low-1', { priority: 0 }));
      queue.enqueue(message('low-2', { priority: 0 }));
      const high = queue.take(true)!;
      const low1 = queue.take(true)!;
      queue.requeue([high, low1]);
      expect(readyBodies(queue)).toEqual(['high', 'low-1', 'low-2']);
    });
  });

  describe('requeue', () => {
    it('puts requeued messages back at their original positions, marked redelivered', () => {
      const { queue } = makeQueue();
      for (const body of ['m1', 'm2', 'm3', 'm4', 'm5']) queue.enqueue(message(body));
      const [m1, m2, m3] = [queue.take(true)!, queue.take(true)!, queue.take(true)!];
      queue.settled(m2);

      queue.requeue([m1, m3]);

      expect(readyBodies(queue)).toEqual(['m1', 'm3', 'm4', 'm5']);
      expect([...queue.readyEntries()].map((entry) => entry.redelivered)).toEqual([true, true, false, false]);
      expect(queue.unackedCount).toBe(0);
    });

    it('orders requeues that arrive separately by their original position', () => {
      const { queue } = makeQueue();
      for (const body of ['m1', 'm2', 'm3']) queue.enqueue(message(body));
      const [m1, m2] = [queue.take(true)!, queue.take(true)!];

      queue.requeue([m2]);
      queue.requeue([m1]);

      expect(readyBodies(queue)).toEqual(['m1', 'm2', 'm3']);
    });

    it('redelivers requeued messages to the next consumer with capacity before newer ones', () => {
      const { queue } = makeQueue();
      const first = new FakeConsumer('first', 2);
      queue.addConsumer(first);
      for (const body of ['m1', 'm2', 'm3']) queue.enqueue(message(body));
      expect(first.bodies).toEqual(['m1', 'm2']);

      queue.removeConsumer(first);
      queue.requeue([...first.unacked]);
      const second = new FakeConsumer('second');
      queue.addConsumer(second);

      expect(second.bodies).toEqual(['m1', 'm2', 'm3']);
      expect(second.delivered.map((entry) => entry.redelivered)).toEqual([true, true, false]);
    });

    it('drops requeues for a deleted queue', () => {
      const { queue } = makeQueue();
      queue.enqueue(message('m1'));
      const entry = queue.take(true)!;
      queue.markDeleted();
      queue.requeue([entry]);
      expect(queue.messageCount).toBe(0);
    });
  });

  describe('consumers', () => {
    it('serves consumers round-robin within their prefetch, and resumes after an ack', () => {
      const { queue } = makeQueue();
      const a = new FakeConsumer('a', 1);
      const b = new FakeConsumer('b', 1);
      queue.addConsumer(a);
      queue.addConsumer(b);
      for (const body of ['m1', 'm2', 'm3', 'm4']) queue.enqueue(message(body));
      expect([a.bodies, b.bodies]).toEqual([['m1'], ['m2']]);
      expect(queue.messageCount).toBe(2);

      a.ack(queue, a.delivered[0]);

      expect(a.bodies).toEqual(['m1', 'm3']);
      expect(queue.unackedCount).toBe(2);
    });

    it('settles no-ack deliveries at once', () => {
      const { queue } = makeQueue();
      const consumer = new FakeConsumer('a', Infinity, true);
      queue.addConsumer(consumer);
      queue.enqueue(message('m1'));
      expect(consumer.bodies).toEqual(['m1']);
      expect(queue.unackedCount).toBe(0);
    });

    it('cancels its consumers when deleted', () => {
      const { queue } = makeQueue();
      const consumer = new FakeConsumer('a');
      queue.addConsumer(consumer);
      queue.markDeleted();
      expect(consumer.isCancelled).toBe(true);
      expect(queue.consumerCount).toBe(0);
    });

    it('withdraws a ready message (refused by the store) but not one already delivered', () => {
      const { queue } = makeQueue();
      queue.enqueue(message('delivered'));
      const delivered = queue.take(true)!;
      const ready = queue.push(message('ready'))!;
      queue.withdraw(ready);
      queue.withdraw(delivered);
      expect(queue.messageCount).toBe(0);
      expect(queue.messageBytes).toBe(0);
      expect(queue.unackedCount).toBe(1);
    });
  });

  describe('single active consumer (x-single-active-consumer)', () => {
    it('delivers to the first consumer only; the next in registration order takes over when it goes', () => {
      const { queue } = makeQueue({ 'x-single-active-consumer': true });
      const a = new FakeConsumer('a', 2);
      const b = new FakeConsumer('b', 2);
      const c = new FakeConsumer('c', 2);
      for (const consumer of [a, b, c]) queue.addConsumer(consumer);
      for (const body of ['m1', 'm2', 'm3', 'm4']) queue.enqueue(message(body));
      // a is full (prefetch 2): the others still get nothing.
      expect([a.bodies, b.bodies, c.bodies]).toEqual([['m1', 'm2'], [], []]);
      expect(queue.activeConsumer).toBe(a);
      expect(queue.activeConsumerTag).toBe('a');

      queue.removeConsumer(a);
      queue.requeue([...a.unacked]);

      expect(queue.activeConsumerTag).toBe('b');
      expect(b.bodies).toEqual(['m3', 'm4']);
      b.ack(queue, b.delivered[0]);
      b.ack(queue, b.delivered[1]);
      expect(b.bodies).toEqual(['m3', 'm4', 'm1', 'm2']);
      expect(c.bodies).toEqual([]);
    });

    it('has no active consumer tag without the argument', () => {
      const { queue } = makeQueue();
      queue.addConsumer(new FakeConsumer('a'));
      expect(queue.activeConsumer).toBeUndefined();
      expect(queue.activeConsumerTag).toBeUndefined();
    });
  });

  describe('message TTL', () => {
    beforeEach(() => jest.useFakeTimers());

    it.each<{ case: string; args: FieldTable; expiration: string | undefined; ttlMs: number }>([
      { case: 'queue x-message-ttl', args: { 'x-message-ttl': 1000 }, expiration: undefined, ttlMs: 1000 },
      { case: 'per-message expiration', args: {}, expiration: '500', ttlMs: 500 },
      { case: 'the lower of both (message)', args: { 'x-message-ttl': 1000 }, expiration: '300', ttlMs: 300 },
      { case: 'the lower of both (queue)', args: { 'x-message-ttl': 200 }, expiration: '900', ttlMs: 200 },
    ])('$case: the message leaves after $ttlMs ms, dead-lettered as expired', ({ args, expiration, ttlMs }) => {
      const { queue, hooks } = makeQueue({ ...args, 'x-dead-letter-exchange': 'dlx' });
      queue.enqueue(message('m1', { expiration }));

      jest.advanceTimersByTime(ttlMs);
      expect(queue.messageCount).toBe(1);

      jest.advanceTimersByTime(1);
      expect(queue.messageCount).toBe(0);
      expect(hooks.deadLetters).toEqual([{ body: 'm1', reason: 'expired' }]);
    });

    it('expires messages from the head only: a short TTL behind a long one waits for it (RabbitMQ semantics)', () => {
      const { queue } = makeQueue();
      queue.enqueue(message('long', { expiration: '1000' }));
      queue.enqueue(message('short', { expiration: '100' }));

      jest.advanceTimersByTime(500);
      expect(readyBodies(queue)).toEqual(['long', 'short']);

      jest.advanceTimersByTime(501);
      expect(queue.messageCount).toBe(0);
    });

    it('never delivers an expired message to a consumer that arrives late', () => {
      const { queue } = makeQueue({ 'x-message-ttl': 100 });
      queue.enqueue(message('stale'));
      jest.setSystemTime(Date.now() + 101);
      const consumer = new FakeConsumer('late');
      queue.addConsumer(consumer);
      expect(consumer.delivered).toEqual([]);
      expect(queue.messageCount).toBe(0);
    });

    it('counts a requeued message’s TTL from its original enqueue, not from the requeue', () => {
      const { queue } = makeQueue({ 'x-message-ttl': 1000 });
      queue.enqueue(message('m1'));
      const entry = queue.take(true)!;
      jest.advanceTimersByTime(800);
      queue.requeue([entry]);
      jest.advanceTimersByTime(201);
      expect(queue.messageCount).toBe(0);
    });
  });

  describe('queue expiry (x-expires)', () => {
    beforeEach(() => jest.useFakeTimers());

    it('reports the queue expired after x-expires ms unused', () => {
      const { queue, hooks } = makeQueue({ 'x-expires': 1000 });
      queue.touch();
      jest.advanceTimersByTime(999);
      expect(hooks.expiredQueues).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(hooks.expiredQueues).toEqual([queue]);
    });

    it('restarts the countdown on use and stops it while a consumer is attached', () => {
      const { queue, hooks } = makeQueue({ 'x-expires': 1000 });
      queue.touch();
      jest.advanceTimersByTime(900);
      queue.touch();
      jest.advanceTimersByTime(900);
      const consumer = new FakeConsumer('a');
      queue.addConsumer(consumer);
      jest.advanceTimersByTime(5000);
      expect(hooks.expiredQueues).toEqual([]);

      queue.removeConsumer(consumer);
      jest.advanceTimersByTime(1000);
      expect(hooks.expiredQueues).toEqual([queue]);
    });

    it('stops counting once deleted', () => {
      const { queue, hooks } = makeQueue({ 'x-expires': 1000 });
      queue.touch();
      queue.markDeleted();
      jest.advanceTimersByTime(2000);
      expect(hooks.expiredQueues).toEqual([]);
    });
  });

  describe('delivery limit (x-delivery-limit)', () => {
    it('dead-letters a message redelivered more than the limit, with x-delivery-count on redeliveries', () => {
      const { queue, hooks } = makeQueue({ 'x-delivery-limit': 1, 'x-dead-letter-exchange': 'dlx' });
      queue.enqueue(message('poison'));

      const first = queue.take(true)!;
      expect(queue.rawPropertiesFor(first)).toBe(first.message.rawProperties);
      queue.requeue([first]);
      const second = queue.take(true)!;
      expect(second).toBe(first);
      expect(second.redelivered).toBe(true);
      expect(decodeProperties(queue.rawPropertiesFor(second)).headers).toEqual({ 'x-delivery-count': 1 });
      queue.requeue([second]);

      expect(queue.messageCount).toBe(0);
      expect(queue.unackedCount).toBe(0);
      expect(hooks.deadLetters).toEqual([{ body: 'poison', reason: 'delivery_limit' }]);
    });
  });

  describe('rejection', () => {
    it('dead-letters a rejected delivery when the queue has a dead-letter exchange', () => {
      const { queue, hooks } = makeQueue({ 'x-dead-letter-exchange': 'dlx' });
      queue.enqueue(message('m1'));
      queue.rejected(queue.take(true)!);
      expect(hooks.deadLetters).toEqual([{ body: 'm1', reason: 'rejected' }]);
      expect(queue.unackedCount).toBe(0);
    });
  });
});
