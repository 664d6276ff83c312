import type { MetadataOp, MetadataRecord, MetadataStore } from '@app/storage';

const RESOLVED = Promise.resolve();

/**
 * The metadata store of a node in multi-node mode: writes go to the shared store (which logs them for the other
 * nodes), except while the node applies a change another node made ({@link whileApplyingRemote}): that change is
 * already stored, and writing it back could resurrect what a later change deleted.
 */
export class SharedMetadataStore implements MetadataStore {
  private isApplyingRemote = false;

  constructor(private readonly inner: MetadataStore) {}

  open(): Promise<void> {
    return this.inner.open();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * Called for each durable exchange this node deletes (not for other nodes' deletes it applies), in the same turn
   * and just after the delete was handed to the shared store: what it writes then joins the delete's transaction,
   * after it (SharedDelayedStore.dropExchange).
   */
  onExchangeDeleted?: (vhost: string, exchangeName: string) => void;

  apply(ops: ReadonlyArray<MetadataOp>): Promise<void> {
    if (this.isApplyingRemote) return RESOLVED;
    const written = this.inner.apply(ops);
    if (this.onExchangeDeleted !== undefined) {
      for (const op of ops) {
        // Exchange keys are `[vhost, name]` as JSON (topology-persistence.ts).
        if (op.type === 'del' && op.kind === 'exchange') this.onExchangeDeleted(...(JSON.parse(op.key) as [string, string]));
      }
    }
    return written;
  }

  load(): Promise<MetadataRecord[]> {
    return this.inner.load();
  }

  /** Whether a remote change is being applied (the node must not announce what it does meanwhile). */
  get applyingRemote(): boolean {
    return this.isApplyingRemote;
  }

  /**
   * Runs `apply` with writes suppressed. Synchronous on purpose: the core starts every write of a change in the
   * same turn as the change (VirtualHost.execute, UserStore, BrokerCore.deleteVhost), so nothing of it escapes.
   */
  whileApplyingRemote(apply: () => void): void {
    const outer = this.isApplyingRemote;
    this.isApplyingRemote = true;
    try {
      apply();
    } finally {
      this.isApplyingRemote = outer;
    }
  }
}
