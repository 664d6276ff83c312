import type { Exchange } from '@app/routing';
import { MESSAGE_RECORD_HEADER_BYTES, allocateMessageRecord, sealMessageRecord, type MessageStore } from '@app/storage';
import { runGuarded, type BackgroundErrorReporter } from '../background-task.js';
import { Message } from '../queue/message.js';
import type { Queue } from '../queue/queue.js';
import type { PublishOutcome } from './virtual-host.js';

/** The longest delay a Node.js timer takes (2^31 - 1 ms); longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

interface Pending {
  timer: NodeJS.Timeout;
  seq: number;
  storeId?: string;
}

/** The storage id of a delayed exchange's held messages: `delayed:<vhost, URI-encoded>/<exchange name>`. */
export function delayedStoreId(vhost: string, exchangeName: string): string {
  return `delayed:${encodeURIComponent(vhost)}/${exchangeName}`;
}

/**
 * Multi-node mode (docs/SCALE-OUT.md, "Delayed messages"): holds the persistent messages of durable delayed exchanges
 * for every node, so whichever node is alive routes each once it is due (it calls {@link DelayedMessages.routeDue}).
 */
export interface SharedDelayedHold {
  /** Holds `message` for `delayMs` under the exchange's storage id; resolves once stored (the publisher's confirm). */
  hold(exchangeId: string, message: Message, delayMs: number): Promise<void>;
}

/**
 * Messages held by `x-delayed-message` exchanges until their `x-delay` is over, then routed by the exchange's
 * `x-delayed-type`. Persistent messages sent to a durable delayed exchange are stored (under a per-exchange
 * storage id) with their due time, so they survive a restart; the rest live in memory only, as in RabbitMQ's plugin.
 * In multi-node mode those persistent ones go to {@link shared} instead, and the rest stay on the node.
 */
export class DelayedMessages {
  private readonly pending = new Set<Pending>();
  private nextSeq = 1;
  /** Multi-node mode: where persistent messages of durable delayed exchanges are held (for every node). */
  shared: SharedDelayedHold | undefined;

  constructor(
    private readonly vhost: string,
    private readonly route: (exchange: Exchange<Queue>, routingKey: string, message: Message) => PublishOutcome | Promise<void>,
    private readonly lookup: (name: string) => Exchange<Queue> | undefined,
    private readonly reportError?: BackgroundErrorReporter,
  ) {}

  /** The storage id of an exchange's delayed messages. */
  storeId(exchangeName: string): string {
    return delayedStoreId(this.vhost, exchangeName);
  }

  /** Holds a message for `delayMs`; returns the store's write when it had to be persisted. */
  schedule(
    exchange: Exchange<Queue>,
    routingKey: string,
    message: Message,
    delayMs: number,
    store?: MessageStore,
  ): Promise<void> | undefined {
    if (this.shared !== undefined && exchange.durable && message.isPersistent) {
      return this.shared.hold(this.storeId(exchange.name), message, delayMs);
    }
    const dueAt = Date.now() + delayMs;
    const seq = this.nextSeq++;
    let write: Promise<void> | undefined;
    let storeId: string | undefined;
    if (store && exchange.durable && message.isPersistent) {
      storeId = this.storeId(exchange.name);
      // One record: due time, then the encoded message (not its own record, so one checksum covers both).
      const data = allocateMessageRecord(8 + message.encodedLength);
      data.writeDoubleBE(dueAt, MESSAGE_RECORD_HEADER_BYTES);
      message.encodeInto(data, MESSAGE_RECORD_HEADER_BYTES + 8);
      write = store.enqueue([{ queueId: storeId, seq, data: sealMessageRecord(data) }]);
    }
    this.arm(exchange, routingKey, message, dueAt, seq, storeId, store);
    return write;
  }

  /** Re-arms the stored delayed messages of a durable delayed exchange at start-up. */
  async restore(exchangeName: string, store: MessageStore): Promise<number> {
    const storeId = this.storeId(exchangeName);
    let count = 0;
    for await (const stored of store.recover(storeId)) {
      const dueAt = stored.data.readDoubleBE(MESSAGE_RECORD_HEADER_BYTES);
      const message = Message.fromEncoded(stored.data, MESSAGE_RECORD_HEADER_BYTES + 8);
      this.nextSeq = Math.max(this.nextSeq, stored.seq + 1);
      const exchange = this.lookup(exchangeName);
      if (exchange) this.arm(exchange, message.routingKey, message, dueAt, stored.seq, storeId, store);
      count++;
    }
    const info = await store.queueInfo(storeId);
    if (info) this.nextSeq = Math.max(this.nextSeq, info.nextSeq);
    return count;
  }

  /**
   * Multi-node mode: routes a message {@link shared} held that came due (this node claimed it). Returns the
   * enqueue's write when it went to durable queues; undefined when it is done (routed to memory only, unroutable,
   * or its exchange is gone here: the message went with it, as in RabbitMQ's plugin).
   */
  routeDue(exchangeName: string, message: Message): Promise<void> | undefined {
    const exchange = this.lookup(exchangeName);
    if (exchange === undefined || !exchange.type.isDelayed) return undefined;
    const outcome = this.route(exchange, message.routingKey, message);
    return typeof outcome === 'object' ? outcome : undefined;
  }

  /** Number of messages waiting (on this node). */
  get size(): number {
    return this.pending.size;
  }

  /** Cancels every timer (shutdown); stored messages stay stored. */
  dispose(): void {
    for (const pending of this.pending) clearTimeout(pending.timer);
    this.pending.clear();
  }

  private arm(
    exchange: Exchange<Queue>,
    routingKey: string,
    message: Message,
    dueAt: number,
    seq: number,
    storeId: string | undefined,
    store: MessageStore | undefined,
  ): void {
    const fire = (): void => {
      // Node's timers hold at most 2^31 - 1 ms (about 24.8 days) and fire at once for longer: wait in such steps.
      const left = dueAt - Date.now();
      if (left > 0) {
        pending.timer = setTimeout(fire, Math.min(left, MAX_TIMER_MS));
        pending.timer.unref();
        return;
      }
      this.pending.delete(pending);
      runGuarded(
        `delayed message on exchange '${exchange.name}'`,
        () => {
          // The exchange may have been deleted (and even re-declared) meanwhile: the message went with the exchange
          // it was published to, as in RabbitMQ's plugin, so only that same exchange object may route it.
          if (this.lookup(exchange.name) !== exchange) return;
          const outcome = this.route(exchange, routingKey, message);
          // Nobody waits for a delayed message's write: a failed one surfaces through the store's fault state.
          if (typeof outcome === 'object') outcome.catch(() => undefined);
        },
        this.reportError,
      );
      if (storeId && store) store.remove(storeId, [seq]).catch(() => undefined);
    };
    const pending: Pending = { seq, storeId, timer: setTimeout(fire, Math.min(Math.max(0, dueAt - Date.now()), MAX_TIMER_MS)) };
    pending.timer.unref();
    this.pending.add(pending);
  }
}
