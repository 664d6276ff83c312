import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { HttpRequest } from '../common/http-types.js';

/** Paths the console never answers: the management API (and its Swagger UI) keep their own 404s. */
const API_PREFIX = '/api/';

/** A response that can send a file (Express's `sendFile`). */
interface FileResponse {
  sendFile(path: string, options: { headers: Record<string, string> }): void;
}

/**
 * The built web console (`npm run build` writes it to `dist/console`; the @warren-mq/broker package ships it in its
 * own `dist/console`): the first `dist/console/index.html` found walking up from this module, so it is found from
 * the TypeScript sources, from `dist/apps/admin-api/…` and from the installed package alike. Undefined when the
 * console was not built; the API then works without it.
 */
export function findConsoleDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'dist', 'console');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** True for a path the console serves: anything outside `/api/`. */
export function isConsolePath(url: string): boolean {
  return !(url === '/api' || url.startsWith(API_PREFIX) || url.startsWith('/api?'));
}

/**
 * Serves the console at `/`: its static files (hashed assets cached for a year, `index.html` never), and
 * `index.html` for any other page-navigation GET outside `/api/` so client-side routes survive a reload. The files
 * need no login: the console asks for credentials and sends them with each API call.
 */
export function serveConsole(app: NestExpressApplication, dir: string): void {
  app.useStaticAssets(dir, {
    index: false,
    setHeaders: (response: { setHeader(name: string, value: string): void }, path: string) =>
      response.setHeader('Cache-Control', path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  const index = join(dir, 'index.html');
  app.use((request: HttpRequest & { method: string }, response: FileResponse, next: () => void) => {
    const accept = request.headers.accept;
    const isPage = typeof accept === 'string' && accept.includes('text/html');
    if ((request.method !== 'GET' && request.method !== 'HEAD') || !isPage || !isConsolePath(request.originalUrl)) return next();
    response.sendFile(index, { headers: { 'Cache-Control': 'no-cache' } });
  });
}
