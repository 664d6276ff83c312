import { AMQPClient } from '@cloudamqp/amqp-client';
import amqplib, { type ChannelModel } from 'amqplib';
import { rabbitPasswordHash } from '@app/broker-core';
import { startAdminStack, type AdminStack } from './support/admin-stack.js';

/** The error amqplib reports when the broker closes the connection. */
function closed(connection: ChannelModel): Promise<{ code: number; message: string }> {
  return new Promise((resolve) => connection.on('close', (error: { code: number; message: string }) => resolve(error)));
}

// Users, permissions and vhosts managed over the admin API (RabbitMQ's routes and shapes), then used over AMQP.
describe('admin API: users, permissions and vhosts', () => {
  let stack: AdminStack;
  const amqpUrl = (user: string, password: string, vhost = '/'): string =>
    stack.amqpUrl.replace('guest:guest', `${user}:${encodeURIComponent(password)}`) + `/${encodeURIComponent(vhost)}`;
  const full = { configure: '.*', write: '.*', read: '.*' };

  beforeAll(async () => {
    stack = await startAdminStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('creates (201), shows, updates (204) and deletes (204) a user; 404 once gone', async () => {
    expect((await stack.api('PUT', '/api/users/carol', { password: 'carol-first-secret', tags: 'monitoring,management' })).status).toBe(
      201,
    );
    const carol = (await stack.api('GET', '/api/users/carol')).body;
    expect(carol).toEqual({
      name: 'carol',
      password_hash: expect.any(String),
      hashing_algorithm: 'warren_password_hashing_scrypt',
      tags: ['monitoring', 'management'],
      limits: {},
    });
    expect(JSON.stringify(carol)).not.toContain('carol-first-secret');
    expect((await stack.api('PUT', '/api/users/carol', { password: 'c2', tags: ['administrator'] })).status).toBe(204);
    expect((await stack.api('GET', '/api/users')).body.map((user: { name: string }) => user.name)).toEqual(
      expect.arrayContaining(['guest', 'carol']),
    );
    expect((await stack.api('GET', '/api/users/without-permissions')).body.map((user: { name: string }) => user.name)).toContain('carol');
    expect((await stack.api('GET', '/api/whoami', undefined, { auth: 'carol:c2' })).body).toEqual({
      name: 'carol',
      tags: ['administrator'],
      is_internal_user: true,
    });
    expect((await stack.api('DELETE', '/api/users/carol')).status).toBe(204);
    expect((await stack.api('GET', '/api/users/carol')).status).toBe(404);
    expect((await stack.api('DELETE', '/api/users/carol')).status).toBe(404);
  });

  it('refuses bad user bodies with 400 in RabbitMQ’s shape', async () => {
    const both = await stack.api('PUT', '/api/users/dave', { password: 'x', password_hash: rabbitPasswordHash('x') });
    expect(both).toMatchObject({ status: 400, body: { error: 'bad_request', reason: 'both_password_and_password_hash_are_provided' } });
    const badHash = await stack.api('PUT', '/api/users/dave', { password_hash: 'not-a-hash' });
    expect(badHash).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    const badTags = await stack.api('PUT', '/api/users/dave', { password: 'x', tags: [1, 2] });
    expect(badTags).toMatchObject({ status: 400, body: { error: 'bad_request', reason: expect.stringContaining('tags') } });
    const badAlgorithm = await stack.api('PUT', '/api/users/dave', { password_hash: 'abc', hashing_algorithm: 'rot13' });
    expect(badAlgorithm.status).toBe(400);
    expect((await stack.api('GET', '/api/users/dave')).status).toBe(404);
  });

  it('logs a user created over HTTP in over AMQP, with a password or a RabbitMQ hash; deleting it closes its connection', async () => {
    expect((await stack.api('PUT', '/api/users/erin', { password_hash: rabbitPasswordHash('from-rabbit'), tags: '' })).status).toBe(201);
    expect((await stack.api('PUT', '/api/permissions/%2F/erin', full)).status).toBe(201);
    const connection = await amqplib.connect(amqpUrl('erin', 'from-rabbit'));
    const gone = closed(connection);
    expect((await stack.api('DELETE', '/api/users/erin')).status).toBe(204);
    expect(await gone).toMatchObject({ code: 320, message: expect.stringContaining("user 'erin' was deleted") });
    await expect(amqplib.connect(amqpUrl('erin', 'from-rabbit'))).rejects.toThrow(/403|ACCESS.REFUSED/);
  });

  it('grants permissions over HTTP that AMQP then enforces with RabbitMQ’s 403 text', async () => {
    expect((await stack.api('PUT', '/api/users/bob', { password: 'bob' })).status).toBe(201);
    const put = await stack.api('PUT', '/api/permissions/%2F/bob', { configure: '^bob\\.', write: '^bob\\.', read: '^bob\\.' });
    expect(put.status).toBe(201);
    expect((await stack.api('GET', '/api/permissions/%2F/bob')).body).toEqual({
      user: 'bob',
      vhost: '/',
      configure: '^bob\\.',
      write: '^bob\\.',
      read: '^bob\\.',
    });
    expect((await stack.api('GET', '/api/users/bob/permissions')).body).toHaveLength(1);
    expect((await stack.api('GET', '/api/vhosts/%2F/permissions')).body.map((entry: { user: string }) => entry.user)).toContain('bob');
    const connection = await amqplib.connect(amqpUrl('bob', 'bob'));
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined); // the 403 also reaches the channel's 'error'
      await channel.assertQueue('bob.q');
      await expect(channel.assertQueue('other')).rejects.toThrow(
        "403 (ACCESS-REFUSED) with message \"ACCESS_REFUSED - access to queue 'other' in vhost '/' refused for user 'bob'\"",
      );
      // Replaced (204): now `other` may be declared on a new channel of the same connection.
      expect((await stack.api('PUT', '/api/permissions/%2F/bob', full)).status).toBe(204);
      const second = await connection.createChannel();
      await second.assertQueue('other', { durable: false });
      await second.close();
    } finally {
      await connection.close().catch(() => undefined);
    }
    expect((await stack.api('DELETE', '/api/permissions/%2F/bob')).status).toBe(204);
    expect((await stack.api('GET', '/api/permissions/%2F/bob')).status).toBe(404);
    await expect(new AMQPClient(amqpUrl('bob', 'bob')).connect()).rejects.toThrow(
      "NOT_ALLOWED - access to vhost '/' refused for user 'bob' (530)",
    );
  });

  it('answers permission PUTs naming a missing user or vhost with 400 vhost_or_user_not_found, a bad regex with 400', async () => {
    expect(await stack.api('PUT', '/api/permissions/%2F/nobody', full)).toMatchObject({
      status: 400,
      body: { error: 'bad_request', reason: 'vhost_or_user_not_found' },
    });
    expect((await stack.api('PUT', '/api/permissions/nowhere/guest', full)).status).toBe(400);
    expect((await stack.api('PUT', '/api/permissions/%2F/guest', { configure: '(', write: '.*', read: '.*' })).status).toBe(400);
    expect((await stack.api('PUT', '/api/permissions/%2F/guest', { configure: '.*', write: '.*' })).body.reason).toContain('read');
  });

  it('manages topic permissions: PUT per exchange, GET per user and vhost, DELETE all of them', async () => {
    expect((await stack.api('PUT', '/api/users/tess', { password: 'tess' })).status).toBe(201);
    expect((await stack.api('PUT', '/api/permissions/%2F/tess', full)).status).toBe(201);
    const topic = { exchange: 'amq.topic', write: '^{username}\\.', read: '.*' };
    expect((await stack.api('PUT', '/api/topic-permissions/%2F/tess', topic)).status).toBe(201);
    expect((await stack.api('PUT', '/api/topic-permissions/%2F/tess', topic)).status).toBe(204);
    expect((await stack.api('GET', '/api/topic-permissions/%2F/tess')).body).toEqual([{ user: 'tess', vhost: '/', ...topic }]);
    expect((await stack.api('GET', '/api/users/tess/topic-permissions')).body).toHaveLength(1);
    expect((await stack.api('GET', '/api/vhosts/%2F/topic-permissions')).body).toHaveLength(1);
    expect((await stack.api('GET', '/api/topic-permissions')).body).toHaveLength(1);
    const connection = await amqplib.connect(amqpUrl('tess', 'tess'));
    try {
      const channel = await connection.createChannel();
      const refused = new Promise<Error>((resolve) => channel.on('error', resolve));
      channel.publish('amq.topic', 'someone.else', Buffer.from('x'));
      expect((await refused).message).toContain(
        "write access to topic 'someone.else' in exchange 'amq.topic' in vhost '/' refused for user 'tess'",
      );
    } finally {
      await connection.close().catch(() => undefined);
    }
    expect((await stack.api('DELETE', '/api/topic-permissions/%2F/tess')).status).toBe(204);
    expect((await stack.api('GET', '/api/topic-permissions/%2F/tess')).status).toBe(404);
  });

  it('creates (201, then 204) and deletes a vhost; deleting closes its connections; `/` cannot be deleted', async () => {
    expect((await stack.api('PUT', '/api/vhosts/team-a', {})).status).toBe(201);
    expect((await stack.api('PUT', '/api/vhosts/team-a', { description: 'ignored' })).status).toBe(204);
    expect((await stack.api('GET', '/api/vhosts/team-a')).body).toMatchObject({ name: 'team-a', messages: 0, tags: [] });
    expect((await stack.api('PUT', '/api/permissions/team-a/guest', full)).status).toBe(201);
    const connection = await amqplib.connect(`${stack.amqpUrl}/team-a`);
    const gone = closed(connection);
    expect((await stack.api('DELETE', '/api/vhosts/team-a')).status).toBe(204);
    expect(await gone).toMatchObject({ code: 320 });
    expect((await stack.api('GET', '/api/vhosts/team-a')).status).toBe(404);
    expect((await stack.api('DELETE', '/api/vhosts/team-a')).status).toBe(404);
    expect((await stack.api('DELETE', '/api/vhosts/%2F')).status).toBe(400);
  });
});
