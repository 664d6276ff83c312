import { checkMessageRecord } from '../message-record.js';
import type { StoredIndexEntry, StoredMessage } from '../message-store.js';
import type { PostgresDatabase } from './postgres-database.js';
import type { PostgresQueueState } from './postgres-queue-state.js';

/** A message row as read: its record (inline or the shared body), and its delivery count. */
interface MessageRow {
  seq: string;
  delivery_count: number;
  data: Buffer | null;
}

const PAGE = 1000;

/** Columns and join of every message read: the record comes from the row or from its shared body. */
function selectMessages(db: PostgresDatabase): string {
  const t = db.tables;
  return `SELECT m.seq, m.delivery_count, coalesce(m.data, b.data) AS data FROM ${t.messages} m LEFT JOIN ${t.bodies} b ON b.body_id = m.body_id`;
}

/**
 * Turns a row into a StoredMessage, or undefined when its record is damaged (quarantined through `quarantine`) or
 * its shared body is missing (verifyIntegrity reports that). Flags: a delivery count, or a seq at or below the
 * watermark found at open (a crash may have delivered it).
 */
function toStored(
  state: PostgresQueueState,
  row: MessageRow,
  quarantine: (seq: number, reason: string) => void,
): StoredMessage | undefined {
  const seq = Number(row.seq);
  if (row.data === null) return undefined;
  const damage = checkMessageRecord(row.data);
  if (damage !== undefined) {
    quarantine(seq, damage);
    return undefined;
  }
  const flagged = seq <= state.openHwm;
  const deliveryCount = Math.max(row.delivery_count, flagged ? 1 : 0);
  return { queueId: state.queueId, seq, data: row.data, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 };
}

/** Streams a queue in seq order, a page at a time (keyset pagination on the primary key). */
export async function* readPostgresQueue(
  db: PostgresDatabase,
  state: PostgresQueueState,
  quarantine: (seq: number, reason: string) => void,
): AsyncGenerator<StoredMessage> {
  const sql = `${selectMessages(db)} WHERE m.queue_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT ${PAGE}`;
  let after = -1;
  for (;;) {
    // Removals accepted meanwhile are written before the next page is read.
    await db.flush();
    const { rows } = await db.query<MessageRow>(sql, [state.key, after]);
    for (const row of rows) {
      const message = toStored(state, row, quarantine);
      if (message !== undefined) yield message;
    }
    if (rows.length < PAGE) return;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

/** Reads the given seqs of one queue in one query; results in request order. */
export async function readPostgresMessages(
  db: PostgresDatabase,
  state: PostgresQueueState,
  seqs: ReadonlyArray<number>,
  quarantine: (seq: number, reason: string) => void,
): Promise<Array<StoredMessage | undefined>> {
  // Values that cannot be seqs are simply not stored (and must not fail the query).
  const valid = seqs.filter((seq) => Number.isSafeInteger(seq) && seq >= 0);
  const { rows } = await db.query<MessageRow>(`${selectMessages(db)} WHERE m.queue_id = $1 AND m.seq = ANY($2::bigint[])`, [
    state.key,
    valid,
  ]);
  const bySeq = new Map<number, StoredMessage | undefined>();
  for (const row of rows) bySeq.set(Number(row.seq), toStored(state, row, quarantine));
  return seqs.map((seq) => bySeq.get(seq));
}

/** An index row: the index record, or (stored without one) the full record. */
interface IndexRow extends MessageRow {
  index_record: Buffer | null;
}

/**
 * Streams a queue's index records in seq order (MessageStore.recoverIndex): the small `index_record` column, the
 * record itself only for messages stored without one; a damaged index record falls back to the full record,
 * read in one query per page and checked like recover() checks it.
 */
export async function* readPostgresQueueIndex(
  db: PostgresDatabase,
  state: PostgresQueueState,
  quarantine: (seq: number, reason: string) => void,
): AsyncGenerator<StoredIndexEntry> {
  let after = -1;
  for (;;) {
    await db.flush();
    const page = await readPostgresIndexPage(db, state, after, PAGE, quarantine);
    yield* page.entries;
    if (page.rows < PAGE) return;
    after = page.lastSeq;
  }
}

/**
 * One page of a queue's index records with seq > `after` (MessageStore.readIndex, and recoverIndex page by page):
 * `rows` rows were read (fewer than `limit`: the end), up to seq `lastSeq`; `entries` are those not quarantined.
 */
export async function readPostgresIndexPage(
  db: PostgresDatabase,
  state: PostgresQueueState,
  after: number,
  limit: number,
  quarantine: (seq: number, reason: string) => void,
): Promise<{ entries: StoredIndexEntry[]; rows: number; lastSeq: number }> {
  const t = db.tables;
  const sql = `SELECT m.seq, m.delivery_count, m.index_record,
                 CASE WHEN m.index_record IS NULL THEN coalesce(m.data, b.data) END AS data
               FROM ${t.messages} m LEFT JOIN ${t.bodies} b ON m.index_record IS NULL AND b.body_id = m.body_id
               WHERE m.queue_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`;
  const { rows } = await db.query<IndexRow>(sql, [state.key, after, limit]);
  const damagedIndex = rows.filter((row) => row.index_record !== null && checkMessageRecord(row.index_record) !== undefined);
  const full =
    damagedIndex.length === 0
      ? undefined
      : await readPostgresMessages(
          db,
          state,
          damagedIndex.map((row) => Number(row.seq)),
          quarantine,
        );
  const entries: StoredIndexEntry[] = [];
  let k = 0;
  for (const row of rows) {
    const seq = Number(row.seq);
    if (row.index_record !== null && row !== damagedIndex[k]) {
      const flagged = seq <= state.openHwm;
      const deliveryCount = Math.max(row.delivery_count, flagged ? 1 : 0);
      entries.push({ queueId: state.queueId, seq, index: row.index_record, deliveryCount, mayHaveBeenDelivered: deliveryCount > 0 });
      continue;
    }
    const message = row.index_record === null ? toStored(state, row, quarantine) : full![k++];
    if (message === undefined) continue;
    const { data, deliveryCount, mayHaveBeenDelivered } = message;
    entries.push({ queueId: state.queueId, seq, data, deliveryCount, mayHaveBeenDelivered });
  }
  return { entries, rows: rows.length, lastSeq: rows.length > 0 ? Number(rows[rows.length - 1]!.seq) : after };
}

/**
 * Passes a stream through, minus what was removed after its page was read: a removal accepted during the stream
 * (MessageStore.recover remarks) is never yielded, whichever page the message was in.
 */
export async function* withoutRemovedMeanwhile<T extends { seq: number }>(
  state: PostgresQueueState,
  source: AsyncIterable<T>,
): AsyncGenerator<T> {
  state.readers++;
  try {
    for await (const item of source) {
      if (item.seq < state.purgedWhileReading || state.removedWhileReading?.has(item.seq)) continue;
      yield item;
    }
  } finally {
    if (--state.readers === 0) {
      state.removedWhileReading = undefined;
      state.purgedWhileReading = -1;
    }
  }
}
