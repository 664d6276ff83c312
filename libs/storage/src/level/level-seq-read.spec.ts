import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dir.js';
import { LevelDatabase } from './level-database.js';
import { hex16 } from './level-keys.js';
import { readSeqValues } from './level-seq-read.js';

describe('readSeqValues', () => {
  let dir: string;
  let database: LevelDatabase;
  const prefix = 'q!a!m!';
  const text = (values: Array<Buffer | undefined>): Array<string | undefined> => values.map((value) => value?.toString());

  beforeEach(async () => {
    dir = await makeTempDir();
    database = new LevelDatabase(dir);
    await database.acquire();
    const ops = [];
    // Every seq from 0 to 199 but the multiples of 7; a longer key under the same prefix; a neighbouring prefix.
    for (let seq = 0; seq < 200; seq++)
      if (seq % 7 !== 0) ops.push({ type: 'put' as const, key: prefix + hex16(seq), value: Buffer.from(`v${seq}`) });
    ops.push({ type: 'put' as const, key: `${prefix}${hex16(50)}!${hex16(9)}`, value: Buffer.from('longer') });
    ops.push({ type: 'put' as const, key: `q!a!n!${hex16(60)}`, value: Buffer.from('other') });
    await database.db.batch(ops);
  });
  afterEach(async () => {
    await database.release();
    await removeTempDir(dir);
  });

  /** What one getMany answers: the reference. */
  const expected = (seqs: number[]): Array<string | undefined> => seqs.map((seq) => (seq % 7 !== 0 && seq < 200 ? `v${seq}` : undefined));

  it('answers a dense run (one iterator) as a getMany would, in the order asked, missing keys undefined', async () => {
    const seqs = Array.from({ length: 100 }, (_, i) => 120 - i);
    seqs.push(250, 201);
    expect(text(await readSeqValues(database.db, prefix, seqs))).toEqual(expected(seqs));
    const run = Array.from({ length: 40 }, (_, i) => 40 + i);
    expect(text(await readSeqValues(database.db, prefix, run))).toEqual(expected(run));
  });

  it('answers scattered and short requests (getMany) the same way', async () => {
    const scattered = Array.from({ length: 30 }, (_, i) => i * 6);
    expect(text(await readSeqValues(database.db, prefix, scattered))).toEqual(expected(scattered));
    expect(text(await readSeqValues(database.db, prefix, [5, 3, 7]))).toEqual(expected([5, 3, 7]));
    expect(await readSeqValues(database.db, prefix, [])).toEqual([]);
  });
});
