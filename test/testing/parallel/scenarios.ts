import amqplib, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { startTestBroker, waitFor, type StartTestBrokerOptions, type TestBroker } from '@app/testing';

/** What a scenario gets: its own broker and one open connection to it. */
interface ScenarioContext {
  broker: TestBroker;
  connection: ChannelModel;
  channel: Channel;
}

interface Scenario {
  title: string;
  options?: StartTestBrokerOptions;
  run(context: ScenarioContext): Promise<void>;
}

const text = (messages: ReadonlyArray<{ body: Buffer }>): string[] => messages.map((m) => m.body.toString());

/**
 * Twenty small scenarios, each against its own broker, spread over three files (`parallel-NN.e2e-spec.ts`): jest
 * runs the files in parallel workers, so brokers start, serve and close side by side (in-memory and LevelDB-backed
 * ones in different workers at once), which shows test brokers do not clash (ports, storage, state).
 */
const SCENARIOS: Scenario[] = [
  {
    title: 'direct exchange: messages reach the bound queue in order',
    async run({ broker, channel }) {
      await channel.assertExchange('commands', 'direct');
      await channel.assertQueue('billing');
      await channel.bindQueue('billing', 'commands', 'charge');
      for (const n of [1, 2, 3]) channel.publish('commands', 'charge', Buffer.from(`charge ${n}`));
      channel.publish('commands', 'refund', Buffer.from('unbound key'));
      await broker.waitForQueue('billing', { messages: 3 });
      expect(text(broker.peek('billing'))).toEqual(['charge 1', 'charge 2', 'charge 3']);
    },
  },
  {
    title: 'fanout exchange: one publish reaches every bound queue',
    async run({ broker, channel }) {
      await channel.assertExchange('broadcast', 'fanout');
      for (const q of ['a', 'b', 'c']) {
        await channel.assertQueue(q);
        await channel.bindQueue(q, 'broadcast', '');
      }
      channel.publish('broadcast', 'ignored', Buffer.from('hello'));
      for (const q of ['a', 'b', 'c']) await broker.waitForQueue(q, { messages: 1 });
      expect(broker.peek('b')[0]).toMatchObject({ exchange: 'broadcast', routingKey: 'ignored' });
    },
  },
  {
    title: 'topic exchange: * matches one word, # zero or more',
    async run({ broker, channel }) {
      await channel.assertExchange('logs', 'topic');
      await channel.assertQueue('one-word');
      await channel.assertQueue('any-depth');
      await channel.bindQueue('one-word', 'logs', 'app.*');
      await channel.bindQueue('any-depth', 'logs', 'app.#');
      for (const key of ['app', 'app.web', 'app.web.error', 'db.web']) channel.publish('logs', key, Buffer.from(key));
      await broker.waitForQueue('any-depth', { messages: 3 });
      await broker.waitForQueue('one-word', { messages: 1 });
      expect(text(broker.peek('any-depth'))).toEqual(['app', 'app.web', 'app.web.error']);
    },
  },
  {
    title: 'headers exchange: x-match all and any',
    async run({ broker, channel }) {
      await channel.assertExchange('by-headers', 'headers');
      await channel.assertQueue('all');
      await channel.assertQueue('any');
      await channel.bindQueue('all', 'by-headers', '', { 'x-match': 'all', region: 'eu', tier: 'gold' });
      await channel.bindQueue('any', 'by-headers', '', { 'x-match': 'any', region: 'eu', tier: 'gold' });
      channel.publish('by-headers', '', Buffer.from('both'), { headers: { region: 'eu', tier: 'gold' } });
      channel.publish('by-headers', '', Buffer.from('region'), { headers: { region: 'eu' } });
      channel.publish('by-headers', '', Buffer.from('neither'), { headers: { region: 'us' } });
      await broker.waitForQueue('any', { messages: 2 });
      await broker.waitForQueue('all', { messages: 1 });
      expect(broker.peek('all')[0].headers).toEqual({ region: 'eu', tier: 'gold' });
    },
  },
  {
    title: 'prefetch 1 with manual acks drains the queue',
    async run({ broker, channel }) {
      await channel.assertQueue('tasks');
      await channel.prefetch(1);
      const done: string[] = [];
      await channel.consume('tasks', (m) => {
        done.push(m!.content.toString());
        channel.ack(m!);
      });
      for (let i = 0; i < 20; i++) channel.sendToQueue('tasks', Buffer.from(`t${i}`));
      await broker.waitForQueue('tasks', { empty: true, consumers: 1 });
      await waitFor(() => done.length === 20);
      expect(done).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`));
    },
  },
  {
    title: 'nack with requeue puts the message back, marked redelivered',
    async run({ broker, channel }) {
      await channel.assertQueue('flaky');
      channel.sendToQueue('flaky', Buffer.from('try again'));
      await broker.waitForQueue('flaky', { messages: 1 });
      const message = await channel.get('flaky');
      channel.nack(message as amqplib.GetMessage, false, true);
      await broker.waitForQueue('flaky', { messages: 1, unacked: 0 });
      expect(broker.peek('flaky')).toMatchObject([{ redelivered: true }]);
    },
  },
  {
    title: 'capture a topic exchange while a consumer drains its queue',
    async run({ broker, channel }) {
      await channel.assertExchange('events', 'topic');
      await channel.assertQueue('users');
      await channel.bindQueue('users', 'events', 'user.*');
      await channel.consume('users', () => undefined, { noAck: true });
      const capture = broker.capture('events');
      for (const key of ['user.created', 'order.created', 'user.deleted']) channel.publish('events', key, Buffer.from(key));
      expect((await capture.waitFor(3)).map((m) => m.routingKey)).toEqual(['user.created', 'order.created', 'user.deleted']);
      await broker.waitForQueue('users', { empty: true });
    },
  },
  {
    title: 'exchange-to-exchange bindings, seen by bindings() and capture()',
    async run({ broker, channel }) {
      await channel.assertExchange('orders', 'topic');
      await channel.assertExchange('eu-orders', 'fanout');
      await channel.bindExchange('eu-orders', 'orders', '*.eu');
      expect(broker.bindings({ exchange: 'orders' })).toEqual([
        { source: 'orders', destination: 'eu-orders', destinationType: 'exchange', routingKey: '*.eu', arguments: {} },
      ]);
      const capture = broker.capture('eu-orders');
      channel.publish('orders', 'paid.us', Buffer.from('us'));
      channel.publish('orders', 'paid.eu', Buffer.from('eu'));
      expect(await capture.waitFor(1)).toMatchObject([{ exchange: 'orders', routingKey: 'paid.eu' }]);
    },
  },
  {
    title: 'persistent broker: durable queue, persistent messages confirmed into LevelDB',
    options: { persistent: true },
    async run({ broker, connection }) {
      expect(broker.broker.config.storage).toBe('level');
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue('ledger', { durable: true });
      for (let i = 0; i < 10; i++) channel.sendToQueue('ledger', Buffer.from(`entry ${i}`), { persistent: true });
      await channel.waitForConfirms();
      expect(broker.count('ledger')).toBe(10);
      expect(broker.peek('ledger', 1)[0].properties.deliveryMode).toBe(2);
    },
  },
  {
    title: 'reset() between two phases leaves a clean topology',
    async run({ broker, channel }) {
      await channel.assertExchange('phase', 'fanout');
      await channel.assertQueue('phase-q');
      await channel.bindQueue('phase-q', 'phase', '');
      channel.publish('phase', '', Buffer.from('one'));
      await broker.waitForQueue('phase-q', { messages: 1 });
      expect(await broker.reset()).toEqual({ queues: 1, exchanges: 1, exchangeBindings: 0 });
      await channel.assertQueue('phase-q');
      expect(broker.count('phase-q')).toBe(0);
      expect(broker.bindings()).toEqual([]);
    },
  },
  {
    title: 'an exclusive server-named queue goes with its connection',
    async run({ broker }) {
      const own = await amqplib.connect(broker.url);
      const channel = await own.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.consume(queue, () => undefined);
      await broker.waitForQueue(queue, { consumers: 1 });
      await own.close();
      await waitFor(() => broker.vhost.getQueue(queue) === undefined);
    },
  },
  {
    title: 'basic.get takes messages one at a time',
    async run({ broker, channel }) {
      await channel.assertQueue('inbox');
      for (const n of [1, 2, 3]) channel.sendToQueue('inbox', Buffer.from(String(n)));
      await broker.waitForQueue('inbox', { messages: 3 });
      const first = await channel.get('inbox', { noAck: true });
      expect(first && first.content.toString()).toBe('1');
      expect(broker.count('inbox')).toBe(2);
      expect(text(broker.peek('inbox'))).toEqual(['2', '3']);
    },
  },
  {
    title: 'purge drops ready messages',
    async run({ broker, channel }) {
      await channel.assertQueue('trash');
      for (let i = 0; i < 7; i++) channel.sendToQueue('trash', Buffer.alloc(16, i));
      await broker.waitForQueue('trash', { messages: 7 });
      expect((await channel.purgeQueue('trash')).messageCount).toBe(7);
      expect(broker.count('trash')).toBe(0);
    },
  },
  {
    title: 'publisher confirms for a burst of 50 messages',
    async run({ broker, connection }) {
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue('confirmed');
      for (let i = 0; i < 50; i++) channel.sendToQueue('confirmed', Buffer.from(`c${i}`));
      await channel.waitForConfirms();
      expect(broker.count('confirmed')).toBe(50);
    },
  },
  {
    title: 'an auto-delete queue goes when its last consumer cancels',
    async run({ broker, channel }) {
      await channel.assertQueue('temp', { autoDelete: true });
      const { consumerTag } = await channel.consume('temp', () => undefined);
      await broker.waitForQueue('temp', { consumers: 1 });
      await channel.cancel(consumerTag);
      expect(broker.vhost.getQueue('temp')).toBeUndefined();
    },
  },
  {
    title: 'two consumers on one queue share its messages round-robin',
    async run({ broker, channel }) {
      await channel.assertQueue('shared');
      const got: Record<string, string[]> = { a: [], b: [] };
      for (const name of ['a', 'b']) {
        await channel.consume('shared', (m) => got[name].push(m!.content.toString()), { noAck: true });
      }
      await broker.waitForQueue('shared', { consumers: 2 });
      for (let i = 0; i < 10; i++) channel.sendToQueue('shared', Buffer.from(String(i)));
      await waitFor(() => got.a.length + got.b.length === 10);
      expect([...got.a, ...got.b].sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(got.a).toEqual(['0', '2', '4', '6', '8']);
    },
  },
  {
    title: 'message properties arrive as published',
    async run({ broker, channel }) {
      await channel.assertQueue('props');
      channel.sendToQueue('props', Buffer.from('{}'), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        correlationId: 'corr',
        replyTo: 'answers',
        messageId: 'id-1',
        type: 'order.created',
        appId: 'parallel',
        priority: 3,
        headers: { 'x-trace': 'abc', nested: { depth: 2 } },
      });
      await broker.waitForQueue('props', { messages: 1 });
      const [message] = broker.peek('props');
      expect(message.properties).toMatchObject({ contentType: 'application/json', correlationId: 'corr', replyTo: 'answers', priority: 3 });
      expect(message.headers).toEqual({ 'x-trace': 'abc', nested: { depth: 2 } });
    },
  },
  {
    title: 'an alternate exchange takes unroutable messages',
    async run({ broker, channel }) {
      await channel.assertExchange('unrouted', 'fanout');
      await channel.assertQueue('unrouted-q');
      await channel.bindQueue('unrouted-q', 'unrouted', '');
      await channel.assertExchange('main', 'direct', { alternateExchange: 'unrouted' });
      await channel.assertQueue('main-q');
      await channel.bindQueue('main-q', 'main', 'known');
      channel.publish('main', 'known', Buffer.from('routed'));
      channel.publish('main', 'unknown', Buffer.from('fallback'));
      await broker.waitForQueue('unrouted-q', { messages: 1 });
      await broker.waitForQueue('main-q', { messages: 1 });
      expect(broker.peek('unrouted-q')[0]).toMatchObject({ exchange: 'main', routingKey: 'unknown' });
    },
  },
  {
    title: 'a mandatory publish nobody is bound for comes back',
    async run({ channel }) {
      await channel.assertExchange('nowhere', 'topic');
      const returned = new Promise<ConsumeMessage>((resolve) => channel.once('return', resolve));
      channel.publish('nowhere', 'no.binding', Buffer.from('bounce'), { mandatory: true });
      const message = await returned;
      expect(message.fields).toMatchObject({ exchange: 'nowhere', routingKey: 'no.binding', replyCode: 312 });
    },
  },
  {
    title: 'four connections publish concurrently into one persistent queue',
    options: { persistent: true },
    async run({ broker, channel }) {
      await channel.assertQueue('sink', { durable: true });
      const connections = await Promise.all([1, 2, 3, 4].map(() => amqplib.connect(broker.url)));
      try {
        await Promise.all(
          connections.map(async (connection, c) => {
            const publisher = await connection.createConfirmChannel();
            for (let i = 0; i < 25; i++) publisher.sendToQueue('sink', Buffer.from(`${c}:${i}`), { persistent: true });
            await publisher.waitForConfirms();
          }),
        );
      } finally {
        await Promise.all(connections.map((connection) => connection.close()));
      }
      await broker.waitForQueue('sink', { messages: 100 });
      expect(new Set(text(broker.peek('sink'))).size).toBe(100);
    },
  },
];

/** How the scenarios are shared among the files: each file gets one of the two LevelDB-backed scenarios or none. */
export const SCENARIO_GROUPS: readonly (readonly number[])[] = [
  [1, 2, 3, 4, 5, 6, 9],
  [7, 8, 10, 11, 12, 13, 20],
  [14, 15, 16, 17, 18, 19],
];

/** Declares the jest suites of one group of scenarios (1-based numbers): each with its own broker, started and closed around it. */
export function describeScenarios(numbers: readonly number[]): void {
  for (const number of numbers) describeScenario(number);
}

function describeScenario(number: number): void {
  const scenario = SCENARIOS[number - 1];
  describe(`scenario ${String(number).padStart(2, '0')}`, () => {
    let broker: TestBroker;
    let connection: ChannelModel;
    let channel: Channel;

    beforeAll(async () => {
      broker = await startTestBroker(scenario.options);
      connection = await amqplib.connect(broker.url);
      channel = await connection.createChannel();
    });

    afterAll(async () => {
      await connection?.close();
      await broker?.close();
    });

    it(scenario.title, () => scenario.run({ broker, connection, channel }));
  });
}
