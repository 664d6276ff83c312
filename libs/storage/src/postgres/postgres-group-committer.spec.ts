import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '../../../../test/support/wait-for.js';
import { type PostgresCluster, startPostgresCluster } from '../../test/support/postgres-cluster.js';
import { StorageError } from '../storage-error.js';
import { PostgresDatabase } from './postgres-database.js';
import {
  POSTGRES_GROUP_MAX_BYTES,
  POSTGRES_GROUP_MAX_MESSAGES,
  PostgresCommitGroup,
  PostgresGroupCommitter,
} from './postgres-group-committer.js';

// The group-commit pipeline of the shared-queue and delayed stores (postgres-group-committer.ts), committing real
// transactions: each group's numbers are inserted with one unnest, and the table records which transaction wrote
// each row, so the tests read back how the writes were grouped and in which order they committed.

/** A test store's group: numbers, one "message" each, unique in its table (a repeated one fails the transaction). */
class NumberGroup extends PostgresCommitGroup {
  readonly values: number[] = [];

  get messageCount(): number {
    return this.values.length;
  }
}

let cluster: PostgresCluster;
let database: PostgresDatabase;
let tables = 0;
/** Opens every transaction still held when a test ends, so nothing hangs past it. */
const openGates: Array<() => void> = [];
const committers: Array<PostgresGroupCommitter<NumberGroup>> = [];

beforeAll(async () => {
  cluster = await startPostgresCluster();
  database = new PostgresDatabase({ connectionString: await cluster.createDatabase('warren_group_commit_spec'), schema: 'group_commit' });
  await database.acquire();
}, 180_000);

afterEach(async () => {
  for (const open of openGates.splice(0)) open();
  for (const committer of committers.splice(0)) await committer.drain();
});

afterAll(async () => {
  await database?.release();
  await cluster?.stop();
}, 180_000);

/** A committer over a table of its own, and ways to add to it, hold its next transaction open and read it back. */
async function harness() {
  const table = `"group_commit".numbers_${++tables}`;
  await database.query(
    `CREATE TABLE ${table} (id bigserial PRIMARY KEY, value int NOT NULL UNIQUE, tx bigint NOT NULL DEFAULT txid_current())`,
  );
  /** Each group's values as its commit started, in order. */
  const started: number[][] = [];
  let gate: Promise<void> | undefined;
  let isHeld = false;
  const committer = new PostgresGroupCommitter(
    () => new NumberGroup(),
    async (group) => {
      started.push([...group.values]);
      const held = gate;
      gate = undefined;
      await database.transaction(async (client) => {
        await client.query(`INSERT INTO ${table} (value) SELECT v FROM unnest($1::int[]) WITH ORDINALITY AS x(v, n) ORDER BY n`, [
          group.values,
        ]);
        if (held === undefined) return;
        isHeld = true;
        await held;
        isHeld = false;
      });
    },
  );
  committers.push(committer);
  return {
    committer,
    started,
    /** One write call: its values (and bytes of "records") join the open group; resolves when that commits. */
    add(values: number[], bytes = 0): Promise<void> {
      const group = committer.group();
      for (const value of values) group.values.push(value);
      group.bytes += bytes;
      return group.done;
    },
    /** The next transaction waits, after its insert, until the returned function is called. */
    holdNext(): () => void {
      let open!: () => void;
      gate = new Promise<void>((resolve) => (open = resolve));
      openGates.push(open);
      return open;
    },
    /** Resolves once a held transaction has inserted its rows and waits to commit. */
    whileHeld: () => waitFor(() => isHeld, { what: 'the held transaction' }),
    /** The committed rows' values, one array per transaction, in commit order. */
    async transactions(): Promise<number[][]> {
      const { rows } = await database.query<{ values: number[] }>(
        `SELECT array_agg(value ORDER BY id) AS values FROM ${table} GROUP BY tx ORDER BY min(id)`,
      );
      return rows.map((row) => row.values);
    },
  };
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PostgreSQL group committer', () => {
  it('commits one event-loop turn in one transaction, and everything taken while it is in flight in the next', async () => {
    const h = await harness();
    const release = h.holdNext();
    const first = [h.add([1]), h.add([2, 3])];
    await h.whileHeld();
    // Over several turns while the first transaction is in flight: all of it joins the second.
    const second = [h.add([4])];
    await nextTurn();
    second.push(h.add([5]));
    await nextTurn();
    second.push(h.add([6]));
    let isFirstSettled = false;
    void Promise.all(first).then(() => (isFirstSettled = true));
    await nextTurn();
    // Confirmed only after the commit: nothing is visible yet, and nobody has been answered.
    expect(isFirstSettled).toBe(false);
    expect(await h.transactions()).toEqual([]);
    // What a caller sees the moment its write resolves: its rows committed.
    const seenByFirst = first[0]!.then(() => h.transactions());
    release();
    expect(await seenByFirst).toContainEqual([1, 2, 3]);
    await Promise.all(second);
    expect(h.started).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(await h.transactions()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('bounds a transaction by messages and bytes, never splits one call, and commits the groups in call order', async () => {
    const h = await harness();
    const max = POSTGRES_GROUP_MAX_MESSAGES;
    // All in one turn: without the bounds this would be one transaction.
    await Promise.all([
      h.add(range(0, max - 1)),
      h.add([max - 1]), // reaches the count bound: the group is full
      h.add([max], POSTGRES_GROUP_MAX_BYTES - 1),
      h.add([max + 1], 1), // reaches the byte bound
      h.add(range(max + 2, max + 5)), // one call over the bound: taken whole
      h.add([2 * max + 7]),
    ]);
    const transactions = await h.transactions();
    expect(transactions.map((values) => values.length)).toEqual([max, 2, max + 5, 1]);
    expect(transactions.flat()).toEqual(range(0, 2 * max + 8));
  });

  it('rejects every caller of a failed transaction with its error and goes on with the next group', async () => {
    const h = await harness();
    const release = h.holdNext();
    const before = h.add([1]);
    await h.whileHeld();
    // 2 twice: the unique index fails this group's transaction.
    const failing = [h.add([2]), h.add([3, 2])];
    h.committer.seal();
    const after = h.add([4]);
    release();
    await before;
    const errors = await Promise.all(
      failing.map((write) =>
        write.then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    );
    expect(errors[0]).toBeInstanceOf(StorageError);
    expect((errors[0] as Error).message).toMatch(/duplicate key/);
    expect(errors[1]).toBe(errors[0]);
    await after;
    expect(await h.transactions()).toEqual([[1], [4]]);
  });

  it('seals the open group: later writes commit in a transaction after it; pending lists what is not yet settled', async () => {
    const h = await harness();
    const release = h.holdNext();
    const writes = [h.add([1])];
    await h.whileHeld();
    writes.push(h.add([2]), h.add([3]));
    h.committer.seal();
    writes.push(h.add([4]));
    const all = (): boolean => true;
    expect(h.committer.pending(all).map((group) => group.values)).toEqual([[1], [2, 3], [4]]);
    expect(h.committer.pending((group) => group.values.includes(3)).map((group) => group.values)).toEqual([[2, 3]]);
    release();
    await Promise.all(writes);
    expect(await h.transactions()).toEqual([[1], [2, 3], [4]]);
    await waitFor(() => h.committer.pending(all).length === 0, { what: 'no group pending' });
  });

  it('drains everything taken, also what is taken while it waits and groups that fail, without rejecting', async () => {
    const h = await harness();
    const release = h.holdNext();
    const writes = [h.add([1])];
    await h.whileHeld();
    writes.push(h.add([1])); // fails: 1 is taken
    h.committer.seal();
    writes.push(h.add([2]));
    let isDrained = false;
    const draining = h.committer.drain().then(() => (isDrained = true));
    writes.push(h.add([3]));
    await nextTurn();
    expect(isDrained).toBe(false);
    release();
    await draining;
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await h.transactions()).toEqual([[1], [2, 3]]);
  });
});
