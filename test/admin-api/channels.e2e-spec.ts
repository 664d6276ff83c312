import { startTestBroker, type TestBroker } from '@app/testing';
import { AMQPClient } from '@cloudamqp/amqp-client';
import amqplib, { type ChannelModel } from 'amqplib';
import { waitFor } from '../support/wait-for.js';
import { startAdminApi, type AdminApi, type ApiResponse } from './support/admin-stack.js';

// RabbitMQ's channel routes over the real admin API, with real amqplib channels: `/api/channels/{name}` (with
// `consumer_details`), `/api/connections/{name}/channels`, `/api/vhosts/{vhost}/channels`, who may see which
// channel (RabbitMQ's `is_authorized_user` and `filter_user`), and a management user's overview totals.
describe('admin API: channels', () => {
  let broker: TestBroker;
  let admin: AdminApi;
  let guest: ChannelModel;
  let alice: ChannelModel;
  const ALICE = { auth: 'alice:alice-pw' };
  const MONITOR = { auth: 'watcher:watcher-pw' };

  beforeAll(async () => {
    broker = await startTestBroker({ config: { statsIntervalMs: 100 } });
    admin = await startAdminApi(broker.managementUrl);
    const setup: Array<[string, string, unknown]> = [
      ['PUT', '/api/vhosts/other', {}],
      ['PUT', '/api/users/alice', { password: 'alice-pw', tags: 'management' }],
      ['PUT', '/api/users/watcher', { password: 'watcher-pw', tags: 'monitoring' }],
      ['PUT', '/api/permissions/%2F/alice', { configure: '.*', write: '.*', read: '.*' }],
      ['PUT', '/api/permissions/%2F/watcher', { configure: '.*', write: '.*', read: '.*' }],
      ['PUT', '/api/permissions/other/guest', { configure: '.*', write: '.*', read: '.*' }],
    ];
    for (const [method, path, body] of setup) expect((await admin.api(method, path, body)).status).toBe(201);
    guest = await amqplib.connect(broker.url);
    alice = await amqplib.connect(`amqp://alice:alice-pw@127.0.0.1:${broker.port}`);
  }, 120_000);

  afterAll(async () => {
    await guest?.close().catch(() => undefined);
    await alice?.close().catch(() => undefined);
    await admin?.stop();
    await broker?.close();
  }, 60_000);

  async function ok(path: string, options?: { auth: string }): Promise<any> {
    const response = await admin.api('GET', path, undefined, options);
    expect({ path, status: response.status, body: response.body }).toMatchObject({ status: 200 });
    return response.body;
  }

  async function channelsOf(user: string): Promise<any[]> {
    return ((await ok('/api/channels')) as any[]).filter((channel) => channel.user === user);
  }

  const path = (name: string): string => `/api/channels/${encodeURIComponent(name)}`;

  it('shows one channel with its consumers, prefetch, unacked count, confirm mode and message_stats', async () => {
    const channel = await guest.createChannel();
    await channel.assertQueue('channels.work', { durable: false });
    await channel.prefetch(7);
    const received: amqplib.ConsumeMessage[] = [];
    const { consumerTag } = await channel.consume('channels.work', (message) => message && received.push(message), {
      exclusive: true,
      arguments: { 'x-priority': 5 },
    });
    const publisher = await guest.createConfirmChannel();
    for (let i = 0; i < 3; i++) publisher.sendToQueue('channels.work', Buffer.from(`m${i}`));
    await publisher.waitForConfirms();
    await waitFor(() => received.length === 3, { what: 'three deliveries' });

    const listed = (await channelsOf('guest')).find((candidate) => candidate.consumer_count === 1);
    expect(listed).toMatchObject({ number: 1, prefetch_count: 7 });
    const detail = await ok(`${path(listed.name)}?msg_rates_age=60&msg_rates_incr=1`);
    expect(detail).toMatchObject({
      name: listed.name,
      number: 1,
      user: 'guest',
      vhost: '/',
      state: 'running',
      confirm: false,
      transactional: false,
      prefetch_count: 7,
      global_prefetch_count: 0,
      consumer_count: 1,
      messages_unacknowledged: 3,
      connection_details: { name: listed.connection_details.name },
      publishes: [],
      deliveries: [],
    });
    expect(detail.consumer_details).toEqual([
      expect.objectContaining({
        consumer_tag: consumerTag,
        queue: { name: 'channels.work', vhost: '/' },
        ack_required: true,
        exclusive: true,
        prefetch_count: 7,
        arguments: { 'x-priority': 5 },
        channel_details: expect.objectContaining({ name: listed.name, number: 1, user: 'guest' }),
      }),
    ]);
    expect(detail.message_stats).toMatchObject({ deliver: 3, deliver_details: { rate: expect.any(Number), samples: expect.any(Array) } });

    const confirmChannel = (await channelsOf('guest')).find((candidate) => candidate.confirm);
    expect(await ok(path(confirmChannel.name))).toMatchObject({
      confirm: true,
      consumer_count: 0,
      message_stats: { publish: 3, confirm: 3 },
    });

    for (const message of received) channel.ack(message);
    await waitFor(async () => (await ok(path(listed.name))).messages_unacknowledged === 0, { what: 'the acks to show' });
    await channel.close();
    await publisher.close();
  });

  it('shows a transaction’s uncommitted publishes and acks, and a global prefetch', async () => {
    // amqplib has no tx API; @cloudamqp/amqp-client does.
    const client = new AMQPClient(broker.url);
    const amqp = await client.connect();
    try {
      const ch = await amqp.channel();
      await ch.queueDeclare('channels.tx', { durable: false });
      await ch.basicQos(3, undefined, true);
      await ch.basicPublish('', 'channels.tx', 'first');
      await ch.txSelect();
      await ch.basicPublish('', 'channels.tx', 'second');
      await ch.basicPublish('', 'channels.tx', 'third');
      const got = await ch.basicGet('channels.tx', { noAck: false });
      await got!.ack();
      await broker.waitForQueue('channels.tx', { messages: 0, unacked: 1 });
      const [listed] = (await channelsOf('guest')).filter((candidate) => candidate.transactional);
      expect(await ok(path(listed.name))).toMatchObject({
        transactional: true,
        confirm: false,
        global_prefetch_count: 3,
        messages_uncommitted: 2,
        acks_uncommitted: 1,
        messages_unacknowledged: 1,
      });
      await ch.txCommit();
      expect(await ok(path(listed.name))).toMatchObject({ messages_uncommitted: 0, acks_uncommitted: 0 });
    } finally {
      await amqp.close();
    }
  });

  it('answers 404 like RabbitMQ for a channel, connection or vhost that does not exist', async () => {
    const channel = await guest.createChannel();
    const [listed] = await channelsOf('guest');
    const connectionName: string = listed.connection_details.name;
    const notFound = { error: 'Object Not Found', reason: 'Not Found' };
    for (const missing of ['/api/channels/nope', path(`${connectionName} (999)`), path('nobody (1)')]) {
      expect(await admin.api('GET', missing)).toMatchObject({ status: 404, body: notFound });
    }
    expect(await admin.api('GET', `/api/connections/${encodeURIComponent('nobody')}/channels`)).toMatchObject({
      status: 404,
      body: notFound,
    });
    expect(await admin.api('GET', '/api/vhosts/missing/channels')).toMatchObject({ status: 404, body: notFound });
    await channel.close();
  });

  it('lists a connection’s channels and a vhost’s channels', async () => {
    const other = await amqplib.connect(`${broker.url}/other`);
    try {
      await other.createChannel();
      await other.createChannel();
      const inOther = await ok('/api/vhosts/other/channels');
      expect(inOther.map((channel: any) => [channel.vhost, channel.number])).toEqual([
        ['other', 1],
        ['other', 2],
      ]);
      const connectionName: string = inOther[0].connection_details.name;
      const ofConnection = await ok(`/api/connections/${encodeURIComponent(connectionName)}/channels`);
      expect(ofConnection.map((channel: any) => channel.name)).toEqual([`${connectionName} (1)`, `${connectionName} (2)`]);
      // RabbitMQ's list parameters apply (`name` filter, sort, paging).
      const page = await ok(`/api/vhosts/other/channels?page=1&page_size=1&sort=number&sort_reverse=true`);
      expect(page.items.map((channel: any) => channel.number)).toEqual([2]);
      expect((await ok('/api/vhosts/%2F/channels')).every((channel: any) => channel.vhost === '/')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('shows a management user only its own channels; monitors and administrators see everyone’s', async () => {
    const guestChannel = await guest.createChannel();
    const aliceChannel = await alice.createChannel();
    try {
      const [ofGuest] = await channelsOf('guest');
      const [ofAlice] = await channelsOf('alice');
      const names = async (listPath: string, options?: { auth: string }): Promise<string[]> =>
        ((await ok(listPath, options)) as any[]).map((channel) => channel.name);

      // Lists are filtered (RabbitMQ's `filter_user`).
      expect(await names('/api/channels', ALICE)).toEqual([ofAlice.name]);
      expect(await names('/api/vhosts/%2F/channels', ALICE)).toEqual([ofAlice.name]);
      expect(await names('/api/channels', MONITOR)).toEqual(expect.arrayContaining([ofAlice.name, ofGuest.name]));

      // One channel or one connection's channels: its user's, or a monitor's (`is_authorized_user`).
      expect((await ok(path(ofAlice.name), ALICE)).user).toBe('alice');
      const refused: ApiResponse = await admin.api('GET', path(ofGuest.name), undefined, ALICE);
      expect(refused).toMatchObject({ status: 401, body: { error: 'not_authorised', reason: 'User not authorised to access object' } });
      const guestConnectionChannels = `/api/connections/${encodeURIComponent(ofGuest.connection_details.name)}/channels`;
      expect((await admin.api('GET', guestConnectionChannels, undefined, ALICE)).status).toBe(401);
      expect((await ok(path(ofGuest.name), MONITOR)).user).toBe('guest');
      expect(await names(guestConnectionChannels, MONITOR)).toContain(ofGuest.name);
      // A vhost it has no permissions on is refused outright (`is_authorized_vhost`).
      expect(await admin.api('GET', '/api/vhosts/other/channels', undefined, ALICE)).toMatchObject({
        status: 401,
        body: { reason: 'User not authorised to access virtual host' },
      });
    } finally {
      await guestChannel.close();
      await aliceChannel.close();
    }
  });

  it('sums only the vhosts a management user may see in its overview message_stats', async () => {
    const inOther = await amqplib.connect(`${broker.url}/other`);
    try {
      const otherPublisher = await inOther.createConfirmChannel();
      await otherPublisher.assertQueue('channels.elsewhere', { durable: false });
      for (let i = 0; i < 5; i++) otherPublisher.sendToQueue('channels.elsewhere', Buffer.from('x'));
      await otherPublisher.waitForConfirms();
      const own = await alice.createConfirmChannel();
      await own.assertQueue('channels.own', { durable: false });
      for (let i = 0; i < 2; i++) own.sendToQueue('channels.own', Buffer.from('y'));
      await own.waitForConfirms();

      const rates = '?msg_rates_age=60&msg_rates_incr=1&lengths_age=60&lengths_incr=1';
      const rootVhost = await ok(`/api/vhosts/%2F${rates}`);
      const otherVhost = await ok(`/api/vhosts/other${rates}`);
      expect(otherVhost.message_stats.publish).toBe(5);
      const ofAlice = await ok(`/api/overview${rates}`, ALICE);
      expect(ofAlice.message_stats.publish).toBe(rootVhost.message_stats.publish);
      expect(ofAlice.queue_totals.messages).toBe(rootVhost.messages);
      expect((await ok('/api/overview')).message_stats.publish).toBe(rootVhost.message_stats.publish + 5);
      expect((await ok('/api/overview', MONITOR)).message_stats.publish).toBe(rootVhost.message_stats.publish + 5);

      // The history is the sum of the same vhosts: once a sample holds both publishes, the user's newest sample is
      // `/`'s and the administrator's includes `other`'s five.
      await waitFor(
        async () => {
          const [mine, root, all] = await Promise.all([
            ok(`/api/overview${rates}`, ALICE),
            ok(`/api/vhosts/%2F${rates}`),
            ok(`/api/overview${rates}`),
          ]);
          const newest = (stats: any): number | undefined => stats.message_stats.publish_details.samples[0]?.sample;
          return (
            newest(root) === rootVhost.message_stats.publish &&
            newest(mine) === newest(root) &&
            newest(all) === newest(root)! + 5 &&
            mine.queue_totals.messages_details.samples[0]?.sample === root.messages_details.samples[0]?.sample
          );
        },
        { timeoutMs: 20_000, what: "the management user's overview samples to be the sum of its vhosts'" },
      );
    } finally {
      await inOther.close();
    }
  });
});
