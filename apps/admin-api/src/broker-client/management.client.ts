import { randomUUID } from 'node:crypto';
import { HttpException, Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  decodeManagementReply,
  encodeManagementRequest,
  MANAGEMENT_CONNECTION_NAME,
  MANAGEMENT_CONTENT_TYPE,
  MANAGEMENT_EXCHANGE,
  MANAGEMENT_VHOST,
  type ManagementCaller,
  type ManagementFailure,
  type ManagementPattern,
  type ManagementRequestData,
  type ManagementResponse,
} from '@app/management-contract';
import amqplib, { type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { ADMIN_CONFIG, type AdminConfig } from '../config/admin-config.js';

/** How long one management RPC may take before the HTTP request fails with 503. */
const RPC_TIMEOUT_MS = 15_000;
/** RabbitMQ's direct reply-to pseudo-queue: replies come back on the requesting channel, no queue needed. */
const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
/** Reconnect delays after the broker connection is lost (it is retried until it works). */
const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 2000;

interface Pending {
  resolve(response: unknown): void;
  reject(error: HttpException): void;
  timer: NodeJS.Timeout;
}

/**
 * The admin API's only way to the broker: management requests (the envelope of `@app/management-contract`) over
 * one AMQP connection to the broker's management listener, published to the management exchange on a confirm
 * channel, answered over direct reply-to. The admin API never opens the store (LevelDB allows one process; the
 * broker stays the single writer). No password is ever put in a request: it names the HTTP user only.
 */
@Injectable()
export class ManagementClient implements OnApplicationShutdown {
  private readonly logger = new Logger(ManagementClient.name);
  private readonly pending = new Map<string, Pending>();
  private model?: ChannelModel;
  private channel?: ConfirmChannel;
  private connecting?: Promise<void>;
  private reconnectTimer?: NodeJS.Timeout;
  private isClosed = false;

  constructor(@Inject(ADMIN_CONFIG) private readonly config: AdminConfig) {}

  /** Whether the AMQP connection to the broker is up. */
  get isConnected(): boolean {
    return this.channel !== undefined;
  }

  /** Retries until the broker is reachable (`npm start` starts both processes at once). */
  async waitUntilConnected(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.connect();
        return;
      } catch (error) {
        if (attempt === 1 || attempt % 10 === 0) this.logger.warn(`broker not reachable yet (${(error as Error).message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(RECONNECT_MAX_MS, 100 * attempt)));
      }
    }
  }

  /** Sends one management request and resolves with the broker's response; failures become HTTP exceptions. */
  async call<P extends ManagementPattern>(
    pattern: P,
    data: ManagementRequestData<P>,
    caller: ManagementCaller,
  ): Promise<ManagementResponse<P>> {
    if (!this.channel) await this.connect().catch((error: unknown) => Promise.reject(unavailable((error as Error).message)));
    const channel = this.channel;
    if (!channel) throw unavailable('not connected');
    const id = randomUUID();
    const body = encodeManagementRequest({ id, pattern, caller, data: data as Record<string, unknown> });
    return new Promise<ManagementResponse<P>>((resolve, reject) => {
      const timer = setTimeout(
        () => this.settle(id, undefined, unavailable(`no answer to '${pattern}' within ${RPC_TIMEOUT_MS} ms`)),
        RPC_TIMEOUT_MS,
      );
      this.pending.set(id, { resolve: resolve as (response: unknown) => void, reject, timer });
      const options = {
        replyTo: DIRECT_REPLY_TO,
        correlationId: id,
        contentType: MANAGEMENT_CONTENT_TYPE,
        // A request nobody took within its timeout is of no use to anyone.
        expiration: String(RPC_TIMEOUT_MS),
      };
      try {
        channel.publish(MANAGEMENT_EXCHANGE, pattern, body, options, (error: unknown) => {
          // A nack: the bounded management queue is full (too many requests at once).
          if (error) this.settle(id, undefined, retryable('the broker is busy with other management requests', 1));
        });
      } catch (error) {
        this.settle(id, undefined, unavailable((error as Error).message));
      }
    });
  }

  /** Closes the AMQP connection with the app. */
  async onApplicationShutdown(): Promise<void> {
    this.isClosed = true;
    clearTimeout(this.reconnectTimer);
    this.failAll('the admin API is shutting down');
    const model = this.model;
    this.model = undefined;
    this.channel = undefined;
    await model?.close().catch(() => undefined);
  }

  /** Connects once (concurrent callers share the attempt). */
  private connect(): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error('closed'));
    if (this.channel) return Promise.resolve();
    return (this.connecting ??= this.open().finally(() => (this.connecting = undefined)));
  }

  private async open(): Promise<void> {
    const broker = this.config.broker;
    const model = await amqplib.connect(
      {
        protocol: 'amqp',
        hostname: broker.hostname,
        port: broker.port,
        username: broker.username,
        password: broker.password,
        vhost: MANAGEMENT_VHOST,
      },
      { clientProperties: { connection_name: MANAGEMENT_CONNECTION_NAME } },
    );
    try {
      const channel = await model.createConfirmChannel();
      channel.on('error', () => undefined); // 'close' follows
      await channel.consume(DIRECT_REPLY_TO, (message) => this.onReply(message), { noAck: true });
      model.on('error', () => undefined); // 'close' follows
      model.on('close', () => this.onLost(model));
      channel.on('close', () => this.onLost(model));
      this.model = model;
      this.channel = channel;
    } catch (error) {
      await model.close().catch(() => undefined);
      throw error;
    }
  }

  /** The connection or its channel went: fail what waits for a reply on it and reconnect in the background. */
  private onLost(model: ChannelModel): void {
    if (this.model !== model) return;
    this.model = undefined;
    this.channel = undefined;
    void model.close().catch(() => undefined);
    this.failAll('the connection to the broker was lost');
    if (this.isClosed) return;
    this.logger.warn('connection to the broker lost; reconnecting');
    const retry = (delayMs: number): void => {
      this.reconnectTimer = setTimeout(() => {
        this.connect().catch(() => retry(Math.min(RECONNECT_MAX_MS, delayMs * 2)));
      }, delayMs);
    };
    retry(RECONNECT_MIN_MS);
  }

  private onReply(message: ConsumeMessage | null): void {
    if (!message) return;
    let reply;
    try {
      reply = decodeManagementReply(message.content);
    } catch (error) {
      this.logger.error(`malformed reply from the broker: ${(error as Error).message}`);
      return;
    }
    if ('err' in reply) this.settle(reply.id, undefined, toHttpException(reply.err));
    else this.settle(reply.id, reply.response);
  }

  private settle(id: string, response: unknown, error?: HttpException): void {
    const pending = this.pending.get(id);
    if (!pending) return; // a late reply to a request that timed out
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(response);
  }

  private failAll(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, unavailable(reason));
  }
}

/** An HTTP exception carrying `Retry-After` (backpressure). */
export class RetryableHttpException extends HttpException {
  constructor(
    body: object,
    status: number,
    readonly retryAfterSeconds: number,
  ) {
    super(body, status);
  }
}

function unavailable(reason: string): HttpException {
  return new HttpException({ error: 'service_unavailable', reason: `broker unavailable: ${reason}` }, 503);
}

function retryable(reason: string, retryAfterSeconds: number): HttpException {
  return new RetryableHttpException({ error: 'service_unavailable', reason }, 503, retryAfterSeconds);
}

function toHttpException(failure: ManagementFailure): HttpException {
  const body = { error: failure.error, reason: failure.reason };
  return failure.retryAfter !== undefined
    ? new RetryableHttpException(body, failure.status, failure.retryAfter)
    : new HttpException(body, failure.status);
}
