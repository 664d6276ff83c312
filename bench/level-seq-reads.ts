// Warren-only benchmark: reading the records of adjacent seqs from LevelDB with one getMany (a lookup per key) or
// with one iterator over their span (level-seq-read.ts), as the deep-queue drain reads index records and body
// pointers.
//   node --import ./test/support/register-ts.mjs bench/level-seq-reads.ts --messages 2000000 --batch 1000 --rounds 3
// Fills 4 queues with --messages index records (40 bytes) and body pointers (17 bytes) each, interleaved as a
// publisher into 4 queues writes them, then reads 200 batches of --batch adjacent seqs per method and round
// (different seqs each time, so no read is served from the previous one's cache), and prints µs per key
// (wall time: LevelDB's work runs on the thread pool). The data directory is removed at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelDatabase } from '../libs/storage/src/level/level-database.js';
import { hex16 } from '../libs/storage/src/level/level-keys.js';
import { readSeqValues } from '../libs/storage/src/level/level-seq-read.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1]! : fallback;
};
const total = Number(option('messages', '2000000'));
const batch = Number(option('batch', '1000'));
const rounds = Number(option('rounds', '3'));
const queues = ['a', 'b', 'c', 'd'];
const dir = mkdtempSync(join(tmpdir(), 'warren-seq-reads-'));
const database = new LevelDatabase(dir);
try {
  await database.acquire();
  const db = database.db;
  for (let from = 0; from < total; from += 10_000) {
    const ops = [];
    for (let seq = from; seq < Math.min(total, from + 10_000); seq++) {
      for (const queue of queues) {
        ops.push({ type: 'put' as const, key: `q!${queue}!i!${hex16(seq)}`, value: Buffer.alloc(40, seq) });
        ops.push({ type: 'put' as const, key: `q!${queue}!m!${hex16(seq)}`, value: Buffer.alloc(17, seq) });
      }
    }
    await db.batch(ops);
  }
  const batches = 200;
  let start = 0;
  const timed = async (read: (prefix: string, seqs: number[]) => Promise<unknown[]>): Promise<number> => {
    const began = performance.now();
    for (let b = 0; b < batches; b++) {
      const seqs = Array.from({ length: batch }, (_, i) => (start + i) % total);
      start = (start + batch) % total;
      await read(`q!${queues[b % queues.length]}!m!`, seqs);
    }
    return ((performance.now() - began) * 1000) / (batches * batch);
  };
  for (let round = 1; round <= rounds; round++) {
    const getMany = await timed((prefix, seqs) => db.getMany(seqs.map((seq) => prefix + hex16(seq))));
    const iterator = await timed((prefix, seqs) => readSeqValues(db, prefix, seqs));
    console.log(
      `round ${round}: getMany ${getMany.toFixed(2)} µs/key, iterator ${iterator.toFixed(2)} µs/key (${total} × ${queues.length} messages, batches of ${batch})`,
    );
  }
} finally {
  await database.release();
  rmSync(dir, { recursive: true, force: true });
}
