import { BrokerCore, Message } from '@app/broker-core';
import {
  decodeManagementReply,
  encodeManagementRequest,
  MANAGEMENT_EXCHANGE,
  ManagementPattern,
  type ManagementCaller,
  type ManagementReplyEnvelope,
} from '@app/management-contract';
import { createBrokerLogger } from '../logger.js';
import { MANAGEMENT_QUEUE_ARGUMENTS, ManagementService } from './management-service.js';

// The management service driven through its inbox (what a management connection's publish reaches), with a real
// core and a direct reply-to consumer collecting the replies: no sockets, no fakes of the core.
describe('ManagementService', () => {
  let core: BrokerCore;
  let service: ManagementService;
  const replies: ManagementReplyEnvelope[] = [];
  let replyTo: string;

  beforeAll(async () => {
    core = new BrokerCore();
    await core.bootstrapDefaultUser();
    await core.users.addUser('viewer', 'secret', []);
    await core.users.createUser('limited', { password: 'secret', tags: ['management'] });
    await core.permissions.set('limited', '/', { configure: '^lim\\.', write: '^lim\\.', read: '^lim\\.' });
  });

  beforeEach(() => {
    replies.length = 0;
    const host = { core, alarmState: { memory: false, disk: false }, port: 5672, allConnections: () => [].values() };
    service = new ManagementService(host, createBrokerLogger('silent'));
    service.start();
    replyTo = core.getVhost('/')!.registerReplyConsumer({ deliverReply: (message) => replies.push(decodeManagementReply(message.body)) });
  });

  afterEach(() => service.stop());

  function request(id: string, pattern: string, caller: ManagementCaller, data: object = {}): Message {
    const body = encodeManagementRequest({ id, pattern: pattern as ManagementPattern, caller, data: data as Record<string, unknown> });
    return Message.withProperties(MANAGEMENT_EXCHANGE, pattern, { replyTo, correlationId: id }, body);
  }

  async function replyTo1(): Promise<ManagementReplyEnvelope> {
    for (let i = 0; i < 1000 && replies.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    return replies[0];
  }

  it('answers a request for a management user calling from loopback', async () => {
    expect(service.inbox.accept(request('1', ManagementPattern.Authenticate, { username: 'guest', remote_address: '127.0.0.1' }))).toBe(
      true,
    );
    expect(await replyTo1()).toEqual({ id: '1', response: { name: 'guest', tags: 'administrator' } });
  });

  it.each([
    ['a loopback-only user calling from elsewhere', { username: 'guest', remote_address: '192.0.2.7' }, 'Login failed', 'not_authorized'],
    ['an unknown user', { username: 'mallory', remote_address: '127.0.0.1' }, 'Login failed', 'not_authorized'],
    // RabbitMQ spells the refusal of a logged-in user differently from a failed login.
    ['a user without a management tag', { username: 'viewer', remote_address: '127.0.0.1' }, 'Not management user', 'not_authorised'],
  ])('refuses %s with 401', async (_name, caller, reason, error) => {
    service.inbox.accept(request('2', ManagementPattern.QueuesList, caller));
    expect(await replyTo1()).toEqual({ id: '2', err: { status: 401, error, reason } });
  });

  it('answers a malformed request with 400', async () => {
    service.inbox.accept(Message.withProperties(MANAGEMENT_EXCHANGE, 'x', { replyTo, correlationId: '3' }, Buffer.from('{"password":')));
    const reply = await replyTo1();
    expect(reply).toMatchObject({ id: '3', err: { status: 400, error: 'bad_request' } });
  });

  it('refuses an HTTP publish whose user_id is not the caller (400, nothing routed)', async () => {
    const data = { vhost: '/', name: 'amq.direct', properties: { user_id: 'admin' }, routing_key: 'k', payload: 'p' };
    service.inbox.accept(request('4', ManagementPattern.ExchangesPublish, { username: 'guest', remote_address: '::1' }, data));
    expect(await replyTo1()).toEqual({
      id: '4',
      err: { status: 400, error: 'bad_request', reason: "user_id property set to 'admin' but authenticated user was 'guest'" },
    });
  });

  // RabbitMQ's answers (checked against RabbitMQ 3.10): a refused declare or purge is 401 `Access refused.` (its
  // direct_request), a refused get 401 with the channel's text (its with_channel), a refused publish 400 `403 …`.
  it.each<[string, string, object, number, string, string]>([
    [
      'declare a queue',
      ManagementPattern.QueuesDeclare,
      { vhost: '/', name: 'other', durable: false },
      401,
      'not_authorised',
      'Access refused.',
    ],
    ['purge a queue', ManagementPattern.QueuesPurge, { vhost: '/', name: 'other' }, 401, 'not_authorised', 'Access refused.'],
    [
      'get messages',
      ManagementPattern.QueuesGetMessages,
      { vhost: '/', name: 'other' },
      401,
      'not_authorised',
      "ACCESS_REFUSED - access to queue 'other' in vhost '/' refused for user 'limited'",
    ],
    [
      'publish',
      ManagementPattern.ExchangesPublish,
      { vhost: '/', name: 'amq.direct', routing_key: 'k', payload: 'p' },
      400,
      'bad_request',
      "403 ACCESS_REFUSED - access to exchange 'amq.direct' in vhost '/' refused for user 'limited'",
    ],
  ])('applies the caller’s permissions to %s', async (_name, pattern, data, status, error, reason) => {
    core.getVhost('/')!.createQueue('other', { durable: false, exclusive: false, autoDelete: false, arguments: {} }, {}, false);
    service.inbox.accept(request('5', pattern, { username: 'limited', remote_address: '127.0.0.1' }, data));
    expect(await replyTo1()).toEqual({ id: '5', err: { status, error, reason } });
  });

  it.each<[string, string, object, string]>([
    ['list users', ManagementPattern.UsersList, {}, 'Not administrator user'],
    ['export definitions', ManagementPattern.DefinitionsExport, {}, 'Not administrator user'],
    ['create a vhost', ManagementPattern.VhostsPut, { vhost: 'x' }, 'Not administrator user'],
  ])('refuses a management user to %s (administrators only)', async (_name, pattern, data, reason) => {
    service.inbox.accept(request('6', pattern, { username: 'limited', remote_address: '127.0.0.1' }, data));
    expect(await replyTo1()).toEqual({ id: '6', err: { status: 401, error: 'not_authorised', reason } });
  });

  it('bounds the management queue: a flood is refused, not buffered without limit', () => {
    const caller = { username: 'guest', remote_address: '127.0.0.1' };
    let refused = 0;
    for (let i = 0; i < MANAGEMENT_QUEUE_ARGUMENTS['x-max-length'] + 100; i++) {
      if (!service.inbox.accept(request(String(i), ManagementPattern.Overview, caller))) refused++;
    }
    expect(refused).toBeGreaterThan(0);
  });
});
