import { startAdminStack, type AdminStack } from './support/admin-stack.js';

// Definitions import is all-or-nothing: the whole document is validated (limits included) before anything changes.
describe('admin API: POST /api/definitions against the queue limit', () => {
  let stack: AdminStack;

  beforeAll(async () => {
    stack = await startAdminStack({ WARREN_MAX_QUEUES_PER_VHOST: '2' });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('refuses three queues and an exchange with WARREN_MAX_QUEUES_PER_VHOST=2, naming the limit, and creates none of them', async () => {
    const response = await stack.api('POST', '/api/definitions', {
      exchanges: [{ name: 'orders', vhost: '/', type: 'topic', durable: true, auto_delete: false, internal: false, arguments: {} }],
      queues: ['q1', 'q2', 'q3'].map((name) => ({ name, vhost: '/', durable: true, auto_delete: false, arguments: {} })),
      bindings: [{ source: 'orders', vhost: '/', destination: 'q1', destination_type: 'queue', routing_key: '#', arguments: {} }],
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.body.reason).toContain("queue limit in vhost '/' (2) is reached");

    expect((await stack.api('GET', '/api/exchanges/%2F/orders')).status).toBe(404);
    for (const name of ['q1', 'q2', 'q3']) expect((await stack.api('GET', `/api/queues/%2F/${name}`)).status).toBe(404);
    expect((await stack.api('GET', '/api/queues')).body).toEqual([]);
  });

  it('imports a document within the limit', async () => {
    const response = await stack.api('POST', '/api/definitions', {
      queues: ['q1', 'q2'].map((name) => ({ name, vhost: '/', durable: true, auto_delete: false, arguments: {} })),
    });
    expect(response.status).toBe(204);
    expect(((await stack.api('GET', '/api/queues')).body as { name: string }[]).map((q) => q.name).sort()).toEqual(['q1', 'q2']);
  });
});
