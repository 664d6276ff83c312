import { BROKER_ACTOR, type BrokerCore, type Queue, type VirtualHost } from '@app/broker-core';
import { decodeFieldTable, encodeFieldTable, type FieldTable } from '@app/codec';
import type { TopologyChange } from '@app/routing';
import type { ClusterStore } from '@app/storage';

/** A non-durable exchange as the shared store keeps it. */
interface ExchangeValue {
  vhost: string;
  name: string;
  type: string;
  autoDelete: boolean;
  internal: boolean;
  /** AMQP-encoded field table, base64. */
  arguments: string;
}

/** A binding with a non-durable end as the shared store keeps it (the fields of topology-persistence.ts's records). */
interface BindingValue {
  vhost: string;
  source: string;
  destinationType: 'queue' | 'exchange';
  destination: string;
  routingKey: string;
  arguments: string;
}

const encodeArguments = (args: Readonly<Record<string, unknown>>): string => encodeFieldTable(args as FieldTable).toString('base64');
const decodeArguments = (encoded: string): FieldTable => decodeFieldTable(Buffer.from(encoded, 'base64'));

/**
 * Keys of what a node owns in the shared store (change kind `exclusive-queue`), told apart by length: a queue's is
 * `[vhost, name]` (remote-topology.ts, also for non-durable queues), an exchange's `["exchange", vhost, name]`, a
 * binding's `["binding", vhost, source, destinationType, destination, routingKey, arguments]`.
 */
export function ownedExchangeKey(vhost: string, name: string): string {
  return JSON.stringify(['exchange', vhost, name]);
}

function ownedBindingKey(value: BindingValue): string {
  return JSON.stringify([
    'binding',
    value.vhost,
    value.source,
    value.destinationType,
    value.destination,
    value.routingKey,
    value.arguments,
  ]);
}

/** What a key names: see {@link ownedExchangeKey}. */
export function ownedKeyKind(key: string): 'queue' | 'exchange' | 'binding' {
  const fields = JSON.parse(key) as string[];
  return fields.length === 2 ? 'queue' : fields[0] === 'exchange' ? 'exchange' : 'binding';
}

/**
 * Non-durable exchanges and bindings with a non-durable end, shared by every node (RabbitMQ's transient topology is
 * cluster-wide): each change a client makes here is written to the shared store as a row owned by a node
 * (ClusterStore.writeExclusiveQueue), logged, and applied by every other node. A binding's owner is the node of its
 * non-durable queue, so it goes with the queue; else the node that declared its non-durable exchange, else the node
 * that bound it. An exchange's owner is the node where it was first declared (a re-declare changes nothing). When
 * an owner leaves or its lease runs out, exchanges and bindings not with its queues pass to a live node (the
 * store's reap and deregister), so they stay until deleted, as RabbitMQ's do.
 */
export class NodeOwnedTopology {
  /** Owners of the non-durable exchanges known here, by key. */
  private readonly exchangeOwners = new Map<string, string>();

  constructor(
    private readonly core: BrokerCore,
    private readonly store: ClusterStore,
    private readonly isApplyingRemote: () => boolean,
    /** The node another node's queue held here lives on (remote-topology.ts's queueNodeOf); undefined for own ones. */
    private readonly nodeOfQueue: (queue: Queue) => string | undefined,
    private readonly report: (what: string, error: unknown) => void,
  ) {}

  /** A client of this node changed a non-durable exchange or binding (BrokerCore.transientTopologyListener). */
  changed(vhost: VirtualHost, change: TopologyChange<Queue>): Promise<void> | undefined {
    if (this.isApplyingRemote()) return undefined;
    const me = this.store.nodeName;
    if (change.kind === 'exchange.declared' || change.kind === 'exchange.deleted') {
      const exchange = change.exchange;
      const key = ownedExchangeKey(vhost.name, exchange.name);
      if (change.kind === 'exchange.deleted') {
        this.exchangeOwners.delete(key);
        // Whoever owns the row: the exchange is one for the whole cluster.
        return this.write({ type: 'del', key, owner: null });
      }
      this.exchangeOwners.set(key, me);
      const value: ExchangeValue = {
        vhost: vhost.name,
        name: exchange.name,
        type: exchange.type.name,
        autoDelete: exchange.autoDelete,
        internal: exchange.internal,
        arguments: encodeArguments(exchange.arguments),
      };
      return this.write({ type: 'put', key, value: Buffer.from(JSON.stringify(value)), owner: me });
    }
    const binding = change.binding;
    const value: BindingValue = {
      vhost: vhost.name,
      source: binding.source.name,
      destinationType: binding.destinationType,
      destination: binding.destination.name,
      routingKey: binding.routingKey,
      arguments: encodeArguments(binding.arguments),
    };
    let owner: string | undefined;
    if (binding.destinationType === 'queue') {
      const queue = binding.destination as Queue;
      if (queue.storage === undefined || queue.options.exclusive) owner = this.nodeOfQueue(queue) ?? me;
    } else if (!(binding.destination as { durable: boolean }).durable) {
      owner = this.exchangeOwners.get(ownedExchangeKey(vhost.name, binding.destination.name));
    }
    if (owner === undefined && !binding.source.durable) owner = this.exchangeOwners.get(ownedExchangeKey(vhost.name, binding.source.name));
    owner ??= me;
    const key = ownedBindingKey(value);
    if (change.kind === 'binding.removed') return this.write({ type: 'del', key, owner: null });
    return this.write({ type: 'put', key, value: Buffer.from(JSON.stringify(value)), owner });
  }

  /** A consumer here of another node's queue, which never receives anything here: logged once per queue. */
  idleConsumer(queue: Queue, node: string): void {
    this.report(
      `consumers of queue '${queue.name}' in vhost '${queue.vhost}' on this node receive nothing`,
      new Error(`it lives on node ${node}: consume it there, or declare it durable (a shared queue)`),
    );
  }

  /** Applies another node's put or delete of a non-durable exchange (`node`: its owner). */
  applyExchange(op: { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string }, node: string): void {
    const [, vhostName, name] = JSON.parse(op.key) as [string, string, string];
    const vhost = this.core.getVhost(vhostName);
    if (vhost === undefined) return;
    if (op.type === 'del') {
      this.exchangeOwners.delete(op.key);
      const exchange = vhost.topology.getExchange(name);
      // Only the non-durable one: a durable exchange of the name declared since is not the owner's to remove.
      if (exchange === undefined || exchange.durable) return;
      vhost.execute({ kind: 'exchange.delete', exchange: name, ifUnused: false }, BROKER_ACTOR);
      return;
    }
    const value = JSON.parse(op.value.toString('utf8')) as ExchangeValue;
    this.exchangeOwners.set(op.key, node);
    vhost.execute(
      {
        kind: 'exchange.declare',
        exchange: value.name,
        options: {
          type: value.type,
          durable: false,
          autoDelete: value.autoDelete,
          internal: value.internal,
          arguments: decodeArguments(value.arguments),
        },
      },
      BROKER_ACTOR,
    );
  }

  /** The binding's fields in the order remote-topology.ts applies them (a put's value, or a delete's key). */
  static bindingFields(op: { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string }): string[] {
    if (op.type === 'del') return (JSON.parse(op.key) as string[]).slice(1);
    const value = JSON.parse(op.value.toString('utf8')) as BindingValue;
    return [value.vhost, value.source, value.destinationType, value.destination, value.routingKey, value.arguments];
  }

  /** Resolves once written (the client's command waits for it, as for durable topology); a failure is reported. */
  private write(op: Parameters<ClusterStore['writeExclusiveQueue']>[0]): Promise<void> {
    const written = this.store.writeExclusiveQueue(op);
    written.catch((error: unknown) => this.report(`cannot share ${op.key}`, error));
    return written;
  }
}
