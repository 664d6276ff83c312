import type { WarrenLevel } from './level-database.js';
import { hex16 } from './level-keys.js';

// Read with one iterator when the seqs asked for fill at least half of the span they cover.
const MIN_DENSITY = 0.5;
// Below this many seqs a getMany is as cheap as opening an iterator.
const MIN_ITERATED = 16;
// Bytes of keys and values one nextv() may return.
const READ_BYTES = 1024 * 1024;

/**
 * The values of the keys `prefix + hex16(seq)` for `seqs` (in their order; undefined where there is no such key).
 *
 * Why not always one `getMany`: LevelDB looks each key up from the top (memtables, then every level that may hold
 * it; there is no bloom filter): 2.4–4.2 µs per key here, against 1.7 µs for one iterator over a run of
 * adjacent keys (`bench/level-seq-reads.ts`; docs/BENCHMARKS.md, "Persistent bodies in the body log"). A queue's read-ahead asks for runs of
 * adjacent seqs, so those go through an iterator bounded to their span; scattered seqs (priorities, requeues) keep
 * the getMany. Keys in the span that were not asked for (a message delivered and still unacked, longer keys under
 * the same prefix) are skipped.
 */
export async function readSeqValues(db: WarrenLevel, prefix: string, seqs: ReadonlyArray<number>): Promise<Array<Buffer | undefined>> {
  if (seqs.length < MIN_ITERATED) return seqs.length === 0 ? [] : db.getMany(seqs.map((seq) => prefix + hex16(seq)));
  let min = seqs[0]!;
  let max = min;
  for (const seq of seqs) {
    if (seq < min) min = seq;
    else if (seq > max) max = seq;
  }
  const span = max - min + 1;
  if (seqs.length < span * MIN_DENSITY) return db.getMany(seqs.map((seq) => prefix + hex16(seq)));
  const found = new Array<Buffer | undefined>(span);
  const keyLength = prefix.length + 16;
  // classic-level ends a nextv() at 16 KiB of keys and values by default: a bigger bound, and a loop for the rest.
  const iterator = db.iterator({ gte: prefix + hex16(min), lt: prefix + hex16(max + 1), highWaterMarkBytes: READ_BYTES });
  try {
    for (let last = min - 1; last < max;) {
      const entries = await iterator.nextv(span);
      if (entries.length === 0) break;
      for (const [key, value] of entries) {
        if (key.length !== keyLength) continue;
        last = parseInt(key.slice(prefix.length), 16);
        found[last - min] = value;
      }
    }
  } finally {
    await iterator.close();
  }
  return seqs.map((seq) => found[seq - min]);
}
