import { isLoopbackAddress, Message, type Queue, type QueueConsumer, type QueueEntry, type VirtualHost } from '@app/broker-core';
import type { BrokerLogger } from '../logger.js';
import type { ManagementFailure } from './management-error.js';

/** Requests served at once; more wait in the queue (the queue's own backpressure, not an unbounded array). */
const MAX_IN_FLIGHT = 32;

/** The outcome of one management request, before it is encoded as a transport reply. */
export type ManagementOutcome = { response: unknown } | { err: ManagementFailure };

/** Serves one decoded request. */
export type ManagementDispatcher = (pattern: string, data: Record<string, unknown>) => Promise<ManagementOutcome>;

/**
 * An in-process consumer of the management queue: it implements the core's QueueConsumer, as the AMQP channel
 * layer does, but instead of writing `basic.deliver` frames it decodes the request in libs/transport's wire format
 * (`{pattern, data, id}`, reply address in `replyTo`, `correlationId`) and publishes the reply
 * (`{id, response | err, isDisposed: true}`) to the requester's direct reply-to address through the vhost's
 * default exchange: exactly what a WarrenServer on a socket would send, so WarrenClient.send() cannot tell.
 *
 * No-ack: a request lost in a broker crash is simply retried by the HTTP client (the requester's reply address
 * dies with the broker anyway).
 */
export class ManagementRpcConsumer implements QueueConsumer {
  readonly tag = 'amq.warren.management';
  readonly noAck = true;
  readonly exclusive = true;
  private inFlight = 0;
  /** Called when the queue is deleted under the consumer, so the service can set it up again. */
  onCancelled?: () => void;

  constructor(
    readonly owner: object,
    private readonly vhost: VirtualHost,
    private readonly dispatch: ManagementDispatcher,
    private readonly logger: BrokerLogger,
  ) {}

  /** Bounded concurrency: async handlers (auth, storage writes) must not pile up without limit. */
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

  /** The management queue was deleted. */
  cancelledByServer(): void {
    this.onCancelled?.();
  }

  private async serve(message: Message): Promise<void> {
    const { replyTo, correlationId } = message.properties;
    let id = correlationId;
    let outcome: ManagementOutcome;
    try {
      const body: unknown = JSON.parse(message.body.toString('utf8'));
      if (typeof body !== 'object' || body === null) throw new Error('body is not a JSON object');
      const request = body as { pattern?: unknown; data?: unknown; id?: unknown };
      if (typeof request.id === 'string') id = request.id;
      const pattern = typeof request.pattern === 'string' ? request.pattern : message.routingKey;
      const data = typeof request.data === 'object' && request.data !== null ? (request.data as Record<string, unknown>) : {};
      outcome = await this.dispatch(pattern, withTrustedAddress(data, message));
    } catch (error) {
      outcome = { err: { status: 400, error: 'bad_request', reason: `management: malformed request (${(error as Error).message})` } };
    }
    // A request without a reply address is an event: nothing to answer.
    if (!replyTo) return;
    const reply = 'err' in outcome ? { id, err: outcome.err, isDisposed: true } : { id, response: outcome.response, isDisposed: true };
    const body = Buffer.from(JSON.stringify(reply));
    const defaultExchange = this.vhost.topology.getExchange('')!;
    const properties = { correlationId, contentType: 'application/json' };
    const result = this.vhost.publish(defaultExchange, replyTo, Message.withProperties('', replyTo, properties, body));
    if (result instanceof Promise) await result;
  }
}

/**
 * The HTTP client's address that credentials are checked against (`guest` only from loopback). Only a publisher
 * on a loopback connection (the admin API next to the broker) may vouch for another address; anyone else is
 * checked against the address of their own AMQP connection, whatever the request claims.
 */
export function withTrustedAddress(data: Record<string, unknown>, message: Message): Record<string, unknown> {
  const publisher = message.origin?.remoteAddress;
  if (isLoopbackAddress(publisher)) return data;
  const out: Record<string, unknown> = { ...data, remote_address: publisher };
  if (typeof data.auth === 'object' && data.auth !== null)
    out.auth = { ...(data.auth as Record<string, unknown>), remote_address: publisher };
  return out;
}
