import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib, { type Channel, type ConsumeMessage } from 'amqplib';
import pg from 'pg';
import { spawnBrokerProcess, type BrokerProcess } from '../support/broker-process.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { waitFor } from '../support/wait-for.js';

const QUEUE = 'billing';

/**
 * A real broker (apps/broker, as `npm run dev:broker` runs it) on WARREN_STORE=postgres over a throwaway cluster:
 * persistent messages confirmed to a durable queue come back after a clean restart and after kill -9, with their
 * bodies and `redelivered` flags as on LevelDB; topology and users survive.
 */
describe('broker on PostgreSQL storage', () => {
  let cluster: PostgresCluster;
  let dataDir: string;
  let broker: BrokerProcess | undefined;
  let databases = 0;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    // Unused by the postgres store; set so nothing is written to the working directory.
    dataDir = mkdtempSync(join(tmpdir(), 'warren-pg-e2e-'));
  }, 180_000);

  afterEach(async () => {
    await stop('SIGTERM');
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 180_000);

  async function stop(signal: NodeJS.Signals): Promise<void> {
    const running = broker;
    broker = undefined;
    if (running === undefined || running.child.exitCode !== null || running.child.signalCode !== null) return;
    running.child.kill(signal);
    await running.exited;
  }

  async function start(databaseUrl: string, env: Record<string, string> = {}): Promise<number> {
    broker = spawnBrokerProcess({ WARREN_STORE: 'postgres', WARREN_POSTGRES_URL: databaseUrl, WARREN_DATA_DIR: dataDir, ...env });
    return broker.port(60_000);
  }

  /** Consumes everything the queue holds (acking it) and returns id → [body, redelivered]. */
  async function drain(channel: Channel): Promise<Map<string, [string, boolean]>> {
    const { messageCount } = await channel.checkQueue(QUEUE);
    const back = new Map<string, [string, boolean]>();
    await channel.consume(QUEUE, (message: ConsumeMessage | null) => {
      if (!message) return;
      back.set(message.properties.messageId as string, [message.content.toString(), message.fields.redelivered]);
      channel.ack(message);
    });
    await waitFor(() => back.size >= messageCount, { timeoutMs: 30_000, what: 'the drain' });
    return back;
  }

  it('keeps topology, users, persistent messages and redelivered flags across a clean restart', async () => {
    const databaseUrl = await cluster.createDatabase(`restart_${++databases}`);
    // First start: the stored administrator is alice; a later start must not create guest next to her.
    // A small window: most bodies are paged out to PostgreSQL and read back, before and after the restart.
    const paging = { WARREN_QUEUE_WINDOW_MESSAGES: '20' };
    let port = await start(databaseUrl, { ...paging, WARREN_DEFAULT_USER: 'alice', WARREN_DEFAULT_PASS: 'wonderland' });
    const url = `amqp://alice:wonderland@127.0.0.1:${port}`;
    const publisher = await amqplib.connect(url);
    const channel = await publisher.createConfirmChannel();
    await channel.assertExchange('orders', 'topic', { durable: true });
    await channel.assertQueue(QUEUE, { durable: true });
    await channel.bindQueue(QUEUE, 'orders', 'order.*');
    for (let i = 0; i < 200; i++) {
      channel.publish('orders', 'order.created', Buffer.from(`body ${i} `.repeat(1 + (i % 50))), { persistent: true, messageId: `m${i}` });
    }
    await channel.waitForConfirms();
    // Five deliveries left unacked when the broker stops: they must come back flagged.
    const consumer = await amqplib.connect(url);
    const consuming = await consumer.createChannel();
    await consuming.prefetch(5);
    const unacked: string[] = [];
    await consuming.consume(QUEUE, (message) => message && unacked.push(message.properties.messageId as string));
    await waitFor(() => unacked.length === 5, { timeoutMs: 30_000, what: 'five deliveries' });
    await consumer.close();
    await publisher.close();
    await stop('SIGTERM');
    // In the database, not in a data directory: the messages and the topology are rows of Warren's tables.
    const sql = new pg.Client({ connectionString: databaseUrl });
    await sql.connect();
    const counts = await sql.query(
      "SELECT (SELECT count(*) FROM warren_messages)::int AS messages, (SELECT count(*) FROM warren_metadata WHERE kind = 'user')::int AS users",
    );
    await sql.end();
    expect(counts.rows[0]).toEqual({ messages: 200, users: 1 });

    port = await start(databaseUrl, paging);
    await expect(amqplib.connect(`amqp://guest:guest@127.0.0.1:${port}`)).rejects.toThrow(/ACCESS.REFUSED/);
    const again = await amqplib.connect(`amqp://alice:wonderland@127.0.0.1:${port}`);
    const checking = await again.createConfirmChannel();
    // The binding survived: a new message routed through the stored exchange reaches the stored queue.
    checking.publish('orders', 'order.paid', Buffer.from('after restart'), { persistent: true, messageId: 'after' });
    await checking.waitForConfirms();
    const back = await drain(checking);
    expect(back.size).toBe(201);
    for (let i = 0; i < 200; i++) {
      const [body, redelivered] = back.get(`m${i}`)!;
      expect(body).toBe(`body ${i} `.repeat(1 + (i % 50)));
      expect(redelivered).toBe(unacked.includes(`m${i}`));
    }
    expect(back.get('after')).toEqual(['after restart', false]);
    await again.close();
  });

  it('loses no confirmed message and flags every received one when killed with -9', async () => {
    const databaseUrl = await cluster.createDatabase(`kill_${++databases}`);
    let port = await start(databaseUrl);
    const url = `amqp://guest:guest@127.0.0.1:${port}`;
    const publisher = await amqplib.connect(url);
    publisher.on('error', () => undefined);
    const channel = await publisher.createConfirmChannel();
    channel.on('error', () => undefined);
    await channel.assertQueue(QUEUE, { durable: true });
    const confirmed = new Set<string>();
    let next = 0;
    const publish = (): boolean => {
      const id = `m${next++}`;
      try {
        channel.sendToQueue(QUEUE, Buffer.from(`payload of ${id}`), { persistent: true, messageId: id }, (error) => {
          if (!error) confirmed.add(id);
        });
        return true;
      } catch {
        return false; // the broker is gone
      }
    };
    for (let i = 0; i < 1000; i++) publish();
    await channel.waitForConfirms();

    // Publishing goes on (transactions in flight) while a consumer receives without acking; then kill -9.
    let isKilled = false;
    const publishing = (async () => {
      while (!isKilled && publish()) await new Promise((resolve) => setImmediate(resolve));
    })();
    const consumer = await amqplib.connect(url);
    consumer.on('error', () => undefined);
    const consuming = await consumer.createChannel();
    consuming.on('error', () => undefined);
    await consuming.prefetch(200);
    const received = new Set<string>();
    await consuming.consume(QUEUE, (message) => {
      if (!message || isKilled) return;
      received.add(message.properties.messageId as string);
      if (received.size === 150) {
        isKilled = true;
        broker!.child.kill('SIGKILL');
      }
    });
    await waitFor(() => isKilled, { timeoutMs: 30_000, what: 'deliveries before the kill' });
    await broker!.exited;
    broker = undefined;
    await publishing;

    port = await start(databaseUrl);
    const checker = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${port}`);
    const back = await drain(await checker.createChannel());
    await checker.close();
    expect([...confirmed].filter((id) => !back.has(id))).toEqual([]);
    // Every received message that came back is flagged (one that did not was never confirmed: checked above).
    expect([...received].filter((id) => back.has(id) && back.get(id)![1] !== true)).toEqual([]);
    expect([...received].filter((id) => back.has(id)).length).toBeGreaterThanOrEqual(150);
    for (const [id, [body]] of back) expect(body).toBe(`payload of ${id}`);
  });

  it('refuses a second broker on the same schema in single-node (exclusive) mode', async () => {
    const databaseUrl = await cluster.createDatabase(`exclusive_${++databases}`);
    await start(databaseUrl);
    const second = spawnBrokerProcess({ WARREN_STORE: 'postgres', WARREN_POSTGRES_URL: databaseUrl, WARREN_DATA_DIR: dataDir });
    const code = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toContain('another Warren broker uses PostgreSQL schema "public"');
  });

  it('pages transient and persistent bodies of a deep queue through the database', async () => {
    const databaseUrl = await cluster.createDatabase(`paging_${++databases}`);
    const port = await start(databaseUrl, { WARREN_QUEUE_WINDOW_MESSAGES: '20' });
    const connection = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${port}`);
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(QUEUE, { durable: true });
    for (let i = 0; i < 600; i++) {
      const persistent = i % 2 === 0;
      channel.sendToQueue(QUEUE, Buffer.from(`${persistent ? 'p' : 't'} ${i}`), { persistent, messageId: `m${i}` });
    }
    await channel.waitForConfirms();
    // Past the window, transient bodies go to the UNLOGGED spill table, persistent ones are rows anyway.
    const sql = new pg.Client({ connectionString: databaseUrl });
    await sql.connect();
    const count = async (table: string): Promise<number> => (await sql.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
    try {
      await waitFor(async () => (await count('warren_spill')) > 200, { timeoutMs: 30_000, what: 'transient bodies spilled' });
      expect(await count('warren_messages')).toBe(300);
    } finally {
      await sql.end();
    }
    const back = await drain(channel);
    expect(back.size).toBe(600);
    for (let i = 0; i < 600; i++) expect(back.get(`m${i}`)).toEqual([`${i % 2 === 0 ? 'p' : 't'} ${i}`, false]);
    await connection.close();
  });
});
