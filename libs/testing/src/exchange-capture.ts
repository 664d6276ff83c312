import type { Queue, QueueConsumer, QueueEntry, TopologyActor, VirtualHost } from '@app/broker-core';
import type { Headers } from '@app/routing';
import { DEFAULT_WAIT_TIMEOUT_MS } from './poll-until.js';
import { inspectMessage, type InspectedMessage } from './inspected-message.js';

/** How a capture binds to its exchange. */
export interface CaptureOptions {
  /**
   * Binding keys. Default: `#` for topic, `''` for fanout and headers. Required for direct exchanges, which
   * have no catch-all key.
   */
  routingKeys?: readonly string[];
  /** Binding arguments (headers exchanges; default `{}`: `x-match=all` with no fields, which matches everything). */
  arguments?: Headers;
}

/** Catch-all binding keys per exchange type; direct (and plugin types) have none. */
const CATCH_ALL_KEYS: Readonly<Record<string, readonly string[]>> = { topic: ['#'], fanout: [''], headers: [''] };

const NON_DURABLE_EXCLUSIVE = { durable: false, exclusive: true, autoDelete: false, arguments: {} };

let nextCaptureNumber = 1;

interface Waiter {
  count: number;
  resolve(messages: InspectedMessage[]): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Records every message routed to one exchange, as a consumer of its own queue would see it.
 *
 * Mechanism (core level, no AMQP round trip): an exclusive, server-named (`amq.gen-…`), non-durable queue is
 * declared in the vhost and bound to the exchange with a catch-all key, and an in-process no-ack consumer
 * records each delivery synchronously as the broker routes it. It is therefore a real queue with a real binding,
 * and it sees exactly what routing delivers: messages that reach the exchange through exchange-to-exchange
 * bindings too. Side effect: while a capture is active its exchange always has a match, so a publish to it is
 * never unroutable (no `basic.return` for mandatory publishes, no alternate-exchange hand-off).
 *
 * Invariant: `record` runs inside the broker's publish path, so it only appends and settles promises; it never
 * throws or re-enters the core.
 */
export class ExchangeCapture {
  /** The capture's own queue (visible in the vhost while the capture runs). */
  readonly queueName: string;
  private received: InspectedMessage[] = [];
  private readonly waiters = new Set<Waiter>();
  /** Runs the capture's topology commands; it owns its exclusive queue. */
  private readonly actor: TopologyActor = { owner: this };
  private readonly queue: Queue;
  private stopped = false;
  private stopReason = '';

  /** @internal Use `TestBroker.capture()`. */
  constructor(
    private readonly vhost: VirtualHost,
    readonly exchange: string,
    options: CaptureOptions = {},
  ) {
    const target = vhost.topology.getExchange(exchange);
    if (target === undefined) throw new Error(`testing: no exchange '${exchange}' in vhost '${vhost.name}' to capture`);
    if (target.isDefault)
      throw new Error("testing: the default exchange '' cannot be bound, so it cannot be captured; peek the destination queue instead");
    const keys = options.routingKeys ?? CATCH_ALL_KEYS[target.type.name];
    if (keys === undefined || keys.length === 0) {
      throw new Error(
        `testing: exchange '${exchange}' is of type '${target.type.name}', which has no catch-all binding key; pass capture('${exchange}', { routingKeys: [...] })`,
      );
    }
    const consumer: QueueConsumer = {
      tag: `warren.testing.capture-${nextCaptureNumber++}`,
      noAck: true,
      exclusive: false,
      owner: this,
      canAccept: () => true,
      deliver: (_queue, entry) => this.record(entry),
      cancelledByServer: () => this.end('its queue was deleted'),
    };
    this.queue = vhost.execute({ kind: 'queue.declare', queue: '', options: NON_DURABLE_EXCLUSIVE }, this.actor).result.queue;
    this.queueName = this.queue.name;
    try {
      for (const key of keys) {
        vhost.execute(
          { kind: 'queue.bind', queue: this.queueName, exchange, routingKey: key, arguments: options.arguments ?? {} },
          this.actor,
        );
      }
    } catch (error) {
      this.deleteQueue();
      throw error;
    }
    this.queue.addConsumer(consumer);
  }

  /** Everything captured since the start or the last `clear()`, oldest first (a live array). */
  get messages(): readonly InspectedMessage[] {
    return this.received;
  }

  /** True once `stop()` was called or the capture's queue was deleted (`reset()`, a client deleting it). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** True for the queue this capture consumes from. */
  ownsQueue(queue: Queue): boolean {
    return queue === this.queue;
  }

  /**
   * Resolves with the captured messages once there are at least `count` (counted from the last `clear()`).
   * Rejects after `timeoutMs`, or when the capture stops first, saying how many arrived.
   */
  waitFor(count: number, { timeoutMs = DEFAULT_WAIT_TIMEOUT_MS }: { timeoutMs?: number } = {}): Promise<InspectedMessage[]> {
    if (this.received.length >= count) return Promise.resolve([...this.received]);
    if (this.stopped) return Promise.reject(this.stoppedError(count));
    return new Promise<InspectedMessage[]>((resolve, reject) => {
      const waiter: Waiter = {
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new Error(
              `testing: timed out after ${timeoutMs} ms waiting for ${count} messages captured from exchange '${this.exchange}'; got ${this.received.length}`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Forgets what was captured so far; arrays returned earlier keep their contents. */
  clear(): void {
    this.received = [];
  }

  /** Stops capturing: deletes the capture's queue and binding. Pending `waitFor`s reject. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.end('it was stopped');
    this.deleteQueue();
  }

  /** Deletes the capture's own (exclusive, non-durable) queue through the vhost's command path. */
  private deleteQueue(): void {
    this.vhost.execute({ kind: 'queue.delete', queue: this.queueName, ifUnused: false, ifEmpty: false }, this.actor);
  }

  private record(entry: QueueEntry): void {
    this.received.push(inspectMessage(entry.message, false));
    for (const waiter of this.waiters) {
      if (this.received.length < waiter.count) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve([...this.received]);
    }
  }

  private end(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopReason = reason;
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(this.stoppedError(waiter.count));
    }
    this.waiters.clear();
  }

  private stoppedError(count: number): Error {
    return new Error(
      `testing: the capture of exchange '${this.exchange}' ended (${this.stopReason}) with ${this.received.length} of ${count} awaited messages`,
    );
  }
}
