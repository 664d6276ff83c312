import { startAdminStack, type AdminStack } from './support/admin-stack.js';

// Validation (class-validator DTOs, global ValidationPipe), 404s and HTTP Basic against the broker's users.
describe('admin API: validation, 404 and auth', () => {
  let stack: AdminStack;

  beforeAll(async () => {
    stack = await startAdminStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  describe('auth', () => {
    it('401 without credentials', async () => {
      const response = await stack.api('GET', '/api/overview', undefined, { auth: null });
      expect(response).toMatchObject({ status: 401, body: { error: 'not_authorized' } });
      expect(response.headers.get('www-authenticate')).toContain('Basic');
    });

    it('401 with a wrong password or an unknown user', async () => {
      expect(await stack.api('GET', '/api/queues', undefined, { auth: 'guest:wrong' })).toMatchObject({
        status: 401,
        body: { error: 'not_authorized', reason: 'Login failed' },
      });
      expect((await stack.api('GET', '/api/queues', undefined, { auth: 'mallory:guest' })).status).toBe(401);
    });

    it('200 for guest from loopback', async () => {
      expect((await stack.api('GET', '/api/vhosts')).body).toEqual([expect.objectContaining({ name: '/' })]);
    });

    it('serves the OpenAPI document without credentials', async () => {
      const response = await fetch(`${stack.baseUrl}/api/docs-json`);
      expect(response.status).toBe(200);
      const document = (await response.json()) as { paths: Record<string, unknown> };
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(['/api/exchanges/{vhost}/{name}/publish', '/api/queues/{vhost}/{name}/get']),
      );
      expect((await fetch(`${stack.baseUrl}/api/docs`)).status).toBe(200);
    });
  });

  describe('validation', () => {
    it('400 naming the bad and unknown fields of a queue PUT', async () => {
      const response = await stack.api('PUT', '/api/queues/%2F/v1', { durable: 'yes', colour: 'red' });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('bad_request');
      expect(response.body.reason).toContain('durable');
      expect(response.body.reason).toContain('property colour should not exist');
      expect((await stack.api('GET', '/api/queues/%2F/v1')).status).toBe(404);
    });

    it('400 when an exchange PUT lacks its type, or a publish lacks required fields', async () => {
      expect((await stack.api('PUT', '/api/exchanges/%2F/v2', { durable: true })).body.reason).toContain('type');
      const publish = await stack.api('POST', '/api/exchanges/%2F/amq.direct/publish', { routing_key: 'k', payload: 'p' });
      expect(publish.status).toBe(400);
      expect(publish.body.reason).toContain('properties');
      expect(publish.body.reason).toContain('payload_encoding');
      const get = await stack.api('POST', '/api/queues/%2F/v1/get', { count: 0, ackmode: 'keep', encoding: 'auto' });
      expect(get.status).toBe(400);
      expect(get.body.reason).toContain('count');
      expect(get.body.reason).toContain('ackmode');
    });

    it("400 with RabbitMQ's precondition text on an inequivalent redeclare, leaving the original", async () => {
      expect((await stack.api('PUT', '/api/queues/%2F/durable-q', { durable: true })).status).toBe(201);
      const response = await stack.api('PUT', '/api/queues/%2F/durable-q', { durable: false });
      expect(response).toMatchObject({
        status: 400,
        body: {
          error: 'bad_request',
          reason: "inequivalent arg 'durable' for queue 'durable-q' in vhost '/': received 'false' but current is 'true'",
        },
      });
      expect((await stack.api('GET', '/api/queues/%2F/durable-q')).body).toMatchObject({ durable: true });
    });

    it('400 for an unknown exchange type; 401 `Access refused.` for a reserved name, as RabbitMQ answers', async () => {
      expect((await stack.api('PUT', '/api/exchanges/%2F/v3', { type: 'nonsense' })).status).toBe(400);
      expect((await stack.api('PUT', '/api/exchanges/%2F/v3', { type: 'nonsense' })).status).toBe(400);
      expect((await stack.api('PUT', '/api/queues/%2F/amq.mine', {})).body).toEqual({ error: 'not_authorised', reason: 'Access refused.' });
      expect((await stack.api('GET', '/api/exchanges/%2F/v3')).status).toBe(404);
    });

    it('400 for a bad list query', async () => {
      expect((await stack.api('GET', '/api/queues?page=0')).status).toBe(400);
      expect((await stack.api('GET', '/api/queues?name=(&use_regex=true')).status).toBe(400);
      expect((await stack.api('GET', '/api/queues?bogus=1')).status).toBe(400);
    });
  });

  describe('404', () => {
    it.each([
      ['GET', '/api/queues/%2F/missing'],
      ['DELETE', '/api/queues/%2F/missing'],
      ['GET', '/api/exchanges/%2F/missing'],
      ['DELETE', '/api/exchanges/%2F/missing'],
      ['GET', '/api/queues/no-such-vhost'],
      ['GET', '/api/exchanges/%2F/missing/bindings/source'],
      ['GET', '/api/bindings/%2F/e/amq.direct/q/missing'],
      ['DELETE', '/api/connections/missing'],
      ['GET', '/api/no-such-route'],
    ])('%s %s', async (method, path) => {
      expect(await stack.api(method, path)).toMatchObject({ status: 404, body: { error: 'Object Not Found', reason: expect.any(String) } });
    });

    it('DELETE with if-empty and if-unused answers 400 when the condition fails, 204 otherwise', async () => {
      expect((await stack.api('PUT', '/api/queues/%2F/full', { durable: false })).status).toBe(201);
      await stack.api('POST', '/api/exchanges/%2F/amq.default/publish', {
        properties: {},
        routing_key: 'full',
        payload: 'x',
        payload_encoding: 'string',
      });
      const refused = await stack.api('DELETE', '/api/queues/%2F/full?if-empty=true');
      expect(refused.status).toBe(400);
      expect(refused.body.reason).toContain('not empty');
      expect((await stack.api('DELETE', '/api/queues/%2F/full?if-unused=true')).status).toBe(204);
      expect((await stack.api('GET', '/api/queues/%2F/full')).status).toBe(404);
    });
  });
});
