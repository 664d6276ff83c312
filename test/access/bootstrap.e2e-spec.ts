import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AMQPClient } from '@cloudamqp/amqp-client';
import amqplib from 'amqplib';
import { spawnBrokerProcess, type BrokerProcess } from '../support/broker-process.js';
import { channelError } from '../support/amqp-helpers.js';

/** A password hashed the way RabbitMQ's rabbit_password_hashing_sha256 does: base64(salt(4) ‖ sha256(salt ‖ password)). */
function rabbitSha256(password: string): string {
  const salt = randomBytes(4);
  const digest = createHash('sha256').update(salt).update(Buffer.from(password, 'utf8')).digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

// The first administrator and a definitions file, in a spawned broker that is killed with SIGKILL and restarted.
describe('bootstrap', () => {
  let dir: string;
  let broker: BrokerProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warren-bootstrap-'));
  });

  afterEach(async () => {
    broker?.child.kill('SIGKILL');
    await broker?.exited;
    broker = undefined;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<(user: string, password: string, vhost?: string) => string> {
    broker = spawnBrokerProcess(env);
    const port = await broker.port();
    return (user, password, vhost = '/') => `amqp://${user}:${password}@127.0.0.1:${port}/${encodeURIComponent(vhost)}`;
  }

  async function kill(): Promise<void> {
    broker!.child.kill('SIGKILL');
    await broker!.exited;
    broker = undefined;
  }

  it('creates WARREN_DEFAULT_USER as an administrator with full permissions on the first start only', async () => {
    const dataDir = join(dir, 'default-user');
    let url = await start({ WARREN_DATA_DIR: dataDir, WARREN_DEFAULT_USER: 'admin', WARREN_DEFAULT_PASS: 's3cret' });
    const admin = await amqplib.connect(url('admin', 's3cret'));
    const channel = await admin.createChannel();
    await channel.assertQueue('anything', { durable: true });
    await admin.close();
    await expect(amqplib.connect(url('guest', 'guest'))).rejects.toThrow(/ACCESS.REFUSED/);
    await kill();

    url = await start({ WARREN_DATA_DIR: dataDir, WARREN_DEFAULT_USER: 'someone', WARREN_DEFAULT_PASS: 'else' });
    await expect(amqplib.connect(url('someone', 'else'))).rejects.toThrow(/ACCESS.REFUSED/);
    const again = await amqplib.connect(url('admin', 's3cret'));
    await (await again.createChannel()).checkQueue('anything');
    await again.close();
  });

  it('imports users with RabbitMQ hashes, vhosts, permissions and topology from WARREN_DEFINITIONS_FILE, durably', async () => {
    const dataDir = join(dir, 'definitions');
    const file = join(dir, 'definitions.json');
    await writeFile(
      file,
      JSON.stringify({
        rabbit_version: '3.13.0',
        users: [
          {
            name: 'bob',
            password_hash: rabbitSha256('bob-password'),
            hashing_algorithm: 'rabbit_password_hashing_sha256',
            tags: 'management',
          },
          {
            name: 'ops',
            password_hash: rabbitSha256('ops-pass'),
            hashing_algorithm: 'rabbit_password_hashing_sha256',
            tags: ['administrator'],
          },
        ],
        vhosts: [{ name: 'orders' }],
        permissions: [
          { user: 'bob', vhost: 'orders', configure: '^bob\\.', write: '.*', read: '.*' },
          { user: 'ops', vhost: '/', configure: '.*', write: '.*', read: '.*' },
        ],
        topic_permissions: [{ user: 'bob', vhost: 'orders', exchange: 'amq.topic', write: '^bob\\.', read: '.*' }],
        exchanges: [
          { name: 'bob.events', vhost: 'orders', type: 'topic', durable: true, auto_delete: false, internal: false, arguments: {} },
        ],
        queues: [{ name: 'bob.inbox', vhost: 'orders', durable: true, auto_delete: false, arguments: {} }],
        bindings: [
          { source: 'bob.events', vhost: 'orders', destination: 'bob.inbox', destination_type: 'queue', routing_key: '#', arguments: {} },
        ],
      }),
    );
    let url = await start({ WARREN_DATA_DIR: dataDir, WARREN_DEFINITIONS_FILE: file });
    const bob = await amqplib.connect(url('bob', 'bob-password', 'orders'));
    bob.on('error', () => undefined);
    const channel = await bob.createConfirmChannel();
    channel.publish('bob.events', 'any', Buffer.from('hello'), { persistent: true });
    await channel.waitForConfirms();
    expect((await channel.checkQueue('bob.inbox')).messageCount).toBe(1);
    const refused = await channelError(bob, (c) => c.assertQueue('other', { durable: false }));
    expect(refused.message).toContain("access to queue 'other' in vhost 'orders' refused for user 'bob'");
    const topic = await channelError(bob, async (c) => {
      c.publish('amq.topic', 'alice.x', Buffer.from('no'));
      await c.checkQueue('bob.inbox');
    });
    expect(topic.message).toContain("write access to topic 'alice.x' in exchange 'amq.topic' in vhost 'orders' refused for user 'bob'");
    await bob.close();
    // A definitions file with users means no default user (RabbitMQ does the same).
    await expect(amqplib.connect(url('guest', 'guest'))).rejects.toThrow(/ACCESS.REFUSED/);
    await expect(new AMQPClient(url('bob', 'bob-password')).connect()).rejects.toThrow(
      "NOT_ALLOWED - access to vhost '/' refused for user 'bob' (530)",
    );
    await kill();

    // Without the file, after SIGKILL: everything imported is still there.
    url = await start({ WARREN_DATA_DIR: dataDir });
    const again = await amqplib.connect(url('bob', 'bob-password', 'orders'));
    expect((await (await again.createChannel()).checkQueue('bob.inbox')).messageCount).toBe(1);
    await again.close();
    await expect(amqplib.connect(url('bob', 'wrong', 'orders'))).rejects.toThrow(/ACCESS.REFUSED/);
    const ops = await amqplib.connect(url('ops', 'ops-pass'));
    await ops.close();
  });

  it('refuses to start with a definitions file it cannot import, naming it', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ users: [{ name: 'x', password_hash: 'AAAA', hashing_algorithm: 'rabbit_password_hashing_sha256' }] }),
    );
    broker = spawnBrokerProcess({ WARREN_DATA_DIR: join(dir, 'bad'), WARREN_DEFINITIONS_FILE: file });
    expect(await broker.exited).not.toBe(0);
    expect(broker.output()).toContain(`definitions file ${file}`);
    broker = undefined;
  });
});
