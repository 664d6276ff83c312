import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ClassicLevel } from 'classic-level';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dir.js';
import { canWriteDirectly, privateBatch, writeBatch } from './direct-batch.js';
import type { LevelBatchOp } from './group-committer.js';
import { LevelDatabase, type WarrenLevel } from './level-database.js';

/** Opens a database the way LevelDatabase does (utf8 keys, buffer values). */
async function openWarrenLevel(dir: string): Promise<WarrenLevel> {
  const db: WarrenLevel = new ClassicLevel<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer', createIfMissing: true });
  await db.open();
  return db;
}

/** Records what abstract-level hands the private `_batch` of one instance, then writes it (a hand-written spy). */
function spyOnPrivateBatch(db: WarrenLevel): Array<{ ops: Array<Record<string, unknown>>; options: Record<string, unknown> }> {
  const calls: Array<{ ops: Array<Record<string, unknown>>; options: Record<string, unknown> }> = [];
  const original = privateBatch!;
  Object.defineProperty(db, '_batch', {
    configurable: true,
    value(this: WarrenLevel, ops: LevelBatchOp[], options: { sync: boolean }) {
      calls.push({ ops: ops.map((op) => ({ ...op })), options: { ...options } });
      return original.call(this, ops, options);
    },
  });
  return calls;
}

const ops = (): LevelBatchOp[] => [
  { type: 'put', key: 'q!a!m!0000000000000001', value: Buffer.from('one') },
  { type: 'put', key: 'q!a!m!0000000000000002', value: Buffer.from([0, 1, 2, 255]) },
  { type: 'put', key: 'q!ä!m!0000000000000003', value: Buffer.alloc(0) },
  { type: 'del', key: 'q!a!m!0000000000000001' },
];

describe('direct batch writes (classic-level without abstract-level per-operation preparation)', () => {
  let dir: string;
  let db: WarrenLevel;

  beforeEach(async () => {
    dir = await makeTempDir('warren-direct-batch');
    db = await openWarrenLevel(dir);
  });

  afterEach(async () => {
    if (db.status !== 'closed') await db.close();
    await removeTempDir(dir);
  });

  // If this fails after a classic-level or abstract-level upgrade, the direct path is no longer the library's own:
  // re-check direct-batch.ts against the new abstract-level `#arrayBatch` and classic-level `_batch`.
  it('finds classic-level own _batch, the one that calls the native binding', () => {
    expect(privateBatch).toBeDefined();
    expect(Object.hasOwn(ClassicLevel.prototype, '_batch')).toBe(true);
    expect(String(privateBatch)).toContain('batch_do');
    expect((db.hooks.prewrite as unknown as { noop?: unknown }).noop).toBe(true);
    expect(db.keyEncoding().name).toBe('utf8');
    expect(db.valueEncoding().name).toBe('buffer');
    expect(canWriteDirectly(db)).toBe(true);
  });

  it('hands _batch exactly what the public batch() hands it after its preparation (type, key, value, sync)', async () => {
    const calls = spyOnPrivateBatch(db);
    await db.batch(ops(), { sync: true });
    expect(calls).toHaveLength(1);
    const prepared = calls[0]!;
    expect(prepared.options['sync']).toBe(true);
    const input = ops();
    expect(prepared.ops).toHaveLength(input.length);
    prepared.ops.forEach((op, i) => {
      const expected = input[i]!;
      expect(op['type']).toBe(expected.type);
      // The key stays the same string (not a Buffer, not prefixed), the value the same bytes as a Buffer.
      expect(op['key']).toBe(expected.key);
      if (expected.type === 'put') {
        expect(Buffer.isBuffer(op['value'])).toBe(true);
        expect((op['value'] as Buffer).equals(expected.value)).toBe(true);
      }
    });
  });

  it('writes through _batch directly, with the same result as the public batch()', async () => {
    const calls = spyOnPrivateBatch(db);
    const direct = ops();
    await writeBatch(db, direct, { sync: false });
    expect(calls).toHaveLength(1);
    // Handed over as they are: no clone per operation.
    expect(calls[0]!.ops.map((op) => op['key'])).toEqual(direct.map((op) => op.key));
    expect(calls[0]!.options).toEqual({ sync: false });
    const written = await db.iterator().all();

    const otherDir = await makeTempDir('warren-direct-batch');
    const other = await openWarrenLevel(otherDir);
    try {
      await other.batch(ops());
      expect(written).toEqual(await other.iterator().all());
      expect(written.map(([key]) => key)).toEqual(['q!a!m!0000000000000002', 'q!ä!m!0000000000000003']);
    } finally {
      await other.close();
      await removeTempDir(otherDir);
    }
  });

  it('falls back to the public batch() when a prewrite hook is installed, and the hook sees every operation', async () => {
    const seen: string[] = [];
    db.hooks.prewrite.add((op: { key: string }) => seen.push(op.key));
    expect(canWriteDirectly(db)).toBe(false);
    await writeBatch(db, ops(), { sync: false });
    expect(seen).toEqual(ops().map((op) => op.key));
    expect(await db.get('q!a!m!0000000000000002')).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('falls back to the public batch() when something listens to write events', async () => {
    const events: unknown[] = [];
    db.on('write', (operations: unknown[]) => events.push(...operations));
    expect(canWriteDirectly(db)).toBe(false);
    await writeBatch(db, ops(), { sync: false });
    expect(events).toHaveLength(4);
  });

  it('rejects like the public batch() once the database is closed', async () => {
    await db.close();
    expect(canWriteDirectly(db)).toBe(false);
    await expect(writeBatch(db, ops(), { sync: true })).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' });
  });

  it('is what a LevelDatabase writes its group commits with by default', async () => {
    await db.close();
    const database = new LevelDatabase(dir);
    await database.acquire();
    try {
      const calls = spyOnPrivateBatch(database.db);
      const group = database.beginWrite(2);
      group.ops.push(...ops());
      group.needsSync = true;
      await group.done;
      expect(calls).toHaveLength(1);
      expect(calls[0]!.options).toEqual({ sync: true });
      // Warren's ops plus the commit epoch every synced batch carries.
      expect(calls[0]!.ops.map((op) => op['key'])).toEqual([...ops().map((op) => op.key), 'warren!epoch']);
      expect(await database.db.get('q!a!m!0000000000000002')).toEqual(Buffer.from([0, 1, 2, 255]));
    } finally {
      await database.release();
    }
  });

  it('falls back for other encodings', async () => {
    const otherDir = await makeTempDir('warren-direct-batch');
    const json = new ClassicLevel<string, unknown>(otherDir, { valueEncoding: 'json' });
    try {
      await json.open();
      expect(canWriteDirectly(json as unknown as WarrenLevel)).toBe(false);
    } finally {
      await json.close();
      await removeTempDir(otherDir);
    }
  });
});
