import { HttpException, Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { WarrenClient } from '@app/transport';
import { lastValueFrom } from 'rxjs';
import { ADMIN_CONFIG, type AdminConfig } from '../config/admin-config.js';

/** The HTTP user's credentials, forwarded with every management RPC for the broker to check. */
export interface ManagementAuth {
  readonly username: string;
  readonly password: string;
  readonly remote_address: string | undefined;
}

/** How long one management RPC may take before the HTTP request fails with 503. */
const RPC_TIMEOUT_MS = 15_000;

/**
 * The admin API's only way to the broker: management requests as RPCs over Warren's own transport
 * (`WarrenClient.send`, direct reply-to), answered by the broker's management service. The admin API never opens
 * the store (LevelDB allows one process; the broker stays the single writer).
 */
@Injectable()
export class ManagementClient implements OnApplicationShutdown {
  private readonly logger = new Logger(ManagementClient.name);
  private readonly client: WarrenClient;

  constructor(@Inject(ADMIN_CONFIG) config: AdminConfig) {
    this.client = new WarrenClient({
      urls: config.brokerUrl,
      connectionName: 'warren-admin-api',
      timeoutMs: RPC_TIMEOUT_MS,
      reconnect: { initialDelayMs: 200, maxDelayMs: 2000 },
    });
  }

  /** Whether the AMQP connection to the broker is up. */
  get isConnected(): boolean {
    return this.client.isConnected;
  }

  /** Retries until the broker is reachable (`npm start` starts both processes at once). */
  async waitUntilConnected(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.connect();
        return;
      } catch (error) {
        if (attempt === 1 || attempt % 10 === 0) this.logger.warn(`broker not reachable yet (${(error as Error).message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * attempt)));
      }
    }
  }

  /** Sends one management request and resolves with the broker's response; failures become HTTP exceptions. */
  async call<T = unknown>(pattern: string, data: Record<string, unknown>, auth?: ManagementAuth): Promise<T> {
    try {
      return await lastValueFrom(this.client.send<T>(pattern, auth ? { ...data, auth } : data));
    } catch (error) {
      throw toHttpException(error);
    }
  }

  /** Closes the AMQP connection with the app. */
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
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

function toHttpException(error: unknown): HttpException {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof (error as { status: unknown }).status === 'number') {
    const failure = error as { status: number; error: string; reason: string; retryAfter?: number };
    const body = { error: failure.error, reason: failure.reason };
    return failure.retryAfter !== undefined
      ? new RetryableHttpException(body, failure.status, failure.retryAfter)
      : new HttpException(body, failure.status);
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new HttpException({ error: 'service_unavailable', reason: `broker unavailable: ${reason}` }, 503);
}
