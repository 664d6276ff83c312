import type { Socket } from 'node:net';
import { BrokerCore } from '@app/broker-core';
import { ReplyCode } from '@app/codec';
import { DEFAULT_CONFIG, type BrokerConfig } from './config/broker-config.js';
import { AmqpConnection } from './connection/connection.js';
import { BrokerLogger } from './logger.js';
import { AmqpListener } from './net/amqp-listener.js';

/**
 * A running Warren broker: the core state plus the AMQP listener. Plain TypeScript so tests and the NestJS
 * bootstrap start it the same way.
 */
export class WarrenBroker {
  readonly core = new BrokerCore();
  readonly config: BrokerConfig;
  readonly logger: BrokerLogger;
  private readonly connections = new Set<AmqpConnection>();
  private readonly listener: AmqpListener;
  private boundPort = 0;
  private isStarted = false;

  constructor(config: Partial<BrokerConfig> = {}, logger?: BrokerLogger) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    this.logger = logger ?? new BrokerLogger(this.config.logLevel);
    this.listener = new AmqpListener((socket) => this.accept(socket));
  }

  /** The port the AMQP listener is bound to (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Open client connections. */
  allConnections(): IterableIterator<AmqpConnection> {
    return this.connections.values();
  }

  /** Creates the default user and starts listening. */
  async start(): Promise<void> {
    if (this.isStarted) return;
    this.isStarted = true;
    await this.core.users.addDefaultGuest();
    this.boundPort = await this.listener.listen(this.config.port, this.config.host);
  }

  /**
   * Stops accepting and closes every client with 320 CONNECTION_FORCED, waiting (bounded) for them to go.
   */
  async close(): Promise<void> {
    if (!this.isStarted) return;
    this.isStarted = false;
    for (const connection of [...this.connections]) {
      connection.closeConnection(ReplyCode.CONNECTION_FORCED, "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'");
    }
    await this.listener.close(this.config.closeTimeoutMs + 500);
  }

  private accept(socket: Socket): void {
    const connection = new AmqpConnection(socket, {
      core: this.core,
      config: this.config,
      logger: this.logger,
      connectionClosed: (closed) => this.connections.delete(closed),
    });
    this.connections.add(connection);
  }
}
