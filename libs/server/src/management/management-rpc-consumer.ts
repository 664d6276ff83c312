import { Message, type Queue, type QueueConsumer, type QueueEntry, type VirtualHost } from '@app/broker-core';
import {
  decodeManagementRequest,
  encodeManagementReply,
  MANAGEMENT_CONTENT_TYPE,
  MANAGEMENT_QUEUE,
  type ManagementFailure,
  type ManagementReplyEnvelope,
  type ManagementRequestEnvelope,
} from '@app/management-contract';
import type { BrokerLogger } from '../logger.js';

/** Requests served at once; more wait in the (bounded) queue, not in an array. */
const MAX_IN_FLIGHT = 32;

/** The outcome of one management request, before it is encoded as a reply. */
export type ManagementOutcome = { response: unknown } | { err: ManagementFailure };

/** Serves one decoded request. */
export type ManagementDispatcher = (request: ManagementRequestEnvelope) => Promise<ManagementOutcome>;

/**
 * An in-process consumer of the management queue: it implements the core's QueueConsumer, as the AMQP channel
 * layer does, but instead of writing `basic.deliver` frames it decodes the request (the envelope of
 * `@app/management-contract`) and publishes the reply to the requester's direct reply-to address through the
 * vhost's default exchange.
 *
 * Only management connections can put messages in this queue (connection/management-access.ts), so what a request
 * says about its caller is the admin API's word.
 *
 * No-ack: a request lost in a broker crash is simply retried by the HTTP client (the requester's reply address
 * dies with the broker anyway).
 */
export class ManagementRpcConsumer implements QueueConsumer {
  readonly tag = MANAGEMENT_QUEUE;
  readonly noAck = true;
  readonly exclusive = true;
  private inFlight = 0;

  constructor(
    readonly owner: object,
    private readonly vhost: VirtualHost,
    private readonly dispatch: ManagementDispatcher,
    private readonly logger: BrokerLogger,
  ) {}

  /** Bounded concurrency: async handlers (storage writes) must not pile up without limit. */
  canAccept(): boolean {
    return this.inFlight < MAX_IN_FLIGHT;
  }

  /** Takes one request; serving starts after the queue's dispatch loop returns, which must not be re-entered. */
  deliver(queue: Queue, entry: QueueEntry): void {
    this.inFlight++;
    const message = entry.message;
    void Promise.resolve()
      .then(() => this.serve(message))
      .catch((error: unknown) => this.logger.error(`management: request failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        this.inFlight--;
        queue.dispatch();
      });
  }

  /** The queue is never deleted (it is in no vhost's queue table); nothing to do. */
  cancelledByServer(): void {}

  private async serve(message: Message): Promise<void> {
    const { replyTo, correlationId } = message.properties;
    let reply: ManagementReplyEnvelope;
    try {
      const request = decodeManagementRequest(message.body);
      const outcome = await this.dispatch(request);
      reply = 'err' in outcome ? { id: request.id, err: outcome.err } : { id: request.id, response: outcome.response };
    } catch (error) {
      const reason = `management: malformed request (${(error as Error).message})`;
      reply = { id: correlationId ?? '', err: { status: 400, error: 'bad_request', reason } };
    }
    // A request without a reply address expects no answer.
    if (!replyTo) return;
    const defaultExchange = this.vhost.topology.getExchange('')!;
    const properties = { correlationId: reply.id, contentType: MANAGEMENT_CONTENT_TYPE };
    const body = encodeManagementReply(reply);
    const result = this.vhost.publish(defaultExchange, replyTo, Message.withProperties('', replyTo, properties, body));
    if (result instanceof Promise) await result;
  }
}
