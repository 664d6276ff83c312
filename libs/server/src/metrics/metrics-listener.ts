import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrokerLogger } from '../logger.js';
import { createMetricsRegistry, type MetricsHost, type MetricsRegistry } from './prometheus-registry.js';

/**
 * The broker's Prometheus listener (RabbitMQ's `rabbitmq_prometheus` plugin, port 15692): `GET /metrics`
 * (aggregated) and `GET /metrics/per-object`. Unauthenticated, as RabbitMQ's; anything else is 404, a method other
 * than GET/HEAD 405.
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
      response.writeHead(200, { 'content-type': registry.contentType, 'content-length': body.byteLength });
      if (request.method === 'HEAD') {
        response.end();
        return;
      }
      // The chunks as they are, one writev: no 3.7 MiB string to flatten and encode (see exposition-writer.ts).
      response.cork();
      for (const chunk of body.chunks) response.write(chunk);
      response.end();
    } catch (error) {
      this.logger.error(`metrics scrape failed: ${error instanceof Error ? error.message : String(error)}`);
      response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
    }
  }
}
