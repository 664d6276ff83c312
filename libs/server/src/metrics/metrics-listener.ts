import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzip } from 'node:zlib';
import type { BrokerLogger } from '../logger.js';
import { createMetricsRegistry, type MetricsHost, type MetricsRegistry, type ScrapeText } from './prometheus-registry.js';

/** zlib's output buffer: larger than a 10,000-queue per-object scrape compressed (about 170 KiB). */
const GZIP_OUTPUT_BYTES = 1024 * 1024;

/**
 * The broker's Prometheus listener (RabbitMQ's `rabbitmq_prometheus` plugin, port 15692): `GET /metrics`
 * (aggregated) and `GET /metrics/per-object`, gzipped when the scraper accepts it. Unauthenticated, as RabbitMQ's;
 * anything else is 404, a method other than GET/HEAD 405.
 */
export class MetricsListener {
  private readonly server: Server;
  private readonly aggregated: MetricsRegistry;
  private readonly perObject: MetricsRegistry;

  constructor(
    host: MetricsHost,
    private readonly logger: BrokerLogger,
  ) {
    this.aggregated = createMetricsRegistry(host, false);
    this.perObject = createMetricsRegistry(host, true);
    this.server = createServer((request, response) => void this.handle(request, response));
    // A scraper that stalls must not hold a socket for ever.
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 10_000;
  }

  /** Listens; resolves with the bound port. */
  listen(port: number, host: string | undefined): Promise<number> {
    return new Promise((resolve, reject) => {
      // Name the setting: "address already in use" alone does not say which of the broker's ports it was.
      const onError = (error: Error): void => reject(new Error(`metrics listener (WARREN_METRICS_PORT ${port}): ${error.message}`));
      this.server.once('error', onError);
      this.server.listen({ port, host }, () => {
        this.server.off('error', onError);
        this.server.on('error', (error) => this.logger.warn(`metrics listener: ${error.message}`));
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops listening and drops open scrape connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    const registry = path === '/metrics' ? this.aggregated : path === '/metrics/per-object' ? this.perObject : undefined;
    if (!registry) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found: try /metrics or /metrics/per-object\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed\n');
      return;
    }
    try {
      const body = await registry.render();
      if (acceptsGzip(request.headers['accept-encoding'])) this.sendGzip(request, response, registry.contentType, body);
      else this.sendIdentity(request, response, registry.contentType, body);
    } catch (error) {
      this.logger.error(`metrics scrape failed: ${error instanceof Error ? error.message : String(error)}`);
      response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
    }
  }

  /** The chunks as they are, corked into one writev: no 3.7 MiB string to flatten and encode (exposition-writer.ts). */
  private sendIdentity(request: IncomingMessage, response: ServerResponse, contentType: string, body: ScrapeText): void {
    response.writeHead(200, { 'content-type': contentType, 'content-length': body.byteLength, vary: 'accept-encoding' });
    if (request.method === 'HEAD') {
      body.release();
      response.end();
      return;
    }
    // Reusable once written out; a scraper gone mid-body leaves them to the garbage collector (nothing to wait for).
    response.once('finish', () => body.release());
    response.cork();
    for (const chunk of body.chunks) response.write(chunk);
    response.end();
  }

  /**
   * Gzip at level 1 (Prometheus asks for it): the per-object text shrinks about twentyfold for a few milliseconds of
   * compression, on libuv's thread pool rather than the event loop, in one job (an output buffer larger than the
   * compressed text: with zlib's 16 KiB default each piece would be a round trip through the event loop).
   */
  private sendGzip(request: IncomingMessage, response: ServerResponse, contentType: string, body: ScrapeText): void {
    const headers = { 'content-type': contentType, 'content-encoding': 'gzip', vary: 'accept-encoding' };
    if (request.method === 'HEAD') {
      body.release();
      response.writeHead(200, headers).end();
      return;
    }
    const text = Buffer.concat(body.chunks, body.byteLength);
    body.release();
    gzip(text, { level: 1, chunkSize: GZIP_OUTPUT_BYTES }, (error, compressed) => {
      if (error) {
        this.logger.error(`metrics scrape not compressed: ${error.message}`);
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics compression failed\n');
        return;
      }
      response.writeHead(200, { ...headers, 'content-length': compressed.length }).end(compressed);
    });
  }
}

/** Whether an `Accept-Encoding` header lists gzip without `q=0`. */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  for (const coding of header.split(',')) {
    const [name, ...parameters] = coding.split(';').map((part) => part.trim());
    if (name.toLowerCase() !== 'gzip') continue;
    const quality = parameters.find((parameter) => parameter.toLowerCase().startsWith('q='));
    return quality === undefined || Number(quality.slice(2)) > 0;
  }
  return false;
}
