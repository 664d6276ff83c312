import { HttpException, type INestApplication } from '@nestjs/common';
import helmet from 'helmet';
import { BasicAuthGuard } from '../auth/basic-auth.guard.js';
import { isConsolePath } from '../console/console-static.js';
import type { HttpRequest, HttpResponse } from './http-types.js';
import { refuseDeepJson } from './json-depth.js';
import { sendHttpException } from './rabbit-exception.filter.js';

type Next = (error?: unknown) => void;
type Middleware = (request: HttpRequest, response: HttpResponse, next: Next) => void;

/** The OpenAPI UI, served by Swagger without authentication; it needs scripts and styles of its own. */
const DOCS_PREFIX = '/api/docs';

/** Options of the JSON body parser: 1 MiB at most, nesting bounded before parsing. */
export const JSON_BODY_OPTIONS = {
  limit: '1mb',
  verify: (_request: unknown, _response: unknown, raw: Buffer) => refuseDeepJson(raw),
};

/**
 * Security middleware, registered before the body parser: helmet's headers (a JSON API's strict CSP; Swagger UI's
 * page gets one that lets its own scripts run), no `X-Powered-By`, and authentication before a request body is read.
 */
export function hardenHttp(app: INestApplication): void {
  const express = app.getHttpAdapter().getInstance() as { disable(setting: string): void };
  express.disable('x-powered-by');
  const api = helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } });
  const docs = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  // The web console's pages: its own bundled scripts and styles only, API calls to this origin, no framing.
  const consolePages = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Inline styles, not scripts: the graph library styles its container through style attributes.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  app.use(((request, response, next) => {
    const url = request.originalUrl;
    const policy = url.startsWith(DOCS_PREFIX) ? docs : isConsolePath(url) ? consolePages : api;
    policy(request as never, response as never, next);
  }) as Middleware);
  app.use(authenticateBeforeBody(app.get(BasicAuthGuard)));
}

/**
 * Authenticates a request that carries a body before the body parser reads it, so an unauthenticated client cannot
 * make the admin API buffer and parse a 1 MiB body: the 401 (or 429) goes out at once and the connection is closed
 * rather than drained. Requests without a body are authenticated by the guard as usual.
 */
function authenticateBeforeBody(guard: BasicAuthGuard): Middleware {
  return (request, response, next) => {
    const hasBody = request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0';
    if ((!hasBody && request.headers['transfer-encoding'] === undefined) || request.originalUrl.startsWith(DOCS_PREFIX)) {
      next();
      return;
    }
    guard.authenticate(request).then(
      () => next(),
      (error: unknown) => {
        if (!(error instanceof HttpException)) return next(error);
        // Not reading the body: tell the client this connection ends with the answer.
        response.setHeader('Connection', 'close');
        sendHttpException(response, error);
      },
    );
  };
}
