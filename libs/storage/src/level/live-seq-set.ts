/**
 * The set of a queue's stored seqs as a sparse bitmap: 4096-seq chunks of 512 bytes, a chunk freed when empty.
 *
 * Why: removals must be idempotent and must count only messages really stored (the counters feed the integrity
 * check), and purge needs the stored seqs without a disk scan. A `Set<number>` costs ~40 bytes per message; since
 * seqs are dense and mostly removed near the head, a bitmap costs ~1 bit per seq between the oldest and newest
 * stored message (1M backlog ≈ 125 KiB).
 */
const CHUNK_BITS = 4096;
const CHUNK_WORDS = CHUNK_BITS / 32;

interface Chunk {
  readonly words: Uint32Array;
  count: number;
}

/** A set of non-negative safe integers optimised for dense, mostly increasing values. */
export class LiveSeqSet {
  private readonly chunks = new Map<number, Chunk>();
  private total = 0;

  /** Number of seqs in the set. */
  get size(): number {
    return this.total;
  }

  /** True if `seq` is in the set. */
  has(seq: number): boolean {
    const chunk = this.chunks.get(Math.floor(seq / CHUNK_BITS));
    if (chunk === undefined) return false;
    const bit = seq % CHUNK_BITS;
    return (chunk.words[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /** Adds `seq`; returns false if it was already present. */
  add(seq: number): boolean {
    const index = Math.floor(seq / CHUNK_BITS);
    let chunk = this.chunks.get(index);
    if (chunk === undefined) {
      chunk = { words: new Uint32Array(CHUNK_WORDS), count: 0 };
      this.chunks.set(index, chunk);
    }
    const bit = seq % CHUNK_BITS;
    const mask = 1 << (bit & 31);
    const word = chunk.words[bit >>> 5]!;
    if ((word & mask) !== 0) return false;
    chunk.words[bit >>> 5] = word | mask;
    chunk.count++;
    this.total++;
    return true;
  }

  /** Removes `seq`; returns false if it was not present. */
  delete(seq: number): boolean {
    const index = Math.floor(seq / CHUNK_BITS);
    const chunk = this.chunks.get(index);
    if (chunk === undefined) return false;
    const bit = seq % CHUNK_BITS;
    const mask = 1 << (bit & 31);
    const word = chunk.words[bit >>> 5]!;
    if ((word & mask) === 0) return false;
    chunk.words[bit >>> 5] = word & ~mask;
    this.total--;
    if (--chunk.count === 0) this.chunks.delete(index);
    return true;
  }

  /** Adds every seq of `other` (a chunk-wise copy: cheap even for millions of seqs). */
  addAll(other: LiveSeqSet): void {
    for (const [index, chunk] of other.chunks) {
      const mine = this.chunks.get(index);
      if (mine === undefined) {
        this.chunks.set(index, { words: chunk.words.slice(), count: chunk.count });
        this.total += chunk.count;
        continue;
      }
      for (let w = 0; w < CHUNK_WORDS; w++) {
        const added = (chunk.words[w]! & ~mine.words[w]!) >>> 0;
        if (added === 0) continue;
        mine.words[w] = (mine.words[w]! | added) >>> 0;
        const bits = popcount(added);
        mine.count += bits;
        this.total += bits;
      }
    }
  }

  /** Up to `max` smallest seqs below `limit`, ascending. */
  first(max: number, limit = Number.MAX_SAFE_INTEGER): number[] {
    return this.from(0, max, limit);
  }

  /** Up to `max` smallest seqs ≥ `fromSeq` and below `limit`, ascending (chunks below `fromSeq` are skipped). */
  from(fromSeq: number, max: number, limit = Number.MAX_SAFE_INTEGER): number[] {
    const out: number[] = [];
    const firstIndex = Math.floor(fromSeq / CHUNK_BITS);
    // Chunk count is small (backlog / 4096), so sorting the keys per call is cheap and avoids relying on Map
    // insertion order.
    const indexes = [...this.chunks.keys()].filter((index) => index >= firstIndex).sort((a, b) => a - b);
    for (const index of indexes) {
      const words = this.chunks.get(index)!.words;
      const base = index * CHUNK_BITS;
      for (let w = 0; w < CHUNK_WORDS; w++) {
        let word = words[w]!;
        while (word !== 0) {
          const low = word & -word;
          const seq = base + w * 32 + (31 - Math.clz32(low));
          if (seq >= limit || out.length >= max) return out;
          if (seq >= fromSeq) out.push(seq);
          word ^= low;
        }
      }
    }
    return out;
  }

  /** True if any seq in [lo, hi] is in the set (chunk lookups and word tests only: cheap for long dead ranges). */
  hasAnyIn(lo: number, hi: number): boolean {
    if (hi < lo || this.total === 0) return false;
    const lastIndex = Math.floor(hi / CHUNK_BITS);
    for (let index = Math.floor(lo / CHUNK_BITS); index <= lastIndex; index++) {
      const chunk = this.chunks.get(index);
      if (chunk === undefined) continue;
      const base = index * CHUNK_BITS;
      // A chunk is freed when empty, so one wholly inside the range has a seq in it.
      if (base >= lo && base + CHUNK_BITS - 1 <= hi) return true;
      const first = Math.max(lo, base) - base;
      const last = Math.min(hi, base + CHUNK_BITS - 1) - base;
      for (let w = first >>> 5; w <= last >>> 5; w++) {
        let word = chunk.words[w]!;
        if (word === 0) continue;
        // Only the bits of this word within [first, last].
        const from = w === first >>> 5 ? first & 31 : 0;
        const to = w === last >>> 5 ? last & 31 : 31;
        word = (word >>> from) << from;
        if (to < 31) word &= (1 << (to + 1)) - 1;
        if (word !== 0) return true;
      }
    }
    return false;
  }

  /** Adds every seq in [from, to] (whole words at a time: cheap for the long runs a clean close saves). */
  addRange(from: number, to: number): void {
    let seq = from;
    while (seq <= to) {
      const bit = seq % CHUNK_BITS;
      if ((bit & 31) === 0 && to - seq >= 31) {
        const index = Math.floor(seq / CHUNK_BITS);
        let chunk = this.chunks.get(index);
        if (chunk === undefined) {
          chunk = { words: new Uint32Array(CHUNK_WORDS), count: 0 };
          this.chunks.set(index, chunk);
        }
        const added = popcount(~chunk.words[bit >>> 5]! >>> 0);
        chunk.words[bit >>> 5] = 0xffffffff;
        chunk.count += added;
        this.total += added;
        seq += 32;
      } else {
        this.add(seq);
        seq++;
      }
    }
  }

  /**
   * The set as ascending runs `[first, last, first, last, …]`, or undefined when it takes more than `maxRuns` runs
   * (too fragmented to be worth saving as runs).
   */
  toRuns(maxRuns: number): number[] | undefined {
    const runs: number[] = [];
    let start = -1;
    let previous = -2;
    const indexes = [...this.chunks.keys()].sort((a, b) => a - b);
    for (const index of indexes) {
      const words = this.chunks.get(index)!.words;
      const base = index * CHUNK_BITS;
      for (let w = 0; w < CHUNK_WORDS; w++) {
        const word = words[w]!;
        if (word === 0) continue;
        const wordBase = base + w * 32;
        if (word === 0xffffffff && previous === wordBase - 1) {
          previous = wordBase + 31;
          continue;
        }
        for (let b = 0; b < 32; b++) {
          if ((word & (1 << b)) === 0) continue;
          const seq = wordBase + b;
          if (seq !== previous + 1) {
            if (start >= 0) runs.push(start, previous);
            if (runs.length / 2 >= maxRuns) return undefined;
            start = seq;
          }
          previous = seq;
        }
      }
    }
    if (start >= 0) runs.push(start, previous);
    return runs;
  }

  /** Largest seq in the set, or −1 when empty. */
  max(): number {
    let best = -1;
    for (const index of this.chunks.keys()) if (index > best) best = index;
    if (best < 0) return -1;
    const words = this.chunks.get(best)!.words;
    for (let w = CHUNK_WORDS - 1; w >= 0; w--) {
      const word = words[w]!;
      if (word !== 0) return best * CHUNK_BITS + w * 32 + (31 - Math.clz32(word));
    }
    return -1;
  }

  /** Up to `max` seqs of this set that `other` lacks, ascending (word-wise: cheap even for millions of seqs). */
  missingFrom(other: LiveSeqSet, max: number): number[] {
    const out: number[] = [];
    const indexes = [...this.chunks.keys()].sort((a, b) => a - b);
    for (const index of indexes) {
      const words = this.chunks.get(index)!.words;
      const others = other.chunks.get(index)?.words;
      const base = index * CHUNK_BITS;
      for (let w = 0; w < CHUNK_WORDS; w++) {
        let word = (words[w]! & ~(others?.[w] ?? 0)) >>> 0;
        while (word !== 0) {
          if (out.length >= max) return out;
          const low = word & -word;
          out.push(base + w * 32 + (31 - Math.clz32(low)));
          word = (word ^ low) >>> 0;
        }
      }
    }
    return out;
  }
}

function popcount(word: number): number {
  let n = 0;
  for (let w = word >>> 0; w !== 0; w = (w & (w - 1)) >>> 0) n++;
  return n;
}
