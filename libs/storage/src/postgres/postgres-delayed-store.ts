import type { DueDelayedClaim, DueDelayedMessage, SharedDelayedStore } from '../shared-delayed-store.js';
import { checkMessageRecord } from '../message-record.js';
import type { PostgresDatabase } from './postgres-database.js';
import { decodeText, encodeText } from './postgres-errors.js';
import { PostgresCommitGroup, PostgresGroupCommitter } from './postgres-group-committer.js';
import { PostgresListener } from './postgres-listener.js';

/** The NOTIFY channel of newly held (or released) delayed messages; the payload is `<schema>/<ms until due>`. */
export const DELAYED_CHANNEL = 'warren_delayed';

/**
 * The longest delay held (about 300 years): `x-delay` is any 64-bit integer, and one past what a PostgreSQL interval
 * holds would fail the whole group's transaction, nacking other publishers' messages with it.
 */
const MAX_DELAY_MS = 1e13;

/** Holds of an exchange dropped while the groups that made them were not yet committed (`DelayedWriteGroup.stragglers`). */
interface Stragglers {
  readonly exchangeId: string;
  readonly groups: readonly DelayedWriteGroup[];
}

/** Writes collected for one transaction, applied in this order: holds, straggler drops, settles, releases. */
class DelayedWriteGroup extends PostgresCommitGroup {
  readonly exchangeIds: string[] = [];
  readonly data: Buffer[] = [];
  /** Per held message, when it is due (epoch ms on this node's clock): turned into ms left just before the insert. */
  readonly dueAt: number[] = [];
  /** Waited for before the transaction starts: drops of exchanges (with their deletes) made before these holds. */
  readonly after: Array<Promise<unknown>> = [];
  /** Holds of earlier groups, still pending when their exchange was dropped: deleted by their ids. */
  readonly stragglers: Stragglers[] = [];
  /** The ids the insert gave this group's held rows, once committed (what a drop of stragglers names). */
  heldIds: string[] = [];
  readonly settled: number[] = [];
  readonly released: number[] = [];

  get messageCount(): number {
    return this.data.length;
  }
}

/**
 * {@link SharedDelayedStore} over `warren_delayed_messages` (postgres-schema-v8.ts). Due times are on the database's
 * clock (`statement_timestamp()` plus what the delay has left when the insert is sent), so every node agrees on when
 * a message is due whatever its own clock says. One transaction in flight at a time: holds, settles and releases
 * made meanwhile (or in the same event-loop turn) join the next one, which `NOTIFY`s the ms until its earliest held
 * message is due, so every node can arm its timer for it without asking. Drops of a deleted exchange join the
 * database's group commit instead: the transaction that deletes the exchange ({@link dropExchange}).
 */
export class PostgresDelayedStore implements SharedDelayedStore {
  // Holds wait on their group's commit; settles and releases have no caller waiting (a lost one only delays or
  // repeats a routing).
  private readonly committer = new PostgresGroupCommitter(
    () => new DelayedWriteGroup(),
    (group) => this.commit(group),
  );
  private readonly listener: PostgresListener;
  private isClosed = false;

  /** `incarnation`: this run of the node (`warren_nodes.incarnation`), the owner of its claims. */
  constructor(
    private readonly database: PostgresDatabase,
    private readonly incarnation: string,
  ) {
    this.listener = new PostgresListener(database, 'warren-delayed', 'of delayed messages');
  }

  hold(exchangeId: string, data: Buffer, delayMs: number): Promise<void> {
    const group = this.committer.group();
    group.exchangeIds.push(encodeText(exchangeId));
    group.data.push(data);
    group.dueAt.push(Date.now() + Math.min(delayMs, MAX_DELAY_MS));
    group.bytes += data.length;
    return group.done;
  }

  async claimDue(exchangeIds: ReadonlyArray<string>, limit: number): Promise<DueDelayedClaim> {
    if (exchangeIds.length === 0) return { due: [], nextDueMs: undefined };
    const t = this.database.tables;
    // SKIP LOCKED: rows another node is claiming right now are passed over, never waited for nor taken twice. The
    // second part reads when the next not yet due row is due (due rows left are another node's or the next batch's).
    const { rows } = await this.database.query<{
      id: string | null;
      exchange_id: string | null;
      due: number | null;
      data: Buffer | null;
      next_ms: number | null;
    }>(
      `WITH claimed AS (
         UPDATE ${t.delayedMessages} SET owner = $1
         WHERE id IN (
           SELECT id FROM ${t.delayedMessages}
           WHERE owner IS NULL AND due_at <= now() AND exchange_id = ANY($2::text[])
           ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING id, exchange_id, due_at, data)
       SELECT id, exchange_id, extract(epoch FROM due_at) AS due, data, NULL::float8 AS next_ms FROM claimed
       UNION ALL
       SELECT NULL, NULL, NULL, NULL, extract(epoch FROM min(due_at) - clock_timestamp()) * 1000 FROM ${t.delayedMessages}
       WHERE owner IS NULL AND due_at > now() AND exchange_id = ANY($2::text[])`,
      [this.incarnation, exchangeIds.map(encodeText), limit],
    );
    const due: Array<DueDelayedMessage & { at: number }> = [];
    let nextDueMs: number | undefined;
    for (const row of rows) {
      if (row.id === null) {
        nextDueMs = row.next_ms === null ? undefined : Number(row.next_ms);
        continue;
      }
      const id = Number(row.id);
      // Damaged: never routed; dropped so it does not come back forever.
      if (checkMessageRecord(row.data!) !== undefined) this.settle([id]);
      else due.push({ id, exchangeId: decodeText(row.exchange_id!), data: row.data!, at: Number(row.due) });
    }
    due.sort((a, b) => a.at - b.at || a.id - b.id);
    return { due: due.map(({ id, exchangeId, data }) => ({ id, exchangeId, data })), nextDueMs };
  }

  settle(ids: ReadonlyArray<number>): void {
    if (ids.length === 0 || this.isClosed) return;
    this.committer.group().settled.push(...ids);
  }

  release(ids: ReadonlyArray<number>): void {
    if (ids.length === 0 || this.isClosed) return;
    this.committer.group().released.push(...ids);
  }

  /**
   * Call in the same event-loop turn as the exchange's delete is written to the metadata store (after it): the
   * delete of its held rows is a step of the same group commit, so it commits with the delete of the exchange. A
   * hold through another node of an exchange of the same name declared again comes after that commit (the node
   * learned of the delete first), so it is never deleted: no confirmed hold is lost however late this node's own
   * pipeline is. Rows locked meanwhile are skipped (a claim being taken, a settle: routed or gone anyway), so the
   * step never waits for another transaction. This node's holds made before the call and not yet committed are
   * deleted by their ids once committed; those made after it wait for the commit of the exchange's delete.
   */
  dropExchange(exchangeId: string): Promise<void> {
    const encoded = encodeText(exchangeId);
    let dropped: Promise<void>;
    try {
      const t = this.database.tables;
      const write = this.database.beginWrite();
      write.addStep(async (client) => {
        await client.query(
          `DELETE FROM ${t.delayedMessages} WHERE id IN (
             SELECT id FROM ${t.delayedMessages} WHERE exchange_id = $1 FOR UPDATE SKIP LOCKED)`,
          [encoded],
        );
      });
      dropped = write.done;
    } catch (error) {
      dropped = Promise.reject(error);
    }
    const pending = this.committer.pending((group) => group.exchangeIds.includes(encoded));
    // A drop closes the open group: what is held after it waits for the drop and must not be dropped by it.
    this.committer.seal();
    const next = this.committer.group();
    next.after.push(dropped.catch(() => undefined));
    if (pending.length > 0) next.stragglers.push({ exchangeId: encoded, groups: pending });
    return Promise.all([dropped, next.done]).then(() => undefined);
  }

  async dropStranded(exchangeIds: ReadonlyArray<string>, graceMs: number): Promise<number> {
    const { rowCount } = await this.database.query(
      `DELETE FROM ${this.database.tables.delayedMessages}
       WHERE owner IS NULL AND due_at < now() - $2 * interval '1 millisecond' AND NOT (exchange_id = ANY($1::text[]))`,
      [exchangeIds.map(encodeText), graceMs],
    );
    return rowCount ?? 0;
  }

  async releaseOrphans(): Promise<number> {
    const t = this.database.tables;
    const { rowCount } = await this.database.query(
      `WITH released AS (
         UPDATE ${t.delayedMessages} d SET owner = NULL
         WHERE d.owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.incarnation = d.owner)
         RETURNING 1)
       SELECT pg_notify($1, $2) FROM released LIMIT 1`,
      [DELAYED_CHANNEL, `${t.schema}/0`],
    );
    return rowCount ?? 0;
  }

  async listen(onHeld: (dueInMs: number) => void, onLost: (error: Error) => void): Promise<void> {
    const prefix = `${this.database.tables.schema}/`;
    await this.listener.start(
      [DELAYED_CHANNEL],
      (_channel, payload) => {
        if (!payload?.startsWith(prefix)) return;
        const ms = Number(payload.slice(prefix.length));
        if (Number.isFinite(ms)) onHeld(ms);
      },
      onLost,
    );
  }

  async close(): Promise<void> {
    this.isClosed = true;
    await this.committer.drain();
    await this.listener.close();
  }

  private async commit(group: DelayedWriteGroup): Promise<void> {
    const t = this.database.tables;
    const owner = this.incarnation;
    let heldIds: string[] = [];
    // A drop made before these holds: they must not be in the table before it deleted what it deletes.
    if (group.after.length > 0) await Promise.all(group.after);
    await this.database.transaction(async (client) => {
      let notifyMs: number | undefined;
      if (group.data.length > 0) {
        // What each delay has left now (the group waited for the previous commit), counted from this statement on
        // the database's clock; ORDINALITY keeps ids in hold order (equal due times route in publish order).
        const now = Date.now();
        const delays = group.dueAt.map((at) => Math.max(0, at - now));
        const { rows } = await client.query<{ ms: number | null; ids: string[] | null }>(
          `WITH held AS (
             INSERT INTO ${t.delayedMessages} (exchange_id, due_at, data)
             SELECT id, statement_timestamp() + delay * interval '1 millisecond', data
             FROM unnest($1::text[], $2::bytea[], $3::float8[]) WITH ORDINALITY AS x(id, data, delay, n) ORDER BY n
             RETURNING id, due_at)
           SELECT extract(epoch FROM min(due_at) - clock_timestamp()) * 1000 AS ms, array_agg(id) AS ids FROM held`,
          [group.exchangeIds, group.data, delays],
        );
        const ms = rows[0]?.ms;
        if (ms !== null && ms !== undefined) notifyMs = Number(ms);
        heldIds = rows[0]?.ids ?? [];
      }
      for (const { exchangeId, groups } of group.stragglers) {
        // Earlier groups committed before this one (one at a time): their rows of the dropped exchange, by id.
        const ids = groups.flatMap((earlier) => earlier.heldIds);
        if (ids.length === 0) continue;
        await client.query(
          `DELETE FROM ${t.delayedMessages} WHERE id IN (
             SELECT id FROM ${t.delayedMessages} WHERE id = ANY($1::bigint[]) AND exchange_id = $2 FOR UPDATE SKIP LOCKED)`,
          [ids, exchangeId],
        );
      }
      if (group.settled.length > 0) {
        // Only rows this run still owns: a claim released meanwhile (lease lost) belongs to whoever took it next.
        await client.query(`DELETE FROM ${t.delayedMessages} WHERE id = ANY($1::bigint[]) AND owner = $2`, [group.settled, owner]);
      }
      if (group.released.length > 0) {
        // No notification: a release follows a failed enqueue (the store is in trouble), so the messages wait for
        // the heartbeats' claims rather than bounce between nodes at once.
        await client.query(`UPDATE ${t.delayedMessages} SET owner = NULL WHERE id = ANY($1::bigint[]) AND owner = $2`, [
          group.released,
          owner,
        ]);
      }
      // Delivered at commit: every node arms its timer for the earliest message this transaction holds.
      if (notifyMs !== undefined)
        await client.query('SELECT pg_notify($1, $2)', [DELAYED_CHANNEL, `${t.schema}/${Math.max(0, Math.round(notifyMs))}`]);
    });
    group.heldIds = heldIds;
  }
}
