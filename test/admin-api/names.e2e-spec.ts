import { startAdminStack, type AdminStack } from './support/admin-stack.js';

// Hardening item 5: names AMQP cannot carry (lone surrogate, > 255 bytes, NUL) are refused over HTTP with 400.
describe('admin API: queue and exchange names', () => {
  let stack: AdminStack;

  beforeAll(async () => {
    stack = await startAdminStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  const tooLong = 'x'.repeat(256);

  it.each([
    ['a lone surrogate (its UTF-8 bytes percent-encoded)', '%ED%A0%80'],
    ['a lone surrogate (CESU-style low half)', 'a%ED%B0%80b'],
    ['256 bytes', tooLong],
    ['255 ASCII bytes plus one 2-byte character', 'y'.repeat(254) + '%C3%A9'],
    ['a NUL', 'a%00b'],
  ])('PUT /api/queues with %s in the name → 400', async (_label, encodedName) => {
    const response = await stack.api('PUT', `/api/queues/%2F/${encodedName}`, { durable: true });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'bad_request' });
    expect(typeof response.body.reason).toBe('string');
  });

  it('PUT /api/exchanges with a NUL or a 256-byte name → 400', async () => {
    for (const name of ['e%00', tooLong]) {
      const response = await stack.api('PUT', `/api/exchanges/%2F/${name}`, { type: 'direct' });
      expect(response).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    }
  });

  it.each([
    ['a lone surrogate', '\ud800'],
    ['a lone surrogate inside', 'q\udfffq'],
    ['256 bytes', tooLong],
    ['a NUL', 'q\u0000'],
  ])('a definitions import with %s in a queue name → 400, nothing imported', async (_label, name) => {
    const response = await stack.api('POST', '/api/definitions', { queues: [{ name, vhost: '/', durable: true }] });
    expect(response).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect(response.body.reason).toContain('name');
    const queues = (await stack.api('GET', '/api/queues/%2F')).body as Array<{ name: string }>;
    expect(queues.filter((queue) => queue.name.startsWith('q') || queue.name.startsWith('x') || queue.name.includes('\ufffd'))).toEqual([]);
  });

  it('a binding whose routing key has a lone surrogate → 400', async () => {
    expect((await stack.api('PUT', '/api/queues/%2F/bound', {})).status).toBe(201);
    const response = await stack.api('POST', '/api/bindings/%2F/e/amq.direct/q/bound', { routing_key: 'k\ud800' });
    expect(response).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect((await stack.api('GET', '/api/queues/%2F/bound/bindings')).body).toHaveLength(1); // the default binding only
  });

  it('accepts a 255-byte name and a 4-byte UTF-8 (emoji) name', async () => {
    const longest = encodeURIComponent('€'.repeat(85));
    expect((await stack.api('PUT', `/api/queues/%2F/${longest}`, {})).status).toBe(201);
    expect((await stack.api('GET', `/api/queues/%2F/${longest}`)).body.name).toBe('€'.repeat(85));
    expect((await stack.api('PUT', `/api/queues/%2F/${encodeURIComponent('🐇')}`, {})).status).toBe(201);
  });
});
