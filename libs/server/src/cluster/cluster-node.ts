import { BROKER_ACTOR, describeError, type BrokerCore, type Queue } from '@app/broker-core';
import type { ClusterNode as ClusterNodeRecord, ClusterStore, NodeMailbox, SharedDelayedStore, SharedQueueStore } from '@app/storage';
import type { BrokerLogger } from '../logger.js';
import { adoptMessagesOf } from './dead-node-messages.js';
import { NodeOwnedTopology } from './node-owned-topology.js';
import { RemoteTopology, exclusiveQueueKey, exclusiveQueueValue, queueNodeOf } from './remote-topology.js';
import { ClusterReplyRelay } from './reply-relay.js';
import type { SharedMetadataStore } from './shared-metadata-store.js';
import { SharedDelayedMessages } from './shared-delayed-messages.js';
import { SharedQueueFeed, isSharedTransientQueue } from './shared-queue-feed.js';

/** Changes read per query while catching up. */
const CHANGES_PER_READ = 500;
/**
 * Logged changes are kept this many leases (at least an hour): a live node is never further behind than a lease
 * (it polls every third of one, or loses its lease), so only a node that lost its lease could miss one.
 */
const LOG_KEPT_LEASES = 20;
/**
 * Held delayed messages of exchanges no node knows are dropped once due this long (and 4 leases): a live node learns
 * of a new exchange within a third of a lease, or stops serving.
 */
const STRANDED_MIN_MS = 60_000;
/** A node stops serving once this fraction of its lease has passed since the last renewal it sent that succeeded. */
const LEASE_SAFETY = 0.9;

/** Attaches another node's non-durable, non-exclusive queue to the shared-queue feed, with shared queues on. */
function feedOf(feed: SharedQueueFeed | undefined): ((queue: Queue) => boolean) | undefined {
  return feed === undefined ? undefined : (queue) => isSharedTransientQueue(queue) && feed.attach(queue);
}

/** Options of {@link ClusterNode}. */
export interface ClusterNodeOptions {
  /** `WARREN_NODE_LEASE_MS`: renewed every third of it. */
  readonly leaseMs: number;
  readonly logger: BrokerLogger;
  /** The lease is lost (database unreachable too long, or another node expired it): stop serving now. */
  readonly onLeaseLost: (reason: string) => void;
  /** `WARREN_SHARED_QUEUES`: durable queues' messages are shared by every node (shared-queue-feed.ts). */
  readonly sharedQueues?: SharedQueueStore;
  /** Messages between nodes: direct reply-to responses reach requesters on other nodes (reply-relay.ts). */
  readonly mailbox?: NodeMailbox;
  /** Delayed messages held for every node: durable delayed exchanges' persistent messages (shared-delayed-messages.ts). */
  readonly delayed?: SharedDelayedStore;
}

/**
 * This broker's membership of a multi-node cluster (docs/SCALE-OUT.md): registers the node, renews its lease every
 * third of `leaseMs` on a dedicated connection, expires nodes whose lease ran out (their exclusive queues go, and
 * the node that expired one takes over its persistent messages: dead-node-messages.ts), and
 * keeps the core's topology in step with the shared store: it `LISTEN`s for version notifications and applies every
 * change other nodes committed since the version it last saw, also on every heartbeat as a safety net, so a missed
 * notification costs at most a third of the lease.
 *
 * A node that cannot renew in time (the database is unreachable, or the node was partitioned away and expired)
 * reports the lease lost: the broker then stops serving rather than serve state others may have changed.
 */
export class ClusterNode {
  readonly remote: RemoteTopology;
  private readonly owned: NodeOwnedTopology;
  /** Shared queues' claims on this node, with `sharedQueues`. */
  readonly feed: SharedQueueFeed | undefined;
  /** Direct reply-to across nodes, with `mailbox`. */
  readonly relay: ClusterReplyRelay | undefined;
  /** Delayed messages on the shared store, with `delayed`. */
  readonly delayed: SharedDelayedMessages | undefined;
  /** The topology version applied (or loaded) last. */
  private seenVersion = 0;
  private heartbeat?: NodeJS.Timeout;
  private deadline?: NodeJS.Timeout;
  private isRenewing = false;
  private isSyncing = false;
  private isSyncWanted = false;
  private isReady = false;
  private isListening = false;
  private isStopped = false;
  private lostReason: string | undefined;

  constructor(
    readonly store: ClusterStore,
    private readonly core: BrokerCore,
    private readonly metadata: SharedMetadataStore,
    private readonly options: ClusterNodeOptions,
  ) {
    this.feed =
      options.sharedQueues === undefined
        ? undefined
        : new SharedQueueFeed(options.sharedQueues, options.logger, (queue, reason) => this.deleteDecided(queue, reason));
    this.relay =
      options.mailbox === undefined
        ? undefined
        : new ClusterReplyRelay(options.mailbox, core, async () => (await store.liveNodes()).map((node) => node.name), options.logger);
    const sharedQueues = options.sharedQueues;
    // Only with shared queues (open-postgres-storage.ts): their group commit deletes what was routed.
    this.delayed =
      options.delayed === undefined || sharedQueues === undefined
        ? undefined
        : new SharedDelayedMessages(options.delayed, core, options.logger, Math.max(STRANDED_MIN_MS, 4 * options.leaseMs), (ids) =>
            sharedQueues.settleDelayed(ids),
          );
    // Non-durable exchanges and bindings, and what is routed to other nodes' queues (node-owned-topology.ts).
    this.owned = new NodeOwnedTopology(
      core,
      store,
      () => metadata.applyingRemote,
      queueNodeOf,
      (what, error) => options.logger.warn(`cluster: ${what}: ${describeError(error)}`),
    );
    this.remote = new RemoteTopology(
      core,
      metadata,
      (op, error) =>
        options.logger.warn(
          { kind: op.kind, key: op.key, err: describeError(error) },
          `cluster: cannot apply a ${op.kind} ${op.type} of another node`,
        ),
      this.owned,
      options.mailbox,
      // Another node's non-durable queue: consumed here through the shared table, not forwarded to (shared-queue-feed.ts).
      feedOf(this.feed),
    );
  }

  /** This node's name (`WARREN_NODE_NAME`). */
  get nodeName(): string {
    return this.store.nodeName;
  }

  /** Why the lease was lost, if it was. */
  get leaseLost(): string | undefined {
    return this.lostReason;
  }

  /** Registers (refusing a live duplicate name) and starts the heartbeat; call before the core loads the store. */
  async join(info: Record<string, unknown>): Promise<void> {
    const sentAt = Date.now();
    this.seenVersion = await this.store.register(info);
    this.renewed(sentAt);
    this.heartbeat = setInterval(() => this.beat(), Math.max(1, Math.floor(this.options.leaseMs / 3)));
    this.heartbeat.unref();
  }

  /**
   * After the core loaded the durable topology: loads live nodes' exclusive queues, starts sharing this node's,
   * listens for changes and catches up with what changed since {@link join}.
   */
  async start(): Promise<void> {
    this.remote.loadOwned((await this.store.exclusiveQueues()).filter(({ node }) => node !== this.nodeName));
    const feed = this.feed;
    // Durable queues (those with a store) become shared: the ones loaded at start-up, then each one declared.
    if (feed !== undefined)
      for (const vhost of this.core.allVhosts())
        for (const queue of vhost.allQueues()) if (queue.storage && feed.attach(queue)) vhost.hasSharedQueues = true;
    this.core.queueListener = {
      created: (vhost, queue) => {
        // This node's own non-durable queues too (other nodes' copies are attached by RemoteTopology, which knows their node).
        const isShareable = queue.storage !== undefined || (isSharedTransientQueue(queue) && !this.metadata.applyingRemote);
        if (feed !== undefined && isShareable && feed.attach(queue)) vhost.hasSharedQueues = true;
        // The declare is answered once every node can learn of the queue (what they route to it comes here).
        if (this.isShared(queue))
          return this.write({ type: 'put', key: exclusiveQueueKey(queue.vhost, queue.name), value: exclusiveQueueValue(queue) });
      },
      deleted: (_vhost, queue) => {
        feed?.detach(queue, !this.metadata.applyingRemote);
        if (this.isShared(queue)) return this.write({ type: 'del', key: exclusiveQueueKey(queue.vhost, queue.name) });
        // A client here deleted another node's non-durable queue: it goes there (and everywhere) too.
        if (!this.metadata.applyingRemote && !queue.options.exclusive && queueNodeOf(queue) !== undefined)
          return this.write({ type: 'del', key: exclusiveQueueKey(queue.vhost, queue.name), owner: queueNodeOf(queue) });
        return undefined;
      },
    };
    this.core.transientTopologyListener = (vhost, change) => this.owned.changed(vhost, change);
    if (this.relay !== undefined) {
      // Before clients connect: every reply-to token this node hands out names it. Before the heartbeat's
      // housekeeping may run (isReady), which polls the relay.
      this.core.replyRelay = this.relay;
      await this.relay.start();
    }
    const delayed = this.delayed;
    if (delayed !== undefined) {
      // Before clients connect: every persistent message of a durable delayed exchange is held for every node.
      this.core.sharedDelayed = delayed;
      this.metadata.onExchangeDeleted = (vhost, name) => delayed.exchangeDeleted(vhost, name);
    }
    this.isReady = true;
    await this.listen();
    await feed?.start();
    await delayed?.start();
    await this.sync();
  }

  /** Every live node of the cluster. */
  liveNodes(): Promise<ClusterNodeRecord[]> {
    return this.store.liveNodes();
  }

  /** Leaves the cluster (clean shutdown): forgets this node's exclusive queues and membership. */
  async leave(): Promise<void> {
    const wasLost = this.lostReason !== undefined;
    this.stop();
    this.core.queueListener = undefined;
    this.core.transientTopologyListener = undefined;
    // A node that lost its lease may not reach the database at all; the others expire it anyway.
    // Its non-durable queues go everywhere with the leave; their messages in the shared table go with them.
    if (!wasLost) await this.feed?.eraseOwnTransient((queue) => queueNodeOf(queue) === undefined);
    if (!wasLost)
      await this.store
        .deregister()
        .catch((error: unknown) => this.options.logger.warn(`cluster: cannot deregister: ${describeError(error)}`));
    await this.store.close();
  }

  /** Stops the heartbeat and applying changes. */
  stop(): void {
    this.isStopped = true;
    this.feed?.stop();
    this.relay?.stop();
    this.delayed?.stop();
    clearInterval(this.heartbeat);
    clearTimeout(this.deadline);
  }

  /**
   * This node decided that a shared queue goes (auto-delete or `x-expires` across nodes, shared-queue-usage.ts):
   * deleted through the command path, so every node applies it and its consumers everywhere are cancelled.
   */
  private deleteDecided(queue: Queue, reason: string): void {
    const vhost = this.core.getVhost(queue.vhost);
    if (vhost === undefined || vhost.getQueue(queue.name) !== queue) return;
    this.options.logger.info({ queue: queue.name, vhost: queue.vhost }, `cluster: deleting queue '${queue.name}': ${reason}`);
    try {
      const { written } = vhost.execute({ kind: 'queue.delete', queue: queue.name, ifUnused: false, ifEmpty: false }, BROKER_ACTOR);
      written?.catch((error: unknown) =>
        this.options.logger.warn(`cluster: cannot delete queue '${queue.name}' from the store: ${describeError(error)}`),
      );
    } catch (error) {
      this.options.logger.warn(`cluster: cannot delete queue '${queue.name}': ${describeError(error)}`);
    }
  }

  /**
   * Exclusive and non-durable queues of this node (not the copies of other nodes'), changed by this node itself:
   * every node knows them and forwards what it routes to them here.
   */
  private isShared(queue: Queue): boolean {
    return (queue.options.exclusive || !queue.options.durable) && queueNodeOf(queue) === undefined && !this.metadata.applyingRemote;
  }

  /** The queues held here that live on one of `nodes` (other nodes' exclusive and non-durable queues). */
  private *queuesOf(nodes: ReadonlySet<string>): Iterable<Queue> {
    for (const vhost of this.core.allVhosts())
      for (const queue of vhost.allQueues()) {
        const node = queueNodeOf(queue);
        if (node !== undefined && nodes.has(node)) yield queue;
      }
  }

  /** Resolves once written; a failure is logged (and fails the client's command that waits for it). */
  private write(op: Parameters<ClusterStore['writeExclusiveQueue']>[0]): Promise<void> {
    const written = this.store.writeExclusiveQueue(op);
    written.catch((error: unknown) => this.options.logger.warn(`cluster: cannot share queue ${op.key}: ${describeError(error)}`));
    return written;
  }

  private renewed(sentAt: number): void {
    clearTimeout(this.deadline);
    if (this.isStopped) return;
    const left = sentAt + this.options.leaseMs * LEASE_SAFETY - Date.now();
    this.deadline = setTimeout(() => this.lose(`no lease renewal succeeded for ${this.options.leaseMs} ms (database unreachable?)`), left);
    this.deadline.unref();
  }

  private lose(reason: string): void {
    if (this.isStopped || this.lostReason !== undefined) return;
    this.lostReason = reason;
    this.stop();
    this.options.logger.error({ node: this.nodeName }, `cluster: node lease lost: ${reason}; stopping serving`);
    this.options.onLeaseLost(reason);
  }

  private beat(): void {
    if (this.isStopped || this.isRenewing) return;
    this.isRenewing = true;
    const sentAt = Date.now();
    this.store.renew().then(
      (isHeld) => {
        this.isRenewing = false;
        if (this.isStopped) return;
        if (!isHeld) return this.lose('another node expired this node (its lease ran out)');
        this.renewed(sentAt);
        void this.afterRenewal();
      },
      (error: unknown) => {
        this.isRenewing = false;
        this.options.logger.warn(`cluster: lease renewal failed: ${describeError(error)}`);
      },
    );
  }

  /** Expires dead nodes, re-listens if the LISTEN connection was lost, and catches up (the polling safety net). */
  private async afterRenewal(): Promise<void> {
    try {
      // Not while recovering: the queues a dead node's messages go to must exist here first.
      if (!this.isReady) return;
      // Deletes applied from here on may be this reap's (a notification can outrun reapExpired's answer).
      this.feed?.forgetDetached();
      const dead = await this.store.reapExpired();
      // Their non-durable queues' messages in the shared table are removed by this node (the reaper), once.
      if (dead.length > 0) this.feed?.reapedQueues(new Set(dead), this.queuesOf(new Set(dead)));
      if (dead.length > 0) await this.sync(); // queues the dead node declared last exist here before its messages come
      for (const name of dead) {
        this.options.logger.warn({ node: name }, `cluster: node ${name} expired (its lease ran out); its exclusive queues are deleted`);
        try {
          const adopted = await adoptMessagesOf(name, this.store, this.core);
          if (adopted > 0)
            this.options.logger.warn({ node: name, messages: adopted }, `cluster: took over ${adopted} messages of node ${name}`);
        } catch (error) {
          // What was not taken over stays under the dead node's name until a node of that name starts again.
          this.options.logger.error({ node: name }, `cluster: cannot take over the messages of node ${name}: ${describeError(error)}`);
        }
      }
      if (!this.isListening) await this.listen();
      // Releases the claims of the nodes just expired (and any other orphans), and claims what notifications missed.
      await this.feed?.poll();
      // Claims of delayed messages the nodes just expired held, given back; what is due and a notification missed.
      await this.delayed?.poll();
      // Live nodes for reply tokens, mail of nodes just expired dropped, mail a lost notification left taken.
      await this.relay?.poll();
      await this.store.pruneChanges(Math.max(3_600_000, LOG_KEPT_LEASES * this.options.leaseMs));
    } catch (error) {
      this.options.logger.warn(`cluster: housekeeping failed: ${describeError(error)}`);
    }
    await this.sync();
  }

  private async listen(): Promise<void> {
    if (this.isStopped) return;
    this.isListening = true;
    try {
      await this.store.listen(
        () => void this.sync(),
        (error) => {
          this.isListening = false;
          if (!this.isStopped)
            this.options.logger.warn(`cluster: topology notifications lost: ${describeError(error)}; polling until re-listened`);
        },
      );
    } catch (error) {
      this.isListening = false;
      this.options.logger.warn(`cluster: cannot listen for topology changes: ${describeError(error)}`);
    }
  }

  /** Applies every change committed since the version seen last; one run at a time, re-run if asked meanwhile. */
  async sync(): Promise<void> {
    if (!this.isReady || this.isStopped) return;
    if (this.isSyncing) {
      this.isSyncWanted = true;
      return;
    }
    this.isSyncing = true;
    try {
      do {
        this.isSyncWanted = false;
        let changes;
        do {
          changes = await this.store.changesSince(this.seenVersion, CHANGES_PER_READ);
          if (changes.length > 0 && changes[0]!.version > this.seenVersion + 1) {
            // Pruned past what this node applied (it was stalled far longer than a lease): it cannot catch up.
            return this.lose(`missed topology changes ${this.seenVersion + 1}..${changes[0]!.version - 1} (pruned)`);
          }
          for (const change of changes) {
            if (this.isStopped) return;
            if (change.node !== this.nodeName) this.remote.apply(change);
            this.seenVersion = change.version;
          }
        } while (changes.length === CHANGES_PER_READ);
      } while (this.isSyncWanted);
    } catch (error) {
      if (!this.isStopped) this.options.logger.warn(`cluster: cannot read topology changes: ${describeError(error)}`);
    } finally {
      this.isSyncing = false;
    }
  }
}
