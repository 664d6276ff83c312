import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { BROKER_ACTOR, BrokerCore, BrokerStorage, Queue, QueuePager, describeError, runGuarded, type AccessChange } from '@app/broker-core';
import { ReplyCode } from '@app/codec';
import { NamespacedMessageStore } from '@app/storage';
import { ClusterNode } from './cluster/cluster-node.js';
import { SharedMetadataStore } from './cluster/shared-metadata-store.js';
import { DEFAULT_CONFIG, type BrokerConfig } from './config/broker-config.js';
import { AmqpConnection } from './connection/connection.js';
import { LoginThrottle } from './connection/login-throttle.js';
import { DefinitionsError, importDefinitions } from './definitions/definitions-import.js';
import { createBrokerLogger, type BrokerLogger } from './logger.js';
import { openConfiguredStorage, type DurableStorageOpener } from './open-broker-storage.js';
import { ManagementService } from './management/management-service.js';
import { AmqpListener } from './net/amqp-listener.js';
import { FALLBACK_FD_LIMIT, readFdLimit, socketBudget } from './net/socket-budget.js';
import { tlsServerOptions } from './net/tls-server-options.js';
import { ResourceAlarms, type AlarmState } from './resource-alarms.js';
import { MetricsListener } from './metrics/metrics-listener.js';
import { StatsSampler } from './stats/stats-sampler.js';

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
  /** The management listener: connections accepted here are the admin API's (see management-access.ts). */
  private readonly managementListener: AmqpListener;
  /** The amqps listener (`amqpsPort` set), made at start because its certificate files are read then. */
  private amqpsListener?: AmqpListener;
  private boundPort = 0;
  private boundManagementPort = 0;
  private boundAmqpsPort: number | undefined;
  private isStarted = false;
  private closeStorage?: () => Promise<void>;
  private reopenTimer?: NodeJS.Timeout;
  /** The full storage integrity check started once serving; settles when it is done (or the store closed). */
  integrityCheck: Promise<void> = Promise.resolve();
  /** Messages recovered from storage at start-up. */
  recoveredMessages = 0;
  private alarms?: ResourceAlarms;
  private blockReason: string | undefined;
  private consumerTimeoutTimer?: NodeJS.Timeout;
  private management?: ManagementService;
  /** Message counters' and queue lengths' histories, sampled every `statsIntervalMs` (management `message_stats`). */
  readonly stats: StatsSampler;
  /** The Prometheus listener (`metricsPort` > 0). */
  private metrics?: MetricsListener;
  private boundMetricsPort: number | undefined;
  /** Multi-node mode: this node's membership and topology sync (undefined for a single node). */
  cluster?: ClusterNode;
  /**
   * Hears that the broker stopped serving on its own (multi-node: lease lost), with the close in progress; the
   * broker app exits non-zero once it settles, so a supervisor restarts the node.
   */
  onStopped?: (reason: Error, closed: Promise<void>) => void;
  /** Failed logins per source address, shared by every connection so reconnecting does not reset the delay. */
  private readonly loginThrottle: LoginThrottle;

  /**
   * @param openDurableStorage opens the LevelDB store for `storage: 'level'` (the broker app and the test kit pass
   *   `openLevelStorage`, with their own tuning and fault-injection seams) or the PostgreSQL one for
   *   `storage: 'postgres'` (the broker app); not needed for `storage: 'memory'`.
   */
  constructor(
    config: Partial<BrokerConfig> = {},
    logger?: BrokerLogger,
    private readonly openDurableStorage?: DurableStorageOpener,
  ) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    // Process-wide, like the store: queues created from now on (recovery included) take this window by default.
    Queue.defaultWindow = { messages: this.config.queueWindowMessages, bytes: this.config.queueWindowBytes };
    this.logger = logger ?? createBrokerLogger(this.config.logLevel);
    this.loginThrottle = new LoginThrottle({
      baseDelayMs: this.config.authFailureDelayMs,
      maxDelayMs: this.config.authFailureMaxDelayMs,
    });
    this.listener = new AmqpListener((socket) => this.accept(socket, false), this.logger);
    this.managementListener = new AmqpListener((socket) => this.accept(socket, true), this.logger);
    this.core.reportError = (task, error) => this.reportError(task, error);
    this.core.events.on((change) => this.accessChanged(change));
    this.stats = new StatsSampler(this, this.config.statsIntervalMs);
  }

  /**
   * A user was deleted or its password changed, or a vhost was deleted: its connections close with 320
   * CONNECTION_FORCED and RabbitMQ's text (rabbit_connection_tracking_handler).
   */
  private accessChanged(change: AccessChange): void {
    let isAffected: (connection: AmqpConnection) => boolean;
    let text: string;
    switch (change.kind) {
      case 'user.deleted':
        isAffected = (connection) => connection.userName === change.user;
        text = `user '${change.user}' was deleted`;
        break;
      case 'user.password-changed':
        // Not the admin API's management connection: the request that changed the password (or imported a file
        // with that user) would lose its reply; the admin API's next login there checks the new password anyway.
        isAffected = (connection) => !connection.isManagement && connection.userName === change.user;
        text = `user '${change.user}' password changed`;
        break;
      case 'vhost.deleted':
        // Management connections only carry the admin API's requests; they do not live in the vhost.
        isAffected = (connection) => !connection.isManagement && connection.vhost?.name === change.vhost;
        text = `vhost '${change.vhost}' is deleted`;
        break;
      case 'permissions.changed':
        // Connections re-read permissions at their next check (VhostAccess follows the store's generation).
        return;
    }
    for (const connection of [...this.connections]) {
      if (isAffected(connection)) connection.closeConnection(ReplyCode.CONNECTION_FORCED, `CONNECTION_FORCED - ${text}`);
    }
  }

  /** A timer or background task threw: log it; the task keeps going and the broker keeps serving. */
  private reportError(task: string, error: unknown): void {
    this.logger.error({ task, err: describeError(error) }, `${task} failed`);
  }

  /** This node's name (`WARREN_NODE_NAME`). */
  get nodeName(): string {
    return this.config.nodeName;
  }

  /** The port the AMQP listener is bound to (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** The port the management listener is bound to (useful with `managementPort: 0`). */
  get managementPort(): number {
    return this.boundManagementPort;
  }

  /** The port the Prometheus listener is bound to, undefined without one (`metricsPort: 0`). */
  get metricsPort(): number | undefined {
    return this.boundMetricsPort;
  }

  /** The memory alarm's threshold in bytes (Prometheus `rabbitmq_resident_memory_limit_bytes`). */
  get memoryLimitBytes(): number {
    return this.alarms?.memoryLimit ?? ResourceAlarms.toBytes(this.config.memoryHighWatermark);
  }

  /** The disk alarm's threshold in bytes. */
  get diskFreeLimitBytes(): number {
    return this.config.diskFreeLimitBytes;
  }

  /** Where free disk space is measured: the data directory, or the working directory of an in-memory broker. */
  get diskPath(): string {
    return this.config.storage === 'level' ? resolve(this.config.dataDir) : process.cwd();
  }

  /** The port the amqps (TLS) listener is bound to, undefined without one (useful with `amqpsPort: 0`). */
  get amqpsPort(): number | undefined {
    return this.boundAmqpsPort;
  }

  /** Open client connections. */
  allConnections(): IterableIterator<AmqpConnection> {
    return this.connections.values();
  }

  /**
   * Opens storage and recovers everything durable, creates the default user, then starts listening.
   * Rejects with a StorageError naming the data directory when it is locked, foreign or damaged, and with a
   * ConfigError naming the variable when a TLS file is missing or not PEM (checked first, before the store opens).
   */
  async start(): Promise<void> {
    if (this.isStarted) return;
    const tls = this.config.amqpsPort === undefined ? undefined : tlsServerOptions(this.config);
    this.isStarted = true;
    try {
      await this.openStorage();
      this.core.maxQueuesPerVhost = this.config.maxQueuesPerVhost;
      for (const vhost of this.core.allVhosts()) vhost.maxQueues = this.config.maxQueuesPerVhost;
      this.core.users.setLoopbackUsers(this.config.loopbackUsers);
      await this.loadDefinitionsFile();
      // RabbitMQ's default_user: only on a broker with no user at all (first start, nothing imported).
      if (await this.core.bootstrapDefaultUser(this.config.defaultUser, this.config.defaultPass)) {
        this.logger.info({ user: this.config.defaultUser }, 'created the default user (administrator, full permissions on /)');
      }
      await this.startMonitors();
      this.stats.start();
      if (this.config.metricsPort > 0) {
        this.metrics = new MetricsListener(this, this.logger);
        this.boundMetricsPort = await this.metrics.listen(this.config.metricsPort, this.config.metricsHost);
      }
      (this.management = new ManagementService(this, this.logger)).start();
      this.boundManagementPort = await this.managementListener.listen(this.config.managementPort, this.config.managementHost);
      const socketLimit = this.socketLimit();
      this.boundPort = await this.listener.listen(this.config.port, this.config.host, socketLimit);
      if (tls) {
        // The same AmqpConnection serves both listeners: only the socket under it differs.
        this.amqpsListener = new AmqpListener((socket) => this.accept(socket, false), this.logger, tls);
        this.boundAmqpsPort = await this.amqpsListener.listen(this.config.amqpsPort!, this.config.amqpsHost, socketLimit);
      }
      this.integrityCheck = this.checkIntegrityInBackground();
    } catch (error) {
      this.isStarted = false;
      this.stats.stop();
      this.alarms?.stop();
      clearInterval(this.consumerTimeoutTimer);
      await Promise.all([this.managementListener.close(0), this.listener.close(0), this.amqpsListener?.close(0), this.metrics?.close()]);
      await this.closeStorage?.();
      throw error;
    }
  }

  /** Imports `WARREN_DEFINITIONS_FILE` (RabbitMQ's format); a missing or bad file stops the start with its reason. */
  private async loadDefinitionsFile(): Promise<void> {
    const path = this.config.definitionsFile;
    if (path === undefined) return;
    let document: unknown;
    try {
      document = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new DefinitionsError(`definitions file ${path}: ${describeError(error)}`);
    }
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      throw new DefinitionsError(`definitions file ${path}: not a JSON object`);
    }
    try {
      await importDefinitions(this.core, document as Record<string, unknown>, BROKER_ACTOR, { isAccessAllowed: true });
    } catch (error) {
      throw new DefinitionsError(`definitions file ${path}: ${describeError(error)}`);
    }
    this.logger.info({ path }, 'imported definitions');
  }

  /** `maxSockets`, or the budget left by the process's file descriptor limit (read once, here at start-up). */
  private socketLimit(): number {
    if (this.config.maxSockets > 0) return this.config.maxSockets;
    const fdLimit = readFdLimit();
    if (fdLimit === undefined) this.logger.warn(`cannot read the file descriptor limit; assuming ${FALLBACK_FD_LIMIT}`);
    return socketBudget(fdLimit ?? FALLBACK_FD_LIMIT);
  }

  /** The resource alarms in force, for health checks and the admin API's overview. */
  get alarmState(): Readonly<AlarmState> {
    return this.alarms?.current ?? { memory: false, disk: false };
  }

  /** Changes the memory high watermark at run time (fraction of RAM ≤ 1, or bytes) and re-checks now. */
  setMemoryHighWatermark(watermark: number): Promise<void> {
    return this.alarms?.setMemoryHighWatermark(watermark) ?? Promise.resolve();
  }

  private async startMonitors(): Promise<void> {
    const dataDir = this.config.storage === 'level' ? resolve(this.config.dataDir) : undefined;
    this.alarms = new ResourceAlarms(
      this.config.memoryHighWatermark,
      this.config.diskFreeLimitBytes,
      dataDir,
      (state) => {
        const reasons = [state.memory ? 'low on memory' : '', state.disk ? 'low on disk' : ''].filter(Boolean);
        this.blockReason = reasons.length > 0 ? reasons.join(', ') : undefined;
        if (this.blockReason)
          this.logger.warn({ memory: state.memory, disk: state.disk }, `resource alarm: ${this.blockReason}; blocking publishers`);
        else this.logger.warn('resource alarms cleared');
        for (const connection of this.connections) connection.setFlow(this.blockReason);
      },
      (error) => this.logger.warn(`resource check failed: ${describeError(error)}; alarms unchanged until it succeeds`),
    );
    this.alarms.onPressure = (isUnderPressure) => {
      QueuePager.isUnderMemoryPressure = isUnderPressure;
      this.logger.warn(isUnderPressure ? 'memory pressure: queues page every new message body to the store' : 'memory pressure cleared');
    };
    // The first check runs before the listener opens, so a broker that starts short of memory or disk blocks
    // publishers from the first connection on.
    await this.alarms.check();
    this.alarms.start(this.config.resourceCheckMs);
    this.consumerTimeoutTimer = setInterval(() => {
      const now = Date.now();
      // One connection's failure must not stop the sweep for the others, nor this timer.
      for (const connection of this.connections) {
        runGuarded(
          'consumer timeout check',
          () => connection.checkConsumerTimeouts(now, this.config.consumerTimeoutMs),
          this.reportError.bind(this),
        );
      }
    }, this.config.consumerTimeoutCheckMs);
    this.consumerTimeoutTimer.unref();
  }

  private async openStorage(): Promise<void> {
    const { storage: kind } = this.config;
    const path =
      kind === 'level'
        ? resolve(this.config.dataDir)
        : kind === 'postgres'
          ? `(postgres schema ${this.config.postgresSchema})`
          : '(memory)';
    const opened = await openConfiguredStorage(this.config, path, this.openDurableStorage);
    let messages = opened.messages;
    let metadata = opened.metadata;
    if (opened.cluster !== undefined) {
      // Multi-node: join before loading anything, so every change committed after the version read then is applied.
      const shared = new SharedMetadataStore(opened.metadata);
      metadata = shared;
      messages = new NamespacedMessageStore(opened.messages, `${opened.cluster.nodeName}#`);
      const cluster = new ClusterNode(opened.cluster, this.core, shared, {
        leaseMs: this.config.nodeLeaseMs,
        logger: this.logger,
        onLeaseLost: (reason) => this.leaseLost(reason),
        sharedQueues: opened.sharedQueues,
        mailbox: opened.mailbox,
        delayed: opened.delayed,
      });
      try {
        await cluster.join({ pid: process.pid, host: hostname() });
      } catch (error) {
        await opened.close();
        throw error;
      }
      this.cluster = cluster;
    }
    const storage = new BrokerStorage(messages, metadata);
    // Set before any publish: the alarms exist by then (startMonitors runs before the listeners open).
    storage.onEnqueued = (bytes) => this.alarms?.noteWritten(bytes);
    this.closeStorage = async () => {
      await this.cluster?.leave();
      await opened.close();
    };
    storage.messages.onFault((error) => this.storageFaulted(storage, error));
    this.recoveredMessages = await this.core.recover(storage, path);
    for (const { queueId, seq, reason } of this.core.quarantined) {
      this.logger.error(
        { queue: queueId, seq, reason, dataDir: path },
        `storage: message ${seq} of queue ${queueId} is damaged (${reason}); quarantined: held out of the queue, not delivered`,
      );
    }
    if (this.recoveredMessages > 0)
      this.logger.info({ messages: this.recoveredMessages, dataDir: path }, 'recovered messages from storage');
    await this.cluster?.start();
  }

  /**
   * Multi-node: the node's lease is lost, so other nodes may already treat it as dead (its exclusive queues
   * deleted): it stops serving (closes its listeners and connections) rather than serve stale state.
   */
  private leaseLost(reason: string): void {
    const stopped = this.close();
    this.onStopped?.(new Error(`cluster: node lease lost: ${reason}`), stopped);
  }

  /** A failed write: publishes are nacked while faulted; keep trying to reopen the store until it works. */
  private storageFaulted(storage: BrokerStorage, error: Error): void {
    this.logger.error({ error: error.message }, 'storage fault: publishes of persistent messages are refused until it clears');
    if (this.reopenTimer || !this.isStarted) return;
    const retry = (): void => {
      // Closed meanwhile (a reopen was in flight): stop, or a failing reopen of the closed store retries forever.
      if (!this.isStarted) return;
      this.reopenTimer = setTimeout(() => {
        // A synchronous throw from reopen() becomes a rejection, so it retries like a failed reopen.
        Promise.resolve()
          .then(() => storage.messages.reopen())
          .then(
            () => {
              this.reopenTimer = undefined;
              this.logger.info('storage reopened');
            },
            (error: unknown) => {
              this.logger.debug(`storage reopen failed: ${describeError(error)}`);
              retry();
            },
          );
      }, this.config.storageRetryMs);
      this.reopenTimer.unref();
    };
    retry();
  }

  /**
   * Stops accepting and closes every client with 320 CONNECTION_FORCED, waiting (bounded) for them to go.
   */
  async close(): Promise<void> {
    if (!this.isStarted) return;
    this.isStarted = false;
    for (const connection of [...this.connections]) {
      connection.closeConnection(
        ReplyCode.CONNECTION_FORCED,
        "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'",
      );
    }
    await Promise.all([
      this.listener.close(this.config.closeTimeoutMs + 500),
      this.managementListener.close(this.config.closeTimeoutMs + 500),
      this.amqpsListener?.close(this.config.closeTimeoutMs + 500),
      this.metrics?.close(),
    ]);
    this.stats.stop();
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    this.alarms?.stop();
    QueuePager.isUnderMemoryPressure = false;
    this.management?.stop();
    clearInterval(this.consumerTimeoutTimer);
    this.core.dispose();
    await this.closeStorage?.();
    this.closeStorage = undefined;
    // Closing the store ends a check still scanning (it rejects, quietly).
    await this.integrityCheck;
  }

  /**
   * The full integrity check, after the listeners opened: it reads every message key, so it would make start-up
   * grow with the backlog (docs/RELIABILITY.md). What it finds is logged and fails the storage-integrity check.
   */
  private async checkIntegrityInBackground(): Promise<void> {
    const dataDir = this.config.storage === 'memory' ? '(memory)' : resolve(this.config.dataDir);
    const logged = new Set(this.core.quarantined.map(({ queueId, seq }) => `${queueId}/${seq}`));
    let report;
    try {
      report = await this.core.checkIntegrity();
    } catch (error) {
      if (this.isStarted && this.closeStorage !== undefined)
        this.logger.warn({ dataDir }, `storage: the integrity check failed to run: ${describeError(error)}`);
      return;
    }
    for (const problem of this.core.integrityProblems) this.logger.error({ dataDir }, `storage: the data directory is damaged: ${problem}`);
    for (const { queueId, seq, reason } of report?.quarantined ?? []) {
      if (logged.has(`${queueId}/${seq}`)) continue;
      this.logger.error(
        { queue: queueId, seq, reason, dataDir },
        `storage: message ${seq} of queue ${queueId} is damaged (${reason}); quarantined`,
      );
    }
  }

  private accept(socket: Socket, isManagement: boolean): void {
    const connection = new AmqpConnection(socket, {
      isManagement,
      managementInbox: isManagement ? this.management?.inbox : undefined,
      core: this.core,
      config: this.config,
      logger: this.logger,
      loginThrottle: this.loginThrottle,
      connectionClosed: (closed) => {
        this.connections.delete(closed);
        this.stats.connectionClosed(closed);
      },
      blockReason: () => this.blockReason,
      hasConnectionCapacity: (candidate) => {
        const max = this.config.maxConnections;
        // The admin API's connections do not count: a flood of clients must not lock the operator out.
        if (max === 0 || isManagement) return true;
        let open = 0;
        for (const connection of this.connections) {
          if (connection !== candidate && connection.state !== 'closed' && !connection.isManagement) open++;
        }
        return open < max;
      },
    });
    this.connections.add(connection);
    this.stats.connectionOpened(connection);
  }
}
