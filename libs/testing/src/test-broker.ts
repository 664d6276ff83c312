import { rm } from 'node:fs/promises';
import type { BrokerCore, Queue, VirtualHost } from '@app/broker-core';
import { ReplyCode } from '@app/codec';
import type { WarrenBroker } from '@app/server';
import { ExchangeCapture, type CaptureOptions } from './exchange-capture.js';
import { peekQueue, requireQueue, type InspectedMessage } from './inspected-message.js';
import { listBindings, type BindingFilter, type BindingInfo } from './list-bindings.js';
import { pollUntil } from './poll-until.js';
import { resetVhost, type ResetSummary } from './reset-vhost.js';
import { waitForQueue, type QueueConditions, type QueueSnapshot } from './wait-for-queue.js';

/** How `reset()` treats client connections. */
export interface ResetOptions {
  /**
   * Also close every client connection first (320 CONNECTION_FORCED) and wait until they are gone. Off by
   * default: connections opened in `beforeAll` survive a reset; their consumers just get `basic.cancel`.
   */
  closeConnections?: boolean;
}

/** Where a test broker keeps its data. */
export interface TestBrokerStorage {
  /** The LevelDB directory, undefined for in-memory storage. */
  dataDir: string | undefined;
  /** Remove `dataDir` on close (it is a temporary directory this library created). */
  isDataDirTemporary: boolean;
}

/** The methods bound to their instance, so `afterAll(broker.close)` and destructuring work. */
const BOUND_METHODS = [
  'queue',
  'waitForQueue',
  'peek',
  'count',
  'bindings',
  'reset',
  'capture',
  'closeConnections',
  'closeWithBroker',
  'close',
] as const;

/**
 * A Warren broker running in the test's own process, with helpers that look at its state through the core
 * objects directly (no AMQP round trips, nothing consumed). The helpers act on the default vhost `/`.
 * Created by `startTestBroker()`; `close()` it in `afterAll`/`afterEach`.
 */
export class TestBroker {
  /** The host clients connect to. */
  readonly host: string;
  /** The ephemeral port the broker listens on. */
  readonly port: number;
  /** An AMQP URL for the guest user and vhost `/`, for amqplib, Nest transports and the like. */
  readonly url: string;
  /** The management listener's URL (guest), for an admin API pointed at this broker (`WARREN_BROKER_URL`). */
  readonly managementUrl: string;
  /** The broker's state: vhosts, queues, topology. */
  readonly core: BrokerCore;
  /** The default vhost `/`, which the helpers act on. */
  readonly vhost: VirtualHost;
  /** The LevelDB directory of a persistent broker; undefined for in-memory storage. */
  readonly dataDir: string | undefined;
  private readonly captures = new Set<ExchangeCapture>();
  private readonly closers: Array<() => Promise<void>> = [];
  private closing?: Promise<void>;

  /** @internal Use `startTestBroker()`. */
  constructor(
    /** The started broker. */
    readonly broker: WarrenBroker,
    private readonly storage: TestBrokerStorage,
  ) {
    const configured = broker.config.host;
    const host = configured === undefined || configured === '0.0.0.0' || configured === '::' ? '127.0.0.1' : configured;
    this.host = host;
    this.port = broker.port;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    this.url = `amqp://guest:guest@${shownHost}:${broker.port}`;
    const managementHost = broker.config.managementHost.includes(':') ? `[${broker.config.managementHost}]` : broker.config.managementHost;
    this.managementUrl = `amqp://guest:guest@${managementHost}:${broker.managementPort}`;
    this.core = broker.core;
    this.vhost = broker.core.getVhost('/')!;
    this.dataDir = storage.dataDir;
    for (const name of BOUND_METHODS) (this as Record<string, unknown>)[name] = (this[name] as (...args: never[]) => unknown).bind(this);
  }

  /** The core queue `name` (for counters and options); throws naming it when it does not exist. */
  queue(name: string): Queue {
    return requireQueue(this.vhost, name);
  }

  /**
   * Waits until queue `name` exists and meets every condition given: `{ empty: true }` (0 ready, 0 unacked),
   * `{ messages: n }`, `{ consumers: n }`, `{ unacked: n }`. Polls the core; rejects after `timeoutMs` (default
   * 10 s) with what was awaited and what the queue has.
   */
  waitForQueue(name: string, conditions: QueueConditions = {}): Promise<QueueSnapshot> {
    return waitForQueue(this.vhost, name, conditions);
  }

  /** The first `limit` (default: all) ready messages of a queue, without consuming them. */
  peek(queue: string, limit?: number): InspectedMessage[] {
    return peekQueue(requireQueue(this.vhost, queue), limit);
  }

  /** The number of ready messages in a queue (unacked deliveries not included: see `queue(name).unackedCount`). */
  count(queue: string): number {
    return requireQueue(this.vhost, queue).messageCount;
  }

  /** Explicit bindings, optionally only those from `exchange` and/or to `queue`. */
  bindings(filter: BindingFilter = {}): BindingInfo[] {
    return listBindings(this.vhost, filter, (queue) => this.isCaptureQueue(queue));
  }

  /**
   * Deletes every queue, every exchange clients declared (with the messages delayed exchanges hold) and every
   * binding left between predeclared exchanges, in every vhost, so the next test starts from a fresh broker's topology. Consumers of deleted queues get
   * `basic.cancel`; captures stop. Resolves once durable deletions are on disk.
   */
  async reset({ closeConnections = false }: ResetOptions = {}): Promise<ResetSummary> {
    if (closeConnections) await this.closeConnections();
    const writes: Promise<void>[] = [];
    const total: ResetSummary = { queues: 0, exchanges: 0, exchangeBindings: 0 };
    for (const vhost of this.core.allVhosts()) {
      const summary = resetVhost(vhost, this.core.storage?.messages, writes);
      total.queues += summary.queues;
      total.exchanges += summary.exchanges;
      total.exchangeBindings += summary.exchangeBindings;
    }
    this.captures.clear();
    await Promise.all(writes);
    return total;
  }

  /**
   * Starts recording every message routed to `exchange` (see {@link ExchangeCapture} for the mechanism and its
   * side effect on mandatory publishes). Active as soon as it returns.
   */
  capture(exchange: string, options?: CaptureOptions): ExchangeCapture {
    for (const capture of this.captures) if (capture.isStopped) this.captures.delete(capture);
    const capture = new ExchangeCapture(this.vhost, exchange, options);
    this.captures.add(capture);
    return capture;
  }

  /** Closes every client connection with 320 CONNECTION_FORCED and waits until they are gone. */
  async closeConnections(): Promise<void> {
    for (const connection of [...this.broker.allConnections()]) {
      connection.closeConnection(
        ReplyCode.CONNECTION_FORCED,
        "CONNECTION_FORCED - broker forced connection closure with reason 'test reset'",
      );
    }
    await pollUntil(
      () => (this.broker.allConnections().next().done ? true : undefined),
      (timeoutMs) => `testing: client connections still open ${timeoutMs} ms after closing them`,
      { timeoutMs: this.broker.config.closeTimeoutMs + 2_000 },
    );
  }

  /**
   * Registers something to close before the broker does (Nest apps and clients the helpers created), so a
   * client never sees the broker go away and starts reconnecting. Closed newest first.
   */
  closeWithBroker(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  /**
   * Closes what was registered with `closeWithBroker`, stops captures, closes the broker (clients still
   * connected get 320 CONNECTION_FORCED) and removes a temporary data directory. Idempotent.
   */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    let firstError: unknown;
    for (const close of this.closers.splice(0).reverse()) {
      await close().catch((error: unknown) => (firstError ??= error));
    }
    for (const capture of this.captures) capture.stop();
    this.captures.clear();
    await this.broker.close();
    if (this.storage.isDataDirTemporary && this.storage.dataDir !== undefined) {
      await rm(this.storage.dataDir, { recursive: true, force: true });
    }
    if (firstError !== undefined) throw firstError;
  }

  private isCaptureQueue(queue: Queue): boolean {
    for (const capture of this.captures) if (capture.ownsQueue(queue)) return true;
    return false;
  }
}
