import {
  BROKER_ACTOR,
  BrokerStorage,
  type BrokerCore,
  type Queue,
  type TopologyActor,
  type TopologyCommand,
  type VirtualHost,
} from '@app/broker-core';
import { decodeFieldTable, encodeFieldTable, type FieldTable } from '@app/codec';
import type { ClusterChange, ClusterOp, MetadataRecord, NodeMailbox } from '@app/storage';
import { NodeOwnedTopology, ownedKeyKind } from './node-owned-topology.js';
import { RemoteQueueLink, markSharedCopy, remoteNodeOf } from './remote-queue-link.js';
import type { SharedMetadataStore } from './shared-metadata-store.js';

/** The owner of exclusive queues a connection of another node holds: local clients get 405 RESOURCE_LOCKED. */
export class RemoteQueueOwner {
  constructor(readonly node: string) {}
}

/**
 * The node another node's queue held here lives on (its exclusive owner, or its link for a non-durable one);
 * undefined for this node's own queues.
 */
export function queueNodeOf(queue: Queue): string | undefined {
  return queue.exclusiveOwner instanceof RemoteQueueOwner ? queue.exclusiveOwner.node : remoteNodeOf(queue);
}

/**
 * The stored form of a queue a node owns (cluster change kind `exclusive-queue`, key = {@link exclusiveQueueKey}):
 * an exclusive queue, or a non-durable one (`exclusive` false; absent in what older nodes wrote, all exclusive).
 */
interface ExclusiveQueueValue {
  vhost: string;
  name: string;
  exclusive?: boolean;
  durable: boolean;
  autoDelete: boolean;
  /** AMQP-encoded field table, base64. */
  arguments: string;
}

/** The key of an exclusive queue in the shared store. */
export function exclusiveQueueKey(vhost: string, name: string): string {
  return JSON.stringify([vhost, name]);
}

/** The stored value of an exclusive queue. */
export function exclusiveQueueValue(queue: Queue): Buffer {
  const value: ExclusiveQueueValue = {
    vhost: queue.vhost,
    name: queue.name,
    exclusive: queue.options.exclusive,
    durable: queue.options.durable,
    autoDelete: queue.options.autoDelete,
    arguments: encodeFieldTable(queue.options.arguments as FieldTable).toString('base64'),
  };
  return Buffer.from(JSON.stringify(value));
}

const decodeArguments = (encoded: string): FieldTable => decodeFieldTable(Buffer.from(encoded, 'base64'));

/**
 * Applies the topology changes other nodes made to this node's core, through the same paths local changes take
 * (VirtualHost.execute with the broker's own actor, the user and permission stores), with writes suppressed: the
 * change is already in the shared store. Every op is applied on its own: applying is idempotent (declare what
 * exists, delete what is gone), and one op that no longer fits (its vhost was deleted meanwhile) is reported and
 * skipped, never stopping the others. Synchronous: runs on the event loop between client frames.
 */
export class RemoteTopology {
  private readonly owners = new Map<string, RemoteQueueOwner>();

  /**
   * @param owned non-durable exchanges and bindings (node-owned-topology.ts)
   * @param mailbox forwards what this node routes to other nodes' non-durable and exclusive queues; without it
   *   (single-node tests) they keep what is routed here.
   * @param shareTransient with shared queues: makes another node's non-durable, non-exclusive queue a shared-table
   *   copy here (true), so its consumers here receive; otherwise it is forwarded to through `mailbox`
   */
  constructor(
    private readonly core: BrokerCore,
    private readonly metadata: SharedMetadataStore,
    private readonly report: (op: ClusterOp, error: unknown) => void,
    private readonly owned?: NodeOwnedTopology,
    private readonly mailbox?: NodeMailbox,
    private readonly shareTransient?: (queue: Queue) => boolean,
  ) {}

  /** The owner object standing for `node`'s connections. */
  ownerOf(node: string): RemoteQueueOwner {
    let owner = this.owners.get(node);
    if (owner === undefined) this.owners.set(node, (owner = new RemoteQueueOwner(node)));
    return owner;
  }

  /** Applies every op of a change another node committed. */
  apply(change: ClusterChange): void {
    for (const op of change.ops) {
      try {
        this.metadata.whileApplyingRemote(() => this.applyOp(op, change.node));
      } catch (error) {
        this.report(op, error);
      }
    }
  }

  private applyOp(op: ClusterOp, node: string): void {
    const record = op.type === 'put' ? ({ kind: op.kind, key: op.key, value: op.value } as MetadataRecord) : undefined;
    switch (op.kind) {
      case 'vhost':
        if (record) this.core.addVhost(op.key);
        else void this.core.deleteVhost(op.key);
        return;
      case 'user':
        if (record) this.core.users.applyStored(record);
        else void this.core.users.deleteUser(op.key);
        return;
      case 'permission':
      case 'topic-permission':
        if (record) this.core.permissions.restore([record]);
        else this.core.permissions.dropStored(op.kind, op.key);
        return;
      case 'exchange':
        return this.applyExchange(op);
      case 'queue':
        return this.applyQueue(op, record);
      case 'binding':
        return this.applyBindingFields(op.type, RemoteTopology.bindingRecordFields(op));
      case 'exclusive-queue':
        return this.applyExclusiveQueue(op, node);
    }
  }

  private run(vhostName: string, command: TopologyCommand, actor: TopologyActor = BROKER_ACTOR): void {
    const vhost = this.core.getVhost(vhostName);
    // A vhost deleted meanwhile: everything in it is gone already.
    if (vhost === undefined) return;
    vhost.execute(command, actor);
  }

  private applyExchange(op: ClusterOp): void {
    if (op.type === 'del') {
      const [vhost, exchange] = JSON.parse(op.key) as [string, string];
      return this.run(vhost, { kind: 'exchange.delete', exchange, ifUnused: false });
    }
    const value = JSON.parse(op.value.toString('utf8')) as {
      vhost: string;
      name: string;
      type: string;
      autoDelete: boolean;
      internal: boolean;
      arguments: string;
    };
    this.run(value.vhost, {
      kind: 'exchange.declare',
      exchange: value.name,
      options: {
        type: value.type,
        durable: true,
        autoDelete: value.autoDelete,
        internal: value.internal,
        arguments: decodeArguments(value.arguments),
      },
    });
  }

  private applyQueue(op: ClusterOp, record: MetadataRecord | undefined): void {
    if (record === undefined) {
      // The key is the queue's storage id: the vhost URI-encoded (so without `/`), a slash, the name.
      const slash = op.key.indexOf('/');
      const vhost = decodeURIComponent(op.key.slice(0, slash));
      return this.run(vhost, { kind: 'queue.delete', queue: op.key.slice(slash + 1), ifUnused: false, ifEmpty: false });
    }
    const [queue] = BrokerStorage.queueRecords([record]);
    if (queue === undefined) return;
    this.run(queue.vhost, { kind: 'queue.declare', queue: queue.name, options: queue.options });
  }

  private static bindingRecordFields(op: ClusterOp): string[] {
    // A put carries the binding as a JSON object, a delete only its key: the same fields as a JSON array.
    return op.type === 'del'
      ? (JSON.parse(op.key) as string[])
      : (({ vhost, source, destinationType, destination, routingKey, arguments: args }: Record<string, string>) => [
          vhost,
          source,
          destinationType,
          destination,
          routingKey,
          args,
        ])(JSON.parse(op.value.toString('utf8')) as Record<string, string>);
  }

  private applyBindingFields(type: 'put' | 'del', fields: string[]): void {
    const [vhost, source, destinationType, destination, routingKey, args] = fields as [string, string, string, string, string, string];
    // An end deleted by a later change (a replay while catching up): nothing to bind, nothing left to unbind.
    const vhostState = this.core.getVhost(vhost);
    const hasDestination = destinationType === 'queue' ? vhostState?.getQueue(destination) : vhostState?.topology.getExchange(destination);
    if (vhostState?.topology.getExchange(source) === undefined || hasDestination === undefined) return;
    const argumentsTable = decodeArguments(args);
    const isBind = type === 'put';
    if (destinationType === 'queue') {
      this.run(vhost, {
        kind: isBind ? 'queue.bind' : 'queue.unbind',
        queue: destination,
        exchange: source,
        routingKey,
        arguments: argumentsTable,
      });
    } else {
      this.run(vhost, { kind: isBind ? 'exchange.bind' : 'exchange.unbind', destination, source, routingKey, arguments: argumentsTable });
    }
  }

  /**
   * What another node owns (docs/SCALE-OUT.md, "Queues of one node"): its exclusive and non-durable queues,
   * declared here too (a local declare of an exclusive one's name is refused), non-durable exchanges and bindings
   * with a non-durable end. A put's `node` is the row's owner (the node that wrote the change for queues; the
   * value names it for the others); a delete's is the writer, or the dead node whose lease ran out.
   */
  private applyExclusiveQueue(op: ClusterOp, node: string): void {
    const kind = ownedKeyKind(op.key);
    if (kind === 'exchange') return this.owned?.applyExchange(op, node);
    if (kind === 'binding') return this.applyBindingFields(op.type, NodeOwnedTopology.bindingFields(op));
    if (op.type === 'del') {
      const [vhostName, name] = JSON.parse(op.key) as [string, string];
      const vhost = this.core.getVhost(vhostName);
      const queue = vhost?.getQueue(name);
      if (queue === undefined) return;
      // Another node's queue held here; or this node's own non-durable queue another node's client deleted. Never
      // an exclusive queue of a local connection that happens to have the name now.
      if (queueNodeOf(queue) === undefined && (queue.options.exclusive || queue.options.durable)) return;
      return this.run(vhostName, { kind: 'queue.delete', queue: name, ifUnused: false, ifEmpty: false });
    }
    const value = JSON.parse(op.value.toString('utf8')) as ExclusiveQueueValue;
    this.declareExclusive(value, node);
  }

  /** Declares another node's exclusive or non-durable queue (start-up load and changes). */
  declareExclusive(value: ExclusiveQueueValue, node: string): void {
    const vhost: VirtualHost | undefined = this.core.getVhost(value.vhost);
    if (vhost === undefined) return;
    const isExclusive = value.exclusive !== false;
    const owner = this.ownerOf(node);
    const existing = vhost.getQueue(value.name);
    if (existing !== undefined) {
      // Declared here meanwhile (both nodes declared it at once: the row names the last writer): keep this one.
      if (queueNodeOf(existing) === node || queueNodeOf(existing) === undefined) return;
      // The name moved to another node (its queue was deleted and declared again there).
      this.run(value.vhost, { kind: 'queue.delete', queue: value.name, ifUnused: false, ifEmpty: false });
    }
    // Created directly, not through `queue.declare`: a server-named queue's `amq.gen-` name is refused there.
    const queue = vhost.createQueue(
      value.name,
      { durable: value.durable, exclusive: isExclusive, autoDelete: value.autoDelete, arguments: decodeArguments(value.arguments) },
      isExclusive ? owner : vhost,
    );
    // A non-durable, non-exclusive queue with shared queues on: its messages are in the shared table, so consumers
    // here compete with those of its node (docs/SCALE-OUT.md, "Queues of one node"); it stays its node's queue.
    if (!isExclusive && !value.durable && queue.shared === undefined && this.shareTransient?.(queue) === true) {
      markSharedCopy(queue, node);
      vhost.hasSharedQueues = true;
      return;
    }
    // Not shared through the store's table (a durable exclusive queue with shared queues is): forwarded.
    if (this.mailbox !== undefined && queue.shared === undefined) {
      queue.shared = new RemoteQueueLink(node, this.mailbox, (idle, owner) => this.owned?.idleConsumer(idle, owner));
      vhost.hasSharedQueues = true;
    }
  }

  /** Loads what a live node owned when this node started (queues first, then exchanges, then bindings). */
  loadOwned(rows: ReadonlyArray<{ node: string; key: string; value: Buffer }>): void {
    const order = { queue: 0, exchange: 1, binding: 2 };
    const sorted = [...rows].sort((a, b) => order[ownedKeyKind(a.key)] - order[ownedKeyKind(b.key)]);
    for (const row of sorted) {
      try {
        this.metadata.whileApplyingRemote(() =>
          this.applyExclusiveQueue({ type: 'put', kind: 'exclusive-queue', key: row.key, value: row.value }, row.node),
        );
      } catch (error) {
        this.report({ type: 'put', kind: 'exclusive-queue', key: row.key, value: row.value }, error);
      }
    }
  }
}
