import amqplib, { type ChannelModel } from 'amqplib';
import { startAdminStack, type AdminStack } from './support/admin-stack.js';

const QUEUES = 10_000;

// `GET /api/queues?page=…` with 10,000 queues: the broker filters, sorts and cuts the page, so the answer (and the
// management RPC behind it) carries one page, whatever the number of queues.
describe('admin API: paging 10,000 queues', () => {
  let stack: AdminStack;
  let connection: ChannelModel;

  beforeAll(async () => {
    stack = await startAdminStack();
    connection = await amqplib.connect(stack.amqpUrl);
    const channel = await connection.createChannel();
    const names = Array.from({ length: QUEUES }, (_, i) => `bulk.${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 500)
      await Promise.all(names.slice(i, i + 500).map((name) => channel.assertQueue(name, { durable: false })));
    channel.sendToQueue('bulk.04242', Buffer.from('a'));
    channel.sendToQueue('bulk.04242', Buffer.from('b'));
    channel.sendToQueue('bulk.00007', Buffer.from('c'));
    await channel.checkQueue('bulk.04242');
    await channel.close();
  }, 300_000);

  afterAll(async () => {
    await connection?.close();
    await stack?.stop();
  }, 60_000);

  it('answers one page with RabbitMQ’s counts', async () => {
    const response = await stack.api('GET', '/api/queues?page=3&page_size=50&sort=name');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      page: 3,
      page_size: 50,
      item_count: 50,
      filtered_count: QUEUES,
      total_count: QUEUES,
      page_count: 200,
    });
    expect(response.body.items[0]).toMatchObject({ name: 'bulk.00100', vhost: '/', messages: 0 });
    const vhost = await stack.api('GET', '/api/queues/%2F?page=200&page_size=50&sort=name&sort_reverse=true');
    expect(vhost.body.items.at(-1).name).toBe('bulk.00000');
  });

  it('filters by name or regex and sorts by depth before cutting the page', async () => {
    const deepest = await stack.api('GET', '/api/queues?page=1&page_size=2&sort=messages&sort_reverse=true');
    expect(deepest.body.items.map((q: { name: string; messages: number }) => [q.name, q.messages])).toEqual([
      ['bulk.04242', 2],
      ['bulk.00007', 1],
    ]);
    const byName = await stack.api('GET', '/api/queues?page=1&page_size=100&name=BULK.0424');
    expect(byName.body).toMatchObject({ filtered_count: 10, total_count: QUEUES });
    const byRegex = await stack.api('GET', '/api/queues?page=1&name=%5Ebulk%5C.0000%5B12%5D%24&use_regex=true');
    expect(byRegex.body.items.map((q: { name: string }) => q.name)).toEqual(['bulk.00001', 'bulk.00002']);
    const beyond = await stack.api('GET', '/api/queues?page=999&page_size=50');
    expect(beyond.body).toMatchObject({ item_count: 0, items: [], page_count: 200 });
  });

  it('refuses a bad regex or page size with 400', async () => {
    const regex = await stack.api('GET', '/api/queues?page=1&name=(&use_regex=true');
    expect(regex).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect(regex.body.reason).toContain('invalid regex');
    expect((await stack.api('GET', '/api/queues?page=1&page_size=501')).status).toBe(400);
    expect((await stack.api('GET', '/api/queues?page=0')).status).toBe(400);
  });
});
