import { AMQPClient } from '@cloudamqp/amqp-client';
import amqplib from 'amqplib';
import { rabbitPasswordHash } from '@app/broker-core';
import { startAdminStack, type AdminStack } from './support/admin-stack.js';

type Entry = Record<string, unknown>;

const byJson = (entries: Entry[]): Entry[] => [...entries].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

// Definitions carry users (with their password hashes), vhosts, permissions and topic permissions as RabbitMQ
// exports them: imported into a fresh broker, every user logs in with its old password and keeps its grants.
describe('admin API: definitions with users, vhosts and permissions', () => {
  let source: AdminStack;
  let target: AdminStack;

  beforeAll(async () => {
    [source, target] = await Promise.all([startAdminStack(), startAdminStack()]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  }, 60_000);

  it('round-trips users, vhosts, permissions and topic permissions into a fresh broker, where the users log in', async () => {
    const full = { configure: '.*', write: '.*', read: '.*' };
    expect((await source.api('PUT', '/api/vhosts/team', {})).status).toBe(201);
    expect((await source.api('PUT', '/api/users/alice', { password: 'alice-secret', tags: ['management'] })).status).toBe(201);
    const rabbitHash = rabbitPasswordHash('from-rabbitmq');
    expect((await source.api('PUT', '/api/users/rita', { password_hash: rabbitHash, tags: '' })).status).toBe(201);
    expect((await source.api('PUT', '/api/permissions/team/alice', full)).status).toBe(201);
    expect((await source.api('PUT', '/api/permissions/team/rita', { configure: '^rita\\.', write: '.*', read: '.*' })).status).toBe(201);
    const topic = { exchange: 'amq.topic', write: '^{username}\\.', read: '.*' };
    expect((await source.api('PUT', '/api/topic-permissions/team/alice', topic)).status).toBe(201);
    // Administrators too need permissions in a vhost to declare there.
    expect((await source.api('PUT', '/api/queues/team/work', { durable: true })).status).toBe(401);
    expect((await source.api('PUT', '/api/permissions/team/guest', full)).status).toBe(201);
    expect((await source.api('PUT', '/api/queues/team/work', { durable: true })).status).toBe(201);

    const exported = (await source.api<Record<string, Entry[]>>('GET', '/api/definitions')).body;
    expect(exported.users).toEqual(
      expect.arrayContaining([
        { name: 'rita', password_hash: rabbitHash, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: [], limits: {} },
        expect.objectContaining({ name: 'alice', hashing_algorithm: 'warren_password_hashing_scrypt', tags: ['management'] }),
      ]),
    );
    expect(exported.vhosts.map((vhost) => vhost.name).sort()).toEqual(['/', 'team']);
    expect(exported.permissions).toContainEqual({ user: 'rita', vhost: 'team', configure: '^rita\\.', write: '.*', read: '.*' });
    expect(exported.topic_permissions).toEqual([{ user: 'alice', vhost: 'team', ...topic }]);
    expect(JSON.stringify(exported)).not.toContain('alice-secret');

    expect((await target.api('POST', '/api/definitions', exported)).status).toBe(204);
    const reexported = (await target.api<Record<string, Entry[]>>('GET', '/api/definitions')).body;
    for (const key of ['users', 'vhosts', 'permissions', 'topic_permissions', 'queues']) {
      expect(byJson(reexported[key])).toEqual(byJson(exported[key]));
    }

    // The same passwords log in over AMQP on the target, with the same permissions.
    const port = new URL(target.amqpUrl).port;
    const alice = await amqplib.connect(`amqp://alice:alice-secret@127.0.0.1:${port}/team`);
    await alice.close();
    const rita = new AMQPClient(`amqp://rita:from-rabbitmq@127.0.0.1:${port}/team`);
    await rita.connect();
    try {
      const channel = await rita.channel();
      await channel.queueDeclare('rita.q');
      await expect((await rita.channel()).queueDeclare('not-rita')).rejects.toThrow(
        "ACCESS_REFUSED - access to queue 'not-rita' in vhost 'team' refused for user 'rita'",
      );
    } finally {
      await rita.close();
    }
    // The admin API logs alice in with her old password too (a management user).
    expect((await target.api('GET', '/api/whoami', undefined, { auth: 'alice:alice-secret' })).body).toMatchObject({ name: 'alice' });
  });

  it('exports and imports one vhost’s topology without vhost fields or users', async () => {
    expect((await source.api('PUT', '/api/vhosts/solo', {})).status).toBe(201);
    expect((await source.api('PUT', '/api/permissions/solo/guest', { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
    expect((await source.api('PUT', '/api/exchanges/solo/ev', { type: 'fanout' })).status).toBe(201);
    expect((await source.api('PUT', '/api/queues/solo/inbox', {})).status).toBe(201);
    expect((await source.api('POST', '/api/bindings/solo/e/ev/q/inbox', {})).status).toBe(201);
    const exported = (await source.api<Record<string, Entry[]>>('GET', '/api/definitions/solo')).body;
    expect(exported.users).toBeUndefined();
    expect(exported.queues).toEqual([{ name: 'inbox', durable: true, auto_delete: false, arguments: {} }]);
    expect(exported.bindings).toHaveLength(1);

    expect((await target.api('PUT', '/api/vhosts/copy', {})).status).toBe(201);
    expect((await target.api('PUT', '/api/permissions/copy/guest', { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
    expect((await target.api('POST', '/api/definitions/copy', exported)).status).toBe(204);
    expect((await target.api('GET', '/api/queues/copy/inbox')).status).toBe(200);
    expect((await target.api('GET', '/api/bindings/copy')).body.map((binding: Entry) => binding.source)).toContain('ev');
    expect((await target.api('GET', '/api/definitions/missing')).status).toBe(404);
  });
});
