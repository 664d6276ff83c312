import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureConsoleBuilt } from '../console/support/console-build.js';
import { startAdminStack, type AdminStack } from './support/admin-stack.js';

const ASSETS = resolve(import.meta.dirname, '..', '..', 'dist', 'console', 'assets');

// The admin API serves the built web console at `/` without shadowing `/api/`.
describe('admin API: the web console at /', () => {
  let stack: AdminStack;
  const page = (path: string, headers: Record<string, string> = {}) =>
    fetch(stack.baseUrl + path, { headers: { accept: 'text/html', ...headers } });

  beforeAll(async () => {
    ensureConsoleBuilt();
    stack = await startAdminStack();
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('answers / and any client-side route with the console, without a login, under a CSP for its own scripts', async () => {
    for (const path of ['/', '/queues/%2F/orders', '/topology']) {
      const response = await page(path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(await response.text()).toContain('<div id="app">');
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('serves the hashed assets with a long cache life', async () => {
    const script = readdirSync(ASSETS).find((file) => file.endsWith('.js'))!;
    const response = await fetch(`${stack.baseUrl}/assets/${script}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('javascript');
    expect(response.headers.get('cache-control')).toContain('immutable');
    expect(join(ASSETS, script)).toContain('dist');
  });

  it('never answers /api/ with the console: unknown routes stay JSON 404s, the API keeps its strict CSP', async () => {
    const missing = await page('/api/no-such-route');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'Object Not Found' });
    const overview = await stack.api('GET', '/api/overview');
    expect(overview.status).toBe(200);
    expect(overview.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await page('/no-such-file.js', { accept: '*/*' })).status).toBe(404);
  });

  it('leaves out WWW-Authenticate on a 401 to the console (X-Requested-With), so the browser shows no prompt', async () => {
    const plain = await fetch(`${stack.baseUrl}/api/overview`);
    expect(plain.status).toBe(401);
    expect(plain.headers.get('www-authenticate')).toBe('Basic realm="Warren Management"');
    const fromConsole = await fetch(`${stack.baseUrl}/api/overview`, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
    expect(fromConsole.status).toBe(401);
    expect(fromConsole.headers.get('www-authenticate')).toBeNull();
    expect(await fromConsole.json()).toEqual({ error: 'not_authorized', reason: 'Not authorized' });
  });
});
