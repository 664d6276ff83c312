import { Queue, type VirtualHost } from '@app/broker-core';
import type { BrokerLogger } from '../logger.js';
import { definitionsHandlers } from './definitions-handlers.js';
import { ManagementError, toManagementFailure } from './management-error.js';
import { MANAGEMENT_PATTERN_PREFIX, MANAGEMENT_QUEUE, REQUESTS_EXCHANGE, type ManagementHost } from './management-host.js';
import type { ManagementContext, ManagementHandler } from './management-request.js';
import { ManagementRpcConsumer, type ManagementOutcome } from './management-rpc-consumer.js';
import { messageHandlers } from './message-handlers.js';
import { authenticate, runtimeHandlers } from './runtime-handlers.js';
import { topologyHandlers } from './topology-handlers.js';

/** The vhost that carries management requests (the admin API's connection vhost). */
const MANAGEMENT_VHOST = '/';
/** How often the request exchange and the management binding are checked (and restored if a client deleted them). */
const REPAIR_INTERVAL_MS = 5000;
/** As libs/transport's WarrenClient/WarrenServer declare it, so their declares stay equivalent. */
const REQUESTS_EXCHANGE_OPTIONS = { type: 'topic', durable: true, autoDelete: false, internal: false, arguments: {} };

/**
 * The broker side of the admin API: serves `management.*` requests that WarrenClient.send() publishes to
 * `warren.requests`, through an in-process consumer of the broker-owned queue `amq.warren.management`, which
 * lives outside the vhost's queue table (see {@link attach}).
 *
 * Every request but `management.authenticate` carries the HTTP user's credentials in `data.auth` and is checked
 * against the user store (whose login cache makes repeat checks cheap), so an AMQP client that reaches the
 * request exchange directly gains nothing without a management user's password.
 */
export class ManagementService {
  private readonly handlers = new Map<string, ManagementHandler>(
    Object.entries({ ...topologyHandlers, ...messageHandlers, ...definitionsHandlers, ...runtimeHandlers }),
  );
  private readonly context: ManagementContext;
  /** The consumer's owner: no connection is this object. */
  private readonly queueOwner = {};
  private repairTimer?: NodeJS.Timeout;

  constructor(
    private readonly host: ManagementHost,
    private readonly logger: BrokerLogger,
  ) {
    this.context = { host, actor: { owner: this } };
  }

  /** Declares the request exchange and the management queue, binds `management.#` and starts consuming. */
  async start(): Promise<void> {
    const vhost = this.host.core.getVhost(MANAGEMENT_VHOST)!;
    try {
      await vhost.execute({ kind: 'exchange.declare', exchange: REQUESTS_EXCHANGE, options: REQUESTS_EXCHANGE_OPTIONS }, this.context.actor)
        .written;
    } catch (error) {
      // A restored, inequivalent `warren.requests` (not a topic exchange): the broker still serves AMQP.
      this.logger.error(
        `management: cannot use exchange '${REQUESTS_EXCHANGE}': ${(error as Error).message}; the admin API is unavailable`,
      );
      return;
    }
    this.attach(vhost);
  }

  private attach(vhost: VirtualHost): void {
    // Deliberately not registered in the vhost's queue table: clients can neither declare, consume, purge nor
    // delete it by name, the default exchange does not route to it, and it does not count against
    // maxQueuesPerVhost. It is reachable only through its binding on `warren.requests`.
    const queue = new Queue(MANAGEMENT_QUEUE, vhost.name, { durable: false, exclusive: false, autoDelete: false, arguments: {} }, null);
    queue.addConsumer(new ManagementRpcConsumer(this.queueOwner, vhost, (pattern, data) => this.handle(pattern, data), this.logger));
    this.ensureBinding(vhost, queue);
    // A client may delete `warren.requests` (it is an ordinary exchange): put it and the binding back.
    this.repairTimer = setInterval(() => this.ensureBinding(vhost, queue), REPAIR_INTERVAL_MS);
    this.repairTimer.unref();
  }

  /** Declares the request exchange (idempotent) and binds the management queue to `management.#`. */
  private ensureBinding(vhost: VirtualHost, queue: Queue): void {
    try {
      const declared = vhost.execute(
        { kind: 'exchange.declare', exchange: REQUESTS_EXCHANGE, options: REQUESTS_EXCHANGE_OPTIONS },
        this.context.actor,
      );
      declared.written?.catch(() => undefined);
      // The management queue is not in the vhost's queue table, so it is bound on the topology directly.
      vhost.topology.bindQueue(queue, REQUESTS_EXCHANGE, `${MANAGEMENT_PATTERN_PREFIX}#`, {});
    } catch (error) {
      this.logger.warn(`management: cannot bind to '${REQUESTS_EXCHANGE}': ${(error as Error).message}`);
    }
  }

  /** Stops the repair timer (broker shutdown). */
  stop(): void {
    clearInterval(this.repairTimer);
  }

  /** Authenticates and runs one request. */
  private async handle(pattern: string, data: Record<string, unknown>): Promise<ManagementOutcome> {
    try {
      if (pattern === 'management.authenticate') return { response: await authenticate(data, this.context) };
      const handler = this.handlers.get(pattern);
      if (!handler) throw new ManagementError(404, 'Object Not Found', `management: no handler for '${pattern}'`);
      const auth = data.auth;
      if (typeof auth !== 'object' || auth === null) throw ManagementError.notAuthorized();
      await authenticate(auth as Record<string, unknown>, this.context);
      return { response: (await handler(data, this.context)) ?? {} };
    } catch (error) {
      const failure = toManagementFailure(error);
      if (failure.status >= 500 && failure.status !== 503) this.logger.error(`management: ${pattern} failed: ${failure.reason}`);
      return { err: failure };
    }
  }
}
