import { connect } from 'node:net';
import { waitFor } from '../support/wait-for.js';
import { startAdminStack, type AdminStack } from './support/admin-stack.js';

// Hardening item 9 (admin API): deep JSON, authentication before the body, security headers, failed-login limit.
describe('admin API: HTTP hardening', () => {
  let stack: AdminStack;

  beforeAll(async () => {
    stack = await startAdminStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  /** Sends raw bytes to the admin API and collects what comes back until the server closes or `done` holds. */
  function rawRequest(head: string, done: (answer: string) => boolean) {
    const { hostname, port } = new URL(stack.baseUrl);
    const socket = connect({ host: hostname, port: Number(port) });
    let answer = '';
    let isClosed = false;
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => (isClosed = true));
    socket.write(head);
    return {
      socket,
      answered: () => waitFor(() => (done(answer) || isClosed ? answer : undefined), { what: 'the HTTP answer' }),
      isClosed: () => isClosed,
    };
  }

  it('answers JSON nested 20,000 deep with 400, not 500', async () => {
    const deep = '{"queues":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}';
    const response = await fetch(`${stack.baseUrl}/api/definitions`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`, 'content-type': 'application/json' },
      body: deep,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'bad_request', reason: expect.stringContaining('nested deeper') });
    // Ordinary nesting still passes.
    expect((await stack.api('POST', '/api/definitions', { queues: [{ name: 'shallow', arguments: { a: { b: [1, [2]] } } }] })).status).toBe(
      204,
    );
  });

  it('answers an unauthenticated request with a 1 MiB body with 401 before the body is sent', async () => {
    // Headers announce 1 MiB; the body never comes. Reading it first would wait forever (well, for the timeout).
    const request = rawRequest(
      'POST /api/definitions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n',
      (answer) => answer.includes('\r\n\r\n'),
    );
    try {
      const answer = await request.answered();
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.toLowerCase()).toContain('www-authenticate: basic');
      expect(answer.toLowerCase()).toContain('connection: close');
    } finally {
      request.socket.destroy();
    }
  });

  it('sends no X-Powered-By and helmet’s security headers', async () => {
    const response = await stack.api('GET', '/api/overview');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('strict-transport-security')).toContain('max-age');
    // The OpenAPI page still loads its own scripts.
    const docs = await fetch(`${stack.baseUrl}/api/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  // Last: it leaves this address throttled for a minute.
  it('answers 429 with Retry-After after a burst of failed logins from one address, even to good credentials', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await stack.api('GET', '/api/overview', undefined, { auth: `guest:wrong${i}` })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    const throttled = await stack.api('GET', '/api/overview');
    expect(throttled).toMatchObject({ status: 429, body: { error: 'too_many_requests' } });
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
