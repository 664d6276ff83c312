import { startAdminStack, type AdminStack } from './support/admin-stack.js';

type Definitions = Record<string, { name?: string; source?: string; destination?: string; routing_key?: string }[]>;

function sorted(definitions: Definitions, key: 'exchanges' | 'queues' | 'bindings'): unknown[] {
  return [...definitions[key]].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

// Definitions exported from one broker and imported into a fresh one reproduce the topology.
describe('admin API: GET/POST /api/definitions', () => {
  let source: AdminStack;
  let target: AdminStack;

  beforeAll(async () => {
    [source, target] = await Promise.all([startAdminStack(), startAdminStack()]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  }, 60_000);

  it('reproduces exchanges, queues and bindings (queue and exchange destinations, arguments) on a fresh broker', async () => {
    expect((await source.api('PUT', '/api/exchanges/%2F/events', { type: 'topic', durable: true })).status).toBe(201);
    expect(
      (
        await source.api('PUT', '/api/exchanges/%2F/audit', {
          type: 'fanout',
          durable: true,
          arguments: { 'alternate-exchange': 'events' },
        })
      ).status,
    ).toBe(201);
    expect(
      (await source.api('PUT', '/api/queues/%2F/billing', { durable: true, arguments: { 'x-max-length': 100, 'x-message-ttl': 60000 } }))
        .status,
    ).toBe(201);
    expect((await source.api('PUT', '/api/queues/%2F/scratch', { durable: false, auto_delete: false })).status).toBe(201);
    expect((await source.api('POST', '/api/bindings/%2F/e/events/q/billing', { routing_key: 'invoice.*' })).status).toBe(201);
    expect((await source.api('POST', '/api/bindings/%2F/e/events/e/audit', { routing_key: '#', arguments: { note: 'all' } })).status).toBe(
      201,
    );
    expect((await source.api('POST', '/api/bindings/%2F/e/audit/q/scratch', {})).status).toBe(201);

    const exported = await source.api<Definitions>('GET', '/api/definitions');
    expect(exported.status).toBe(200);
    // Only what was declared: the admin API declares nothing, and the management exchange is in no topology.
    expect(exported.body.exchanges.map((e) => e.name).sort()).toEqual(['audit', 'events']);
    expect(exported.body.bindings).toHaveLength(3);

    const imported = await target.api('POST', '/api/definitions', exported.body);
    expect(imported.status).toBe(204);
    const reexported = await target.api<Definitions>('GET', '/api/definitions');
    for (const key of ['exchanges', 'queues', 'bindings'] as const)
      expect(sorted(reexported.body, key)).toEqual(sorted(exported.body, key));

    // The imported topology routes.
    const published = await target.api('POST', '/api/exchanges/%2F/events/publish', {
      properties: {},
      routing_key: 'invoice.paid',
      payload: 'p',
      payload_encoding: 'string',
    });
    expect(published.body).toEqual({ routed: true });
    expect((await target.api('GET', '/api/queues/%2F/billing')).body).toMatchObject({ messages_ready: 1 });
    expect((await target.api('GET', '/api/queues/%2F/scratch')).body).toMatchObject({ messages_ready: 1 });
  });

  it('applies nothing when one item is invalid (inequivalent queue)', async () => {
    const response = await target.api('POST', '/api/definitions', {
      exchanges: [{ name: 'fresh', type: 'direct' }],
      queues: [{ name: 'billing', durable: false }],
      bindings: [],
    });
    expect(response.status).toBe(400);
    expect(response.body.reason).toContain("inequivalent arg 'durable' for queue 'billing'");
    expect((await target.api('GET', '/api/exchanges/%2F/fresh')).status).toBe(404);
  });
});
