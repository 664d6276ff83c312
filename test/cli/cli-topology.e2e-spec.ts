import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { startTestBroker, type TestBroker } from '@app/testing';
import { startAdminApi, type AdminApi } from '../admin-api/support/admin-stack.js';
import { waitFor } from '../support/wait-for.js';
import { cliFor, startCli, type CliRun } from './support/run-cli.js';

const json = <T = any>(run: CliRun): T => {
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as T;
};

// The `warren` CLI spawned as a process against a real broker and admin API: topology, messages, definitions.
describe('warren CLI: topology, messages and definitions', () => {
  let broker: TestBroker;
  let admin: AdminApi;
  let warren: ReturnType<typeof cliFor>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warren-cli-'));
    broker = await startTestBroker();
    admin = await startAdminApi(broker.managementUrl);
    warren = cliFor(admin.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await admin?.stop();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('declares a queue, an exchange and a binding, and lists them as a table, JSON and TSV', async () => {
    expect(await warren(['declare', 'queue', 'cli.orders', '--arguments', '{"x-max-length":100}'])).toMatchObject({
      code: 0,
      stdout: 'queue declared: cli.orders\n',
    });
    expect((await warren(['declare', 'exchange', 'cli.x', '--type', 'topic'])).code).toBe(0);
    expect(
      (await warren(['declare', 'binding', '--source', 'cli.x', '--destination', 'cli.orders', '--routing-key', 'orders.#'])).code,
    ).toBe(0);

    const table = await warren(['list', 'queues']);
    expect(table.code).toBe(0);
    const [heading, ...lines] = table.stdout.trimEnd().split('\n');
    // The broker reports message rates, so the publish-rate column shows (0 for a queue nothing was published to).
    expect(heading.split(/\s+/)).toEqual([
      'vhost',
      'name',
      'durable',
      'auto_delete',
      'messages',
      'ready',
      'unacked',
      'consumers',
      'publish_rate',
    ]);
    expect(lines.find((line) => line.includes('cli.orders'))?.split(/\s+/)).toEqual([
      '/',
      'cli.orders',
      'true',
      'false',
      '0',
      '0',
      '0',
      '0',
      '0',
    ]);

    const queues = json<{ name: string; arguments: object }[]>(await warren(['list', 'queues', '--vhost', '/', '--format', 'json']));
    expect(queues.find((queue) => queue.name === 'cli.orders')).toMatchObject({ arguments: { 'x-max-length': 100 } });
    const exchanges = json<{ name: string; type: string }[]>(await warren(['--format', 'json', 'list', 'exchanges']));
    expect(exchanges).toContainEqual(expect.objectContaining({ name: 'cli.x', type: 'topic' }));

    const tsv = await warren(['list', 'bindings', '--format', 'tsv']);
    expect(tsv.code).toBe(0);
    expect(tsv.stdout.split('\n')[0]).toBe('vhost\tsource\tdestination\tdestination_type\trouting_key\targuments');
    expect(tsv.stdout).toContain('/\tcli.x\tcli.orders\tqueue\torders.#\t{}');
    expect(broker.bindings({ exchange: 'cli.x' })).toEqual([
      expect.objectContaining({ destination: 'cli.orders', routingKey: 'orders.#' }),
    ]);

    const vhosts = await warren(['list', 'vhosts']);
    expect(vhosts.stdout.split('\n')[1]).toMatch(/^\/\s+\d+\s+false$/);
  }, 120_000);

  it('publishes (argument and stdin), gets with an ack mode, purges, and explains the route', async () => {
    expect(await warren(['publish', '--exchange', 'cli.x', '--routing-key', 'orders.eu', '--header', 'n=1', 'first'])).toMatchObject({
      code: 0,
      stdout: 'message published\n',
    });
    expect(
      await warren(['publish', '--exchange', 'cli.x', '--routing-key', 'orders.us', '--persistent'], { input: 'from stdin' }),
    ).toMatchObject({
      code: 0,
    });
    expect((await warren(['publish', '--exchange', 'cli.x', '--routing-key', 'nowhere', 'lost'])).stdout).toBe(
      'message published but NOT routed\n',
    );
    await broker.waitForQueue('cli.orders', { messages: 2 });
    expect(broker.peek('cli.orders')[0].properties.headers).toEqual({ n: 1 });
    expect(broker.peek('cli.orders')[1].properties.deliveryMode).toBe(2);

    // ack_requeue_true (the default) leaves them; ack_requeue_false takes them.
    const peeked = json<{ payload: string; routing_key: string }[]>(
      await warren(['get', 'cli.orders', '--count', '5', '--format', 'json']),
    );
    expect(peeked.map((message) => message.payload)).toEqual(['first', 'from stdin']);
    expect(broker.count('cli.orders')).toBe(2);
    const taken = await warren(['get', 'cli.orders', '--ackmode', 'ack_requeue_false']);
    expect(taken.code).toBe(0);
    expect(taken.stdout).toMatch(/routing_key\s+exchange\s+message_count\s+payload/);
    expect(taken.stdout).toMatch(/orders\.eu\s+cli\.x\s+1\s+first/);
    expect(broker.count('cli.orders')).toBe(1);

    const explained = await warren(['explain', 'cli.x', '--routing-key', 'orders.eu']);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain("exchange 'cli.x': routed");
    expect(explained.stdout).toMatch(/^ {2}cli\.orders$/m);
    expect(explained.stdout).toContain("via cli.x --[binding 'orders.#']--> cli.orders");
    expect((await warren(['explain', 'cli.x', '--routing-key', 'billing'])).stdout).toContain("exchange 'cli.x': NOT routed");
    expect(json(await warren(['explain', 'cli.x', '--routing-key', 'orders.eu', '--format', 'json']))).toMatchObject({
      routed: true,
      queues: [{ name: 'cli.orders' }],
    });

    expect(await warren(['purge', 'queue', 'cli.orders'])).toMatchObject({ code: 0, stdout: 'queue purged: cli.orders\n' });
    expect(broker.count('cli.orders')).toBe(0);
  }, 120_000);

  it('lists connections, channels and consumers, and closes a connection with a reason', async () => {
    const connection = await amqplib.connect(broker.url, { clientProperties: { connection_name: 'cli-test' } });
    const closed = new Promise<Error | undefined>((resolve) => connection.on('close', resolve));
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    await channel.assertQueue('cli.orders', { arguments: { 'x-max-length': 100 } });
    await channel.consume('cli.orders', () => undefined, { consumerTag: 'cli-consumer' });

    type Listed = { name: string; client_properties?: { connection_name?: string } };
    const isMine = (candidate: Listed) => candidate.client_properties?.connection_name === 'cli-test';
    const connections = json<Listed[]>(await warren(['list', 'connections', '--format', 'json']));
    const mine = connections.find(isMine)!;
    expect(mine).toBeDefined();
    expect((await warren(['list', 'connections'])).stdout).toContain(mine.name);
    expect((await warren(['list', 'channels'])).stdout).toContain(mine.name);
    const consumers = await warren(['list', 'consumers', '--vhost', '/']);
    expect(consumers.stdout).toMatch(/\/\s+cli\.orders\s+cli-consumer/);

    expect(await warren(['close', 'connection', mine.name, '--reason', 'maintenance window'])).toMatchObject({ code: 0, stderr: '' });
    expect((await closed)?.message).toContain('CONNECTION_FORCED - maintenance window');
    await waitFor(async () => (json<Listed[]>(await warren(['list', 'connections', '--format', 'json'])).some(isMine) ? undefined : true), {
      timeoutMs: 20_000,
      what: 'the connection to be gone',
    });
  }, 120_000);

  it('exports definitions and imports a large file with an upload progress bar', async () => {
    const exported = join(dir, 'exported.json');
    expect((await warren(['export', exported])).code).toBe(0);
    expect(JSON.parse(readFileSync(exported, 'utf8')).queues).toContainEqual(expect.objectContaining({ name: 'cli.orders' }));
    const stdout = await warren(['export', '-']);
    expect(JSON.parse(stdout.stdout).exchanges).toContainEqual(expect.objectContaining({ name: 'cli.x' }));

    // About a megabyte: many queues, each with a long argument, so the upload takes many chunks.
    const queues = Array.from({ length: 400 }, (_, index) => ({
      name: `bulk.${index}`,
      vhost: '/',
      durable: true,
      auto_delete: false,
      arguments: { 'x-note': 'n'.repeat(2000) },
    }));
    const big = join(dir, 'big.json');
    writeFileSync(big, JSON.stringify({ queues }));
    const imported = await warren(['import', big, '--progress']);
    expect(imported).toMatchObject({ code: 0, stdout: `definitions imported from ${big}\n` });
    expect(imported.stderr).toContain('uploading [');
    expect(imported.stderr).toMatch(/100% \| (\d+)\/\1 bytes/);
    expect(broker.queue('bulk.399')).toBeDefined();
    expect((await warren(['import', big, '--no-progress'])).stderr).toBe('');
  }, 120_000);

  it('deletes a binding, an exchange and a queue', async () => {
    expect(
      (await warren(['delete', 'binding', '--source', 'cli.x', '--destination', 'cli.orders', '--routing-key', 'orders.#'])).code,
    ).toBe(0);
    expect(broker.bindings({ exchange: 'cli.x' })).toEqual([]);
    expect((await warren(['delete', 'exchange', 'cli.x'])).code).toBe(0);
    expect((await warren(['delete', 'queue', 'cli.orders', '--if-empty'])).code).toBe(0);
    expect(() => broker.queue('cli.orders')).toThrow(/no queue 'cli.orders'/);
  }, 120_000);

  it('top --once shows the busiest queues first, by depth', async () => {
    for (const [queue, count] of [
      ['bulk.1', 3],
      ['bulk.2', 5],
    ] as const) {
      for (let index = 0; index < count; index++) expect((await warren(['publish', '--routing-key', queue, 'x'])).code).toBe(0);
    }
    const top = await warren(['top', '--once', '--limit', '3']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^warren top - .* queues 400,/);
    const rows = top.stdout.split('\n').filter((line) => line.startsWith('/ '));
    expect(rows.map((line) => line.split(/\s+/).slice(1, 3))).toEqual([
      ['bulk.2', '5'],
      ['bulk.1', '3'],
      ['bulk.0', '0'],
    ]);
    const asJson = json<{ name: string; messages: number }[]>(await warren(['top', '--once', '--limit', '1', '--format', 'json']));
    expect(asJson).toEqual([expect.objectContaining({ name: 'bulk.2', messages: 5 })]);
  }, 120_000);

  it('top refreshes until it is stopped, with the depth change as the rate when the broker reports none', async () => {
    const top = startCli(['top', '--interval', '0.5', '--limit', '2', '--vhost', '/'], {
      WARREN_ADMIN_URL: admin.baseUrl,
      WARREN_ADMIN_USER: 'guest',
      WARREN_ADMIN_PASS: 'guest',
    });
    try {
      await waitFor(() => (top.output().match(/warren top - /g)?.length ?? 0) >= 2 || undefined, {
        timeoutMs: 30_000,
        what: 'two refreshes',
      });
      expect(top.output()).toContain('every 0.5s');
      // The broker may still report a publish rate from the messages published just before (its rate window): once
      // that has passed, the rate shown is top's own, the depth's change between refreshes: none.
      await waitFor(() => /^\/\s+bulk\.2\s+5\s+5\s+0\s+0\s+0$/m.test(top.output()) || undefined, {
        timeoutMs: 60_000,
        what: "bulk.2's row with a rate of 0",
      });
    } finally {
      top.signal('SIGTERM');
    }
    expect(await top.exited).toBe(0);
  }, 120_000);
});
