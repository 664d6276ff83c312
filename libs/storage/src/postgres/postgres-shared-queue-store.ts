import type {
  ActiveConsumer,
  ClaimedMessage,
  ExpirySweep,
  SharedQueueCount,
  SharedQueueDropHandler,
  SharedQueueEntry,
  SharedQueueLimits,
  SharedQueueStore,
} from '../shared-queue-store.js';
import { checkMessageRecord } from '../message-record.js';
import { StorageError } from '../storage-error.js';
import type { PostgresDatabase } from './postgres-database.js';
import { decodeText, encodeText } from './postgres-errors.js';
import { PostgresCommitGroup, PostgresGroupCommitter } from './postgres-group-committer.js';
import { PostgresSharedQueueUsage } from './postgres-shared-queue-usage.js';
import { SHARED_ACTIVE_CHANNEL, acquireActiveConsumer, releaseActiveConsumers } from './postgres-shared-active-consumers.js';
import { TTL_LEFT_COLUMN, sweepExpired, ttlLeftOf } from './postgres-shared-queue-expiry.js';
import { applyLimitsBeforeInsert, countSharedQueues, trimHead } from './postgres-shared-queue-limits.js';
import { insertShared } from './postgres-shared-transient.js';
import { PostgresListener } from './postgres-listener.js';

/** The NOTIFY channel of shared queues that got ready messages; the payload is `<schema>/<queue id>`. */
export const SHARED_QUEUE_CHANNEL = 'warren_shared_queue';

/** Options of {@link PostgresSharedQueueStore}. */
export interface PostgresSharedQueueStoreOptions {
  /** This run of the node (`warren_nodes.incarnation`): the owner of its claims. */
  readonly incarnation: string;
  /** This node's name (`WARREN_NODE_NAME`), shown as the node of its single active consumers. */
  readonly nodeName?: string;
}

/** Writes collected for one transaction. */
class SharedWriteGroup extends PostgresCommitGroup {
  readonly queueIds: string[] = [];
  readonly data: Buffer[] = [];
  /** Per published message, when it expires (epoch ms on this node's clock; 0: never). */
  readonly expiresAt: number[] = [];
  /** Per published message, whether it is transient (stored in the UNLOGGED table); empty while none is. */
  readonly transient: boolean[] = [];
  readonly bodySizes: number[] = [];
  readonly priorities: number[] = [];
  readonly limits: Array<SharedQueueLimits | undefined> = [];
  readonly settled = new Map<string, number[]>();
  readonly released = new Map<string, number[]>();
  /** Released after a delivery: their delivery counts go up. */
  readonly releasedDelivered = new Map<string, number[]>();
  /** Queues whose single active consumer this node frees. */
  readonly activeReleased = new Set<string>();
  /** Delayed messages this node claimed and routed (postgres-delayed-store.ts): deleted with what they published. */
  readonly delayedSettled: number[] = [];
  /** Entries (indexes) a reject-publish limit refused, set by the commit. */
  rejected: Set<number> | undefined;
  private noneRefused: Promise<number> | undefined;

  get messageCount(): number {
    return this.data.length;
  }

  /** What a publish call without length limits gets: one promise per group, not one per call. */
  get committed(): Promise<number> {
    return (this.noneRefused ??= this.done.then(() => 0));
  }

  /** How many of the entries from `start` to `end` (one publish call) were refused. */
  rejectedIn(start: number, end: number): number {
    if (this.rejected === undefined) return 0;
    let count = 0;
    for (let i = start; i < end; i++) if (this.rejected.has(i)) count++;
    return count;
  }
}

function add(map: Map<string, number[]>, queueId: string, seqs: ReadonlyArray<number>): void {
  let list = map.get(queueId);
  if (list === undefined) map.set(queueId, (list = []));
  for (const seq of seqs) list.push(seq);
}

function flatten(map: Map<string, number[]>): [string[], number[]] {
  const ids: string[] = [];
  const seqs: number[] = [];
  for (const [queueId, list] of map) {
    for (const seq of list) {
      ids.push(queueId);
      seqs.push(seq);
    }
  }
  return [ids, seqs];
}

/**
 * {@link SharedQueueStore} over `warren_shared_messages`. One transaction in flight at a time: writes made
 * meanwhile (or in the same event-loop turn) join the next one, which inserts with one `unnest`, deletes and
 * releases with one statement each, and notifies each queue that got ready messages once.
 */
export class PostgresSharedQueueStore implements SharedQueueStore {
  // Publishers wait on their group's commit; settles and releases have no caller waiting (a lost one only delays or
  // repeats a delivery).
  private readonly committer = new PostgresGroupCommitter(
    () => new SharedWriteGroup(),
    (group) => this.commit(group),
  );
  private readonly listener: PostgresListener;
  private isClosed = false;
  private dropHandler: SharedQueueDropHandler | undefined;
  readonly usage: PostgresSharedQueueUsage;

  constructor(
    private readonly database: PostgresDatabase,
    private readonly options: PostgresSharedQueueStoreOptions,
  ) {
    this.listener = new PostgresListener(database, 'warren-claims', 'of shared queues');
    this.usage = new PostgresSharedQueueUsage(database, options.incarnation);
  }

  publish(entries: ReadonlyArray<SharedQueueEntry>): Promise<number> {
    if (entries.length === 0) return Promise.resolve(0);
    const group = this.committer.group();
    const start = group.data.length;
    let isLimited = false;
    for (const entry of entries) {
      if (entry.limits !== undefined) isLimited = true;
      group.queueIds.push(encodeText(entry.queueId));
      group.data.push(entry.data);
      group.expiresAt.push(entry.expiresAt || 0);
      // The first transient message of the group starts the flags (the ones before it are persistent).
      const isTransient = entry.isTransient === true;
      if (isTransient || group.transient.length > 0) {
        while (group.transient.length < group.data.length - 1) group.transient.push(false);
        group.transient.push(isTransient);
      }
      group.bodySizes.push(entry.bodySize ?? 0);
      group.priorities.push(entry.priority ?? 0);
      group.limits.push(entry.limits);
      group.bytes += entry.data.length;
    }
    if (!isLimited) return group.committed;
    const end = group.data.length;
    return group.done.then(() => group.rejectedIn(start, end));
  }

  settle(queueId: string, seqs: ReadonlyArray<number>): void {
    if (seqs.length === 0 || this.isClosed) return;
    add(this.committer.group().settled, encodeText(queueId), seqs);
  }

  release(queueId: string, seqs: ReadonlyArray<number>, isDelivered = false): void {
    if (seqs.length === 0 || this.isClosed) return;
    const group = this.committer.group();
    add(isDelivered ? group.releasedDelivered : group.released, encodeText(queueId), seqs);
  }

  count(queueIds: ReadonlyArray<string>): Promise<Map<string, SharedQueueCount>> {
    return countSharedQueues(
      this.database,
      queueIds.map((queueId) => encodeText(queueId)),
    );
  }

  onDropped(handler: SharedQueueDropHandler): void {
    this.dropHandler = handler;
  }

  async claim(queueId: string, limit: number): Promise<ClaimedMessage[]> {
    const t = this.database.tables;
    // SKIP LOCKED: rows another node is claiming right now are passed over, never waited for nor taken twice.
    // Expired rows are never handed out: the expiry sweep dead-letters them (postgres-shared-queue-expiry.ts).
    const { rows } = await this.database.transaction(async (client) => {
      // Only an ordered walk of the ready index costs what the claim takes. The planner, misled by the statistics
      // of a table whose rows come and go, picked a bitmap scan plus a sort: every ready row of the queue and every
      // index entry dead since the last vacuum, per claim (docs/BENCHMARKS.md, "Several nodes on one PostgreSQL").
      await client.query('SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off');
      return client.query<{ seq: string; redelivered: boolean; delivery_count: number; data: Buffer; ttl_left: number | null }>(
        `UPDATE ${t.sharedMessages} SET owner = $1
         WHERE (queue_id, seq) IN (
           SELECT queue_id, seq FROM ${t.sharedMessages} WHERE queue_id = $2 AND owner IS NULL
             AND (expires_at IS NULL OR expires_at > now())
           ORDER BY priority DESC, seq LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING seq, redelivered, delivery_count, data, ${TTL_LEFT_COLUMN}`,
        [this.options.incarnation, encodeText(queueId), limit],
      );
    });
    const claimed: ClaimedMessage[] = [];
    for (const row of rows) {
      const seq = Number(row.seq);
      if (checkMessageRecord(row.data) !== undefined) {
        // Damaged: never served; dropped so it does not come back forever.
        this.settle(queueId, [seq]);
        continue;
      }
      const ttlLeft = row.ttl_left === null ? undefined : Number(row.ttl_left);
      claimed.push({ seq, data: row.data, redelivered: row.redelivered, deliveryCount: row.delivery_count, ttlLeft });
    }
    return claimed.sort((a, b) => a.seq - b.seq);
  }

  expire(queueIds: ReadonlyArray<string>, limit: number): Promise<ExpirySweep> {
    return sweepExpired(this.database, this.options.incarnation, queueIds, limit, (damaged) => this.settle(damaged.queueId, [damaged.seq]));
  }

  acquireActive(queueId: string, consumerTag: string): Promise<ActiveConsumer> {
    const { incarnation, nodeName } = this.options;
    return acquireActiveConsumer(this.database, incarnation, nodeName ?? incarnation, queueId, consumerTag);
  }

  settleDelayed(ids: ReadonlyArray<number>): Promise<void> {
    if (this.isClosed) return Promise.reject(new StorageError('CLOSED', 'storage: shared queue store is closed'));
    const group = this.committer.group();
    for (const id of ids) group.delayedSettled.push(id);
    return group.done;
  }

  releaseActive(queueId: string): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    const group = this.committer.group();
    group.activeReleased.add(encodeText(queueId));
    return group.done;
  }

  async releaseOrphans(): Promise<number> {
    const t = this.database.tables;
    const { rows } = await this.database.query<{ queue_id: string }>(
      `UPDATE ${t.sharedMessages} m SET owner = NULL, redelivered = true
       WHERE m.owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.incarnation = m.owner)
       RETURNING m.queue_id`,
    );
    const queues = new Set(rows.map((row) => row.queue_id));
    for (const queueId of queues) await this.database.query('SELECT pg_notify($1, $2)', [SHARED_QUEUE_CHANNEL, `${t.schema}/${queueId}`]);
    return rows.length;
  }

  async purge(queueId: string): Promise<number> {
    const { rowCount } = await this.database.query(
      `DELETE FROM ${this.database.tables.sharedMessages} WHERE queue_id = $1 AND owner IS NULL`,
      [encodeText(queueId)],
    );
    return rowCount ?? 0;
  }

  async deleteQueue(queueId: string): Promise<void> {
    const t = this.database.tables;
    await this.database.query(`DELETE FROM ${t.sharedMessages} WHERE queue_id = $1`, [encodeText(queueId)]);
    await this.database.query(`DELETE FROM ${t.sharedActiveConsumers} WHERE queue_id = $1`, [encodeText(queueId)]);
  }

  async listen(
    onReady: (queueId: string) => void,
    onLost: (error: Error) => void,
    onActiveFreed?: (queueId: string) => void,
  ): Promise<void> {
    const prefix = `${this.database.tables.schema}/`;
    const channels = onActiveFreed === undefined ? [SHARED_QUEUE_CHANNEL] : [SHARED_QUEUE_CHANNEL, SHARED_ACTIVE_CHANNEL];
    await this.listener.start(
      channels,
      (channel, payload) => {
        if (!payload?.startsWith(prefix)) return;
        const queueId = decodeText(payload.slice(prefix.length));
        if (channel === SHARED_QUEUE_CHANNEL) onReady(queueId);
        else if (channel === SHARED_ACTIVE_CHANNEL) onActiveFreed?.(queueId);
      },
      onLost,
    );
  }

  async close(): Promise<void> {
    this.isClosed = true;
    await this.committer.drain();
    await this.listener.close();
  }

  private async commit(group: SharedWriteGroup): Promise<void> {
    const t = this.database.tables;
    const owner = this.options.incarnation;
    const dropped = await this.database.transaction(async (client) => {
      const notify = new Set<string>();
      const trimmed: Array<[string, Buffer[]]> = [];
      if (group.queueIds.length > 0) {
        // Length limits (postgres-shared-queue-limits.ts): limited queues locked, reject-publish decided first.
        const limited = group.limits.some((limits) => limits !== undefined);
        const decision = limited
          ? await applyLimitsBeforeInsert(
              client,
              t,
              group.queueIds.map((queueId, i) => ({ queueId, bodySize: group.bodySizes[i]!, limits: group.limits[i] })),
            )
          : undefined;
        group.rejected = decision?.rejected;
        const keep = (_: unknown, i: number): boolean => group.rejected === undefined || !group.rejected.has(i);
        const queueIds = group.rejected === undefined ? group.queueIds : group.queueIds.filter(keep);
        // Seqs in publish order: one transaction at a time per node, and within it the arrays' order (ORDINALITY).
        // TTLs left (an empty array when none has one: unnest pads it with NULLs) become deadlines on the
        // database's clock (postgres-shared-queue-expiry.ts); transient messages go to the UNLOGGED table.
        const ttls = ttlLeftOf(group.expiresAt) ?? [];
        const pick = <T>(values: readonly T[]): T[] =>
          group.rejected === undefined || values.length === 0 ? [...values] : values.filter(keep);
        if (queueIds.length > 0) {
          await insertShared(client, t, {
            queueIds,
            data: pick(group.data),
            bodySizes: pick(group.bodySizes),
            priorities: pick(group.priorities),
            ttls: pick(ttls),
            transient: pick(group.transient),
          });
        }
        for (const queueId of queueIds) notify.add(queueId);
        for (const [queueId, limits] of decision?.trims ?? []) {
          const records = await trimHead(client, t, queueId, limits);
          if (records.length > 0) trimmed.push([queueId, records]);
        }
      }
      if (group.settled.size > 0) {
        // Only rows this run still owns: a claim released meanwhile (lease lost) belongs to whoever took it next.
        const [ids, seqs] = flatten(group.settled);
        await client.query(
          `DELETE FROM ${t.sharedMessages} m USING unnest($1::text[], $2::bigint[]) AS x(id, seq)
           WHERE m.queue_id = x.id AND m.seq = x.seq AND m.owner = $3`,
          [ids, seqs, owner],
        );
      }
      for (const [released, increment] of [
        [group.released, 0],
        [group.releasedDelivered, 1],
      ] as const) {
        if (released.size === 0) continue;
        // A delivered message's count survives the release: x-delivery-limit holds whichever node claims it next.
        const [ids, seqs] = flatten(released);
        await client.query(
          `UPDATE ${t.sharedMessages} m SET owner = NULL, redelivered = true, delivery_count = m.delivery_count + $4
           FROM unnest($1::text[], $2::bigint[]) AS x(id, seq)
           WHERE m.queue_id = x.id AND m.seq = x.seq AND m.owner = $3`,
          [ids, seqs, owner, increment],
        );
        for (const queueId of released.keys()) notify.add(queueId);
      }
      if (group.activeReleased.size > 0) await releaseActiveConsumers(client, t, owner, [...group.activeReleased]);
      if (group.delayedSettled.length > 0) {
        // Only rows this run still owns (a claim released meanwhile is another node's to route).
        await client.query(`DELETE FROM ${t.delayedMessages} WHERE id = ANY($1::bigint[]) AND owner = $2`, [group.delayedSettled, owner]);
      }
      // Delivered at commit: nodes waiting for messages claim once these rows are visible.
      for (const queueId of notify) await client.query('SELECT pg_notify($1, $2)', [SHARED_QUEUE_CHANNEL, `${t.schema}/${queueId}`]);
      return trimmed;
    });
    // Committed: the dropped heads are gone for every node; this node dead-letters them.
    for (const [queueId, records] of dropped) this.dropHandler?.(decodeText(queueId), records);
  }
}
