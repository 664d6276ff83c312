import { startAdminStack, type AdminStack } from './support/admin-stack.js';

// RabbitMQ's `/api/nodes`: the one node's memory, disk, descriptors and listeners, read by tools and the console's overview.
describe('admin API: /api/nodes', () => {
  let stack: AdminStack;

  beforeAll(async () => {
    stack = await startAdminStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('lists the node with its memory, disk, file descriptors and listeners', async () => {
    const response = await stack.api('GET', '/api/nodes');
    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(1);
    const [node] = response.body;
    expect(node).toMatchObject({ type: 'disc', running: true, mem_alarm: false, disk_free_alarm: false });
    expect(node.mem_used).toBeGreaterThan(0);
    expect(node.mem_limit).toBeGreaterThan(0);
    expect(node.disk_free).toBeGreaterThan(0);
    expect(node.disk_free_limit).toBeGreaterThan(0);
    expect(node.fd_used).toBeGreaterThan(0);
    // The admin API's own management link is the one open connection the node counts here.
    expect(node.sockets_used).toBeGreaterThanOrEqual(0);
    const amqpPort = Number(new URL(stack.amqpUrl).port);
    expect(node.listeners).toEqual(expect.arrayContaining([expect.objectContaining({ protocol: 'amqp', port: amqpPort })]));
  });

  it('answers one node by name, 404 for another, and the overview names the same node and listeners', async () => {
    const [node] = (await stack.api('GET', '/api/nodes')).body;
    expect((await stack.api('GET', `/api/nodes/${encodeURIComponent(node.name)}`)).body.name).toBe(node.name);
    expect((await stack.api('GET', '/api/nodes/rabbit%40elsewhere')).status).toBe(404);
    const overview = (await stack.api('GET', '/api/overview')).body;
    expect(overview.node).toBe(node.name);
    expect(overview.listeners).toEqual(node.listeners);
  });
});
