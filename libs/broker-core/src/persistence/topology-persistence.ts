import { decodeFieldTable, encodeFieldTable, type FieldTable } from '@app/codec';
import type { MetadataOp, MetadataRecord, MetadataStore } from '@app/storage';
import type { Binding, Exchange, RoutableQueue, Topology, TopologyChange } from '@app/routing';

interface ExchangeRecord {
  vhost: string;
  name: string;
  type: string;
  autoDelete: boolean;
  internal: boolean;
  /** The arguments field table, AMQP-encoded then base64, so typed values survive exactly. */
  arguments: string;
}

interface BindingRecordValue {
  vhost: string;
  source: string;
  destinationType: 'queue' | 'exchange';
  destination: string;
  routingKey: string;
  arguments: string;
}

function encodeArguments(args: Readonly<Record<string, unknown>>): string {
  return encodeFieldTable(args as FieldTable).toString('base64');
}

function decodeArguments(encoded: string): FieldTable {
  return decodeFieldTable(Buffer.from(encoded, 'base64'));
}

function exchangeKey(vhost: string, name: string): string {
  return JSON.stringify([vhost, name]);
}

function bindingKey(vhost: string, binding: Binding<RoutableQueue>): string {
  return JSON.stringify([
    vhost,
    binding.source.name,
    binding.destinationType,
    binding.destination.name,
    binding.routingKey,
    encodeArguments(binding.arguments),
  ]);
}

/**
 * Persists a vhost's durable exchanges and bindings through the storage MetadataStore port, and rebuilds them at
 * start-up. A binding is durable when both its ends are (RabbitMQ's rule); non-durable ones are never written.
 *
 * Writes go out as they happen and share the message store's group commit, so a confirmed persistent message
 * is never on disk without the bindings that routed it.
 */
export class TopologyPersistence<Q extends RoutableQueue> {
  /**
   * @param onWrite receives every write started, so the command that caused it can wait for it (see
   *   `VirtualHost.execute`).
   */
  constructor(
    private readonly topology: Topology<Q>,
    private readonly store: MetadataStore,
    private readonly isDurableQueue: (queue: Q) => boolean,
    private readonly onWrite: (write: Promise<void>) => void,
  ) {}

  /** Hears the changes this class does not store: non-durable exchanges, bindings with a non-durable end. */
  onTransientChange?: (change: TopologyChange<Q>) => Promise<void> | void;

  /** Starts writing the topology's changes. */
  attach(): void {
    this.topology.onChange = (change) => this.record(change);
  }

  /**
   * Re-declares durable exchanges, then (after the caller restored its queues) bindings, from stored records.
   * Records of other vhosts are ignored. Returns the number of bindings whose queue or exchange no longer exists.
   */
  restoreExchanges(records: readonly MetadataRecord[]): void {
    for (const record of records) {
      if (record.kind !== 'exchange') continue;
      const value = JSON.parse(record.value.toString('utf8')) as ExchangeRecord;
      if (value.vhost !== this.topology.vhost) continue;
      this.topology.declareExchange(value.name, {
        type: value.type,
        durable: true,
        autoDelete: value.autoDelete,
        internal: value.internal,
        arguments: decodeArguments(value.arguments),
      });
    }
  }

  /** Re-creates durable bindings; `resolveQueue` finds restored queues. Returns the number of dangling records. */
  restoreBindings(records: readonly MetadataRecord[], resolveQueue: (name: string) => Q | undefined): number {
    let dangling = 0;
    for (const record of records) {
      if (record.kind !== 'binding') continue;
      const value = JSON.parse(record.value.toString('utf8')) as BindingRecordValue;
      if (value.vhost !== this.topology.vhost) continue;
      const args = decodeArguments(value.arguments);
      if (!this.topology.getExchange(value.source)) {
        dangling++;
        continue;
      }
      if (value.destinationType === 'queue') {
        const queue = resolveQueue(value.destination);
        if (!queue) {
          dangling++;
          continue;
        }
        this.topology.bindQueue(queue, value.source, value.routingKey, args);
      } else if (this.topology.getExchange(value.destination)) {
        this.topology.bindExchange(value.destination, value.source, value.routingKey, args);
      } else {
        dangling++;
      }
    }
    return dangling;
  }

  /**
   * Deletes the records of every durable exchange and binding of the topology in one write (the vhost is being
   * deleted); stops recording changes.
   */
  forgetAll(): Promise<void> {
    this.topology.onChange = undefined;
    const vhost = this.topology.vhost;
    const ops: MetadataOp[] = [];
    for (const exchange of this.topology.exchanges()) {
      if (exchange.durable) ops.push({ type: 'del', kind: 'exchange', key: exchangeKey(vhost, exchange.name) });
    }
    for (const binding of this.topology.bindings()) {
      ops.push({ type: 'del', kind: 'binding', key: bindingKey(vhost, binding as unknown as Binding<RoutableQueue>) });
    }
    return ops.length === 0 ? Promise.resolve() : this.store.apply(ops);
  }

  private isDurable(exchangeOrQueue: Exchange<Q> | Q, type: 'queue' | 'exchange'): boolean {
    return type === 'exchange' ? (exchangeOrQueue as Exchange<Q>).durable : this.isDurableQueue(exchangeOrQueue as Q);
  }

  /** A change shared some other way (multi-node mode): the command waits for that write too. */
  private transient(change: TopologyChange<Q>): void {
    const write = this.onTransientChange?.(change);
    if (write) this.onWrite(write);
  }

  private record(change: TopologyChange<Q>): void {
    const vhost = this.topology.vhost;
    let op: MetadataOp | undefined;
    switch (change.kind) {
      case 'exchange.declared':
      case 'exchange.deleted': {
        const exchange = change.exchange;
        if (!exchange.durable) return this.transient(change);
        const key = exchangeKey(vhost, exchange.name);
        if (change.kind === 'exchange.deleted') {
          op = { type: 'del', kind: 'exchange', key };
        } else {
          const value: ExchangeRecord = {
            vhost,
            name: exchange.name,
            type: exchange.type.name,
            autoDelete: exchange.autoDelete,
            internal: exchange.internal,
            arguments: encodeArguments(exchange.arguments),
          };
          op = { type: 'put', kind: 'exchange', key, value: Buffer.from(JSON.stringify(value)) };
        }
        break;
      }
      case 'binding.added':
      case 'binding.removed': {
        const binding = change.binding;
        if (!binding.source.durable || !this.isDurable(binding.destination, binding.destinationType)) return this.transient(change);
        const key = bindingKey(vhost, binding as unknown as Binding<RoutableQueue>);
        if (change.kind === 'binding.removed') {
          op = { type: 'del', kind: 'binding', key };
        } else {
          const value: BindingRecordValue = {
            vhost,
            source: binding.source.name,
            destinationType: binding.destinationType,
            destination: binding.destination.name,
            routingKey: binding.routingKey,
            arguments: encodeArguments(binding.arguments),
          };
          op = { type: 'put', kind: 'binding', key, value: Buffer.from(JSON.stringify(value)) };
        }
        break;
      }
    }
    this.onWrite(this.store.apply([op]));
  }
}
