import { createHash, randomUUID } from 'node:crypto';
import { checkMessageRecord } from '../message-record.js';
import type { EnqueueEntry } from '../message-store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { encodeText } from './postgres-errors.js';

const RESOLVED = Promise.resolve();

/**
 * Transient paging for the PostgreSQL store (MessageStore.spill): bodies that must not survive a restart, in the
 * UNLOGGED `warren_spill` table (no WAL: cheap to write, and emptied by the server's crash recovery), under an
 * `owner` id new for every store opened, so a store never reads records an earlier run left. Writes join the group
 * commit as ordered steps (consecutive spills, or drops, are one statement).
 *
 * A single node wipes the whole table at open (it holds its schema exclusively); in multi-node mode the owner is
 * derived from the node's name and a node wipes only its own records.
 */
export class PostgresSpill {
  private owner = randomUUID();

  constructor(private readonly database: PostgresDatabase) {}

  /** At open: a new owner, and no record of an earlier run left. */
  async wipe(): Promise<void> {
    const nodeName = this.database.nodeName;
    if (nodeName === undefined) {
      this.owner = randomUUID();
      await this.database.query(`DELETE FROM ${this.database.tables.spill}`);
      return;
    }
    // Multi-node: the owner is the node's name (as a uuid), so a node wipes only what its own earlier run left.
    const hex = createHash('md5').update(`warren-spill:${nodeName}`).digest('hex');
    this.owner = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    await this.database.query(`DELETE FROM ${this.database.tables.spill} WHERE owner = $1`, [this.owner]);
  }

  write(entries: ReadonlyArray<EnqueueEntry>): Promise<void> {
    if (entries.length === 0) return RESOLVED;
    const group = this.database.beginWrite();
    const { spill } = this.database.tables;
    const owner = this.owner;
    const rows = group.appendTo('spill', () => {
      const rows = { queues: [] as string[], seqs: [] as number[], data: [] as Buffer[] };
      return {
        rows,
        step: async (client) => {
          await client.query(
            `INSERT INTO ${spill} (owner, queue_id, seq, data) SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::bytea[])
             ON CONFLICT (owner, queue_id, seq) DO UPDATE SET data = excluded.data`,
            [owner, rows.queues, rows.seqs, rows.data],
          );
        },
      };
    });
    for (const { queueId, seq, data } of entries) {
      rows.queues.push(encodeText(queueId));
      rows.seqs.push(seq);
      rows.data.push(data);
    }
    return group.done;
  }

  async read(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<Buffer | undefined>> {
    if (seqs.length === 0) return [];
    await this.database.flush();
    const { rows } = await this.database.query<{ seq: string; data: Buffer }>(
      `SELECT seq, data FROM ${this.database.tables.spill} WHERE owner = $1 AND queue_id = $2 AND seq = ANY($3::bigint[])`,
      [this.owner, encodeText(queueId), seqs.filter((seq) => Number.isSafeInteger(seq) && seq >= 0)],
    );
    const bySeq = new Map(rows.map((row) => [Number(row.seq), row.data]));
    // Transient: a damaged record is simply not served (the broker drops the message), nothing to quarantine.
    return seqs.map((seq) => {
      const data = bySeq.get(seq);
      return data !== undefined && checkMessageRecord(data) === undefined ? data : undefined;
    });
  }

  drop(queueId: string, seqs: ReadonlyArray<number>): Promise<void> {
    if (seqs.length === 0) return RESOLVED;
    const group = this.database.beginWrite();
    const { spill } = this.database.tables;
    const owner = this.owner;
    const rows = group.appendTo('drop-spilled', () => {
      const rows = { queues: [] as string[], seqs: [] as number[] };
      return {
        rows,
        step: async (client) => {
          await client.query(
            `DELETE FROM ${spill} s USING unnest($2::text[], $3::bigint[]) AS x(id, seq)
             WHERE s.owner = $1 AND s.queue_id = x.id AND s.seq = x.seq`,
            [owner, rows.queues, rows.seqs],
          );
        },
      };
    });
    const key = encodeText(queueId);
    for (const seq of seqs) {
      if (!Number.isSafeInteger(seq) || seq < 0) continue; // never spilled: nothing to drop
      rows.queues.push(key);
      rows.seqs.push(seq);
    }
    return group.done;
  }

  /** At a clean close: this run's records are of no use to anyone (joins the last group). */
  dropAll(): void {
    const { spill } = this.database.tables;
    const owner = this.owner;
    try {
      this.database.beginWrite().addStep(async (client) => void (await client.query(`DELETE FROM ${spill} WHERE owner = $1`, [owner])));
    } catch {
      // Faulted: the next open wipes them.
    }
  }
}
