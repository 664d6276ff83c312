import { Queue, type Message } from '@app/broker-core';
import { MANAGEMENT_EXCHANGE, MANAGEMENT_QUEUE, MANAGEMENT_VHOST, type ManagementRequestEnvelope } from '@app/management-contract';
import type { ManagementInbox } from '../connection/management-access.js';
import type { BrokerLogger } from '../logger.js';
import { channelHandlers } from './channel-handlers.js';
import { definitionsHandlers } from './definitions-handlers.js';
import { ManagementError, toManagementFailure } from './management-error.js';
import type { ManagementHost } from './management-host.js';
import type { ManagementHandler } from './management-request.js';
import { ManagementRpcConsumer, type ManagementOutcome } from './management-rpc-consumer.js';
import { healthHandlers } from './health-handlers.js';
import { messageHandlers } from './message-handlers.js';
import { authorizeCaller, CallerAccess } from './caller-access.js';
import { nodeHandlers } from './node-handlers.js';
import { permissionHandlers } from './permission-handlers.js';
import { pageHandlers } from './queue-page-handler.js';
import { authorizeRequest } from './request-authorization.js';
import { runtimeHandlers } from './runtime-handlers.js';
import { topologyHandlers } from './topology-handlers.js';
import { userHandlers } from './user-handlers.js';
import { vhostHandlers } from './vhost-handlers.js';

/**
 * Bounds of the management queue: a flood of requests is refused (the publisher's confirm is a nack), never
 * buffered without limit. The admin API keeps far fewer in flight (one per HTTP request, each with a timeout).
 */
export const MANAGEMENT_QUEUE_ARGUMENTS = {
  'x-max-length': 1000,
  'x-max-length-bytes': 64 * 1024 * 1024,
  'x-overflow': 'reject-publish',
} as const;

/**
 * The broker side of the admin API. Requests arrive only from management connections (accepted on the
 * management listener, logged in as an administrator), which publish them to the management exchange: the channel
 * hands them to this service's {@link inbox}, which puts them in the bounded, broker-owned management queue served
 * by an in-process consumer. The exchange and the queue are in no vhost's topology or queue table, so clients can
 * neither see, declare, delete, bind, consume nor purge them (and get 403 when they name them).
 *
 * A request names the HTTP user it acts for (no password: the admin API verified it by an AMQP login); every
 * request is authorized against the user store before its handler runs.
 */
export class ManagementService {
  private readonly handlers = new Map<string, ManagementHandler>(
    Object.entries({
      ...topologyHandlers,
      ...messageHandlers,
      ...pageHandlers,
      ...definitionsHandlers,
      ...runtimeHandlers,
      ...channelHandlers,
      ...userHandlers,
      ...permissionHandlers,
      ...vhostHandlers,
      ...healthHandlers,
      ...nodeHandlers,
    }),
  );
  /** The consumer's owner: no connection is this object. */
  private readonly queueOwner = {};
  private queue?: Queue;
  /** Where management connections' publishes to the management exchange go. */
  readonly inbox: ManagementInbox = {
    name: MANAGEMENT_EXCHANGE,
    accept: (message: Message) => this.queue?.enqueue(message) !== undefined,
  };

  constructor(
    private readonly host: ManagementHost,
    private readonly logger: BrokerLogger,
  ) {}

  /** Creates the management queue and its consumer. */
  start(): void {
    const vhost = this.host.core.getVhost(MANAGEMENT_VHOST)!;
    const options = { durable: false, exclusive: false, autoDelete: false, arguments: { ...MANAGEMENT_QUEUE_ARGUMENTS } };
    const queue = new Queue(MANAGEMENT_QUEUE, vhost.name, options, null);
    queue.addConsumer(new ManagementRpcConsumer(this.queueOwner, vhost, (request) => this.handle(request), this.logger));
    this.queue = queue;
  }

  /** Drops the queue's timers (broker shutdown). */
  stop(): void {
    this.queue?.dispose();
    this.queue = undefined;
  }

  /** Authorizes the caller and runs one request. */
  private async handle(request: ManagementRequestEnvelope): Promise<ManagementOutcome> {
    try {
      const handler = this.handlers.get(request.pattern);
      if (!handler) throw new ManagementError(404, 'Object Not Found', `management: no handler for '${request.pattern}'`);
      const core = this.host.core;
      const access = new CallerAccess(authorizeCaller(request.caller, core.users), core.permissions);
      authorizeRequest(request.pattern, request.data, access, (name) => core.getVhost(name) !== undefined);
      // The caller's own permissions, as RabbitMQ applies them over HTTP to every user, administrators included; the
      // service owns the (never exclusive) queues declared over HTTP.
      const actor = core.actorFor(this, request.caller.username);
      const context = { host: this.host, actor, caller: request.caller, access };
      return { response: (await handler(request.data, context)) ?? {} };
    } catch (error) {
      const failure = toManagementFailure(error);
      if (failure.status >= 500 && failure.status !== 503) this.logger.error(`management: ${request.pattern} failed: ${failure.reason}`);
      return { err: failure };
    }
  }
}
