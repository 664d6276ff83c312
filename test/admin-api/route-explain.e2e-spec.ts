import { startAdminStack, type AdminStack } from './support/admin-stack.js';

interface Hop {
  kind: string;
  source: string;
  destination: string;
  routing_key?: string;
}
interface Explanation {
  routed: boolean;
  queues: { name: string; paths: Hop[][] }[];
  exchanges: string[];
}

// Route explain: what a publish would reach and why, computed by libs/routing's explainRoute, publishing nothing.
describe('admin API: POST /api/exchanges/{vhost}/{name}/route', () => {
  let stack: AdminStack;

  const explain = async (exchange: string, body: object): Promise<Explanation> => {
    const response = await stack.api<Explanation>('POST', `/api/exchanges/%2F/${exchange}/route`, body);
    expect(response.status).toBe(200);
    return response.body;
  };
  const queuesOf = (explanation: Explanation) => explanation.queues.map((queue) => queue.name).sort();

  beforeAll(async () => {
    stack = await startAdminStack();
    const definitions = {
      exchanges: [
        { name: 'x.direct', type: 'direct' },
        { name: 'x.fanout', type: 'fanout' },
        { name: 'x.topic', type: 'topic' },
        { name: 'x.headers', type: 'headers' },
        { name: 'x.hop', type: 'fanout' },
      ],
      queues: ['q.a', 'q.b', 'q.c', 'q.hop'].map((name) => ({ name, durable: false })),
      bindings: [
        { source: 'x.direct', destination: 'q.a', destination_type: 'queue', routing_key: 'red' },
        { source: 'x.direct', destination: 'q.b', destination_type: 'queue', routing_key: 'blue' },
        { source: 'x.fanout', destination: 'q.a', destination_type: 'queue', routing_key: '' },
        { source: 'x.fanout', destination: 'q.c', destination_type: 'queue', routing_key: '' },
        { source: 'x.topic', destination: 'q.a', destination_type: 'queue', routing_key: 'eu.*.orders' },
        { source: 'x.topic', destination: 'q.b', destination_type: 'queue', routing_key: 'eu.#' },
        { source: 'x.topic', destination: 'x.hop', destination_type: 'exchange', routing_key: '#.orders' },
        { source: 'x.hop', destination: 'q.hop', destination_type: 'queue', routing_key: '' },
        {
          source: 'x.headers',
          destination: 'q.c',
          destination_type: 'queue',
          routing_key: '',
          arguments: { 'x-match': 'all', format: 'pdf', type: 'report' },
        },
        {
          source: 'x.headers',
          destination: 'q.b',
          destination_type: 'queue',
          routing_key: '',
          arguments: { 'x-match': 'any', format: 'pdf', type: 'log' },
        },
      ],
    };
    const imported = await stack.api('POST', '/api/definitions', definitions);
    expect(imported.status).toBe(204);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('direct: only the queue bound with the key', async () => {
    const explanation = await explain('x.direct', { routing_key: 'red' });
    expect(explanation.routed).toBe(true);
    expect(explanation.queues).toEqual([
      {
        name: 'q.a',
        vhost: '/',
        paths: [[expect.objectContaining({ kind: 'binding', source: 'x.direct', destination: 'q.a', routing_key: 'red' })]],
      },
    ]);
    expect(await explain('x.direct', { routing_key: 'green' })).toMatchObject({ routed: false, queues: [] });
  });

  it('fanout: every bound queue, whatever the key', async () => {
    const explanation = await explain('x.fanout', { routing_key: 'anything' });
    expect(queuesOf(explanation)).toEqual(['q.a', 'q.c']);
  });

  it('topic: wildcard bindings, and an exchange-to-exchange hop with both bindings on the path', async () => {
    const explanation = await explain('x.topic', { routing_key: 'eu.de.orders' });
    expect(queuesOf(explanation)).toEqual(['q.a', 'q.b', 'q.hop']);
    expect(explanation.exchanges).toEqual(['x.topic', 'x.hop']);
    const hop = explanation.queues.find((queue) => queue.name === 'q.hop')!;
    expect(hop.paths).toEqual([
      [
        expect.objectContaining({
          kind: 'binding',
          source: 'x.topic',
          destination: 'x.hop',
          destination_type: 'exchange',
          routing_key: '#.orders',
        }),
        expect.objectContaining({ kind: 'binding', source: 'x.hop', destination: 'q.hop', destination_type: 'queue' }),
      ],
    ]);
    expect(queuesOf(await explain('x.topic', { routing_key: 'eu.de.invoices' }))).toEqual(['q.b']);
    expect(queuesOf(await explain('x.topic', { routing_key: 'us.orders' }))).toEqual(['q.hop']);
  });

  it('headers: x-match all and any against the given headers', async () => {
    expect(queuesOf(await explain('x.headers', { headers: { format: 'pdf', type: 'report' } }))).toEqual(['q.b', 'q.c']);
    expect(queuesOf(await explain('x.headers', { headers: { type: 'log' } }))).toEqual(['q.b']);
    expect(await explain('x.headers', { headers: { type: 'other' } })).toMatchObject({ routed: false });
  });

  it('publishes nothing', async () => {
    const queues = await stack.api<{ name: string; messages: number }[]>('GET', '/api/queues/%2F');
    expect(queues.body.every((queue) => queue.messages === 0)).toBe(true);
  });

  it('404 for a missing exchange, 400 for a bad body', async () => {
    expect(await stack.api('POST', '/api/exchanges/%2F/nope/route', { routing_key: 'a' })).toMatchObject({
      status: 404,
      body: { error: 'Object Not Found' },
    });
    const bad = await stack.api('POST', '/api/exchanges/%2F/x.direct/route', { routing_key: 7, extra: true });
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toContain('routing_key');
    expect(bad.body.reason).toContain('extra');
  });

  it('names every binding it passed over with the reason, and the dead-letter target of each reached queue', async () => {
    const explanation = await stack.api('POST', '/api/exchanges/%2F/x.direct/route', { routing_key: 'red' });
    expect(explanation.body.unmatched).toEqual([
      expect.objectContaining({
        source: 'x.direct',
        destination: 'q.b',
        routing_key: 'blue',
        reason: "routing key 'red' is not the binding key 'blue'",
      }),
    ]);
    const headers = await stack.api('POST', '/api/exchanges/%2F/x.headers/route', { headers: { format: 'pdf', type: 'log' } });
    expect(headers.body.unmatched).toEqual([
      expect.objectContaining({ destination: 'q.c', reason: "x-match all: header 'type' is 'log', not 'report'" }),
    ]);

    const declared = await stack.api('PUT', '/api/queues/%2F/q.dl-source', {
      durable: false,
      arguments: { 'x-dead-letter-exchange': 'x.fanout', 'x-dead-letter-routing-key': 'dead' },
    });
    expect(declared.status).toBe(201);
    expect((await stack.api('POST', '/api/bindings/%2F/e/x.direct/q/q.dl-source', { routing_key: 'dl' })).status).toBe(201);
    const dead = await stack.api('POST', '/api/exchanges/%2F/x.direct/route', { routing_key: 'dl' });
    expect(dead.body.queues).toEqual([
      expect.objectContaining({ name: 'q.dl-source', dead_letter: { exchange: 'x.fanout', routing_key: 'dead', exchange_exists: true } }),
    ]);
    expect((await explain('x.direct', { routing_key: 'red' })).queues[0]).not.toHaveProperty('dead_letter');
  });
});
