import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LiveSeqSet } from './live-seq-set.js';

describe('LiveSeqSet', () => {
  it('adds, deletes and reports membership idempotently', () => {
    const set = new LiveSeqSet();
    expect(set.add(5)).toBe(true);
    expect(set.add(5)).toBe(false);
    expect(set.has(5)).toBe(true);
    expect(set.delete(5)).toBe(true);
    expect(set.delete(5)).toBe(false);
    expect(set.size).toBe(0);
    expect(set.max()).toBe(-1);
  });

  it.each([0, 31, 32, 4095, 4096, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER])(
    'handles seq %d at word, chunk and 32-bit boundaries',
    (seq) => {
      const set = new LiveSeqSet();
      set.add(seq);
      expect(set.has(seq)).toBe(true);
      expect(set.has(seq === 0 ? 1 : seq - 1)).toBe(false);
      expect(set.first(10)).toEqual(seq === Number.MAX_SAFE_INTEGER ? [] : [seq]);
      expect(set.max()).toBe(seq);
    },
  );

  it('behaves like a Set of numbers (property)', () => {
    const op = fc.tuple(
      fc.boolean(),
      fc.oneof(
        fc.nat(20_000),
        fc.nat(40).map((n) => n * 4096 + 31),
      ),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.nat(20_000), (ops, limit) => {
        const set = new LiveSeqSet();
        const model = new Set<number>();
        for (const [isAdd, seq] of ops) {
          expect(isAdd ? set.add(seq) : set.delete(seq)).toBe(isAdd ? !model.has(seq) : model.has(seq));
          if (isAdd) model.add(seq);
          else model.delete(seq);
        }
        const sorted = [...model].sort((a, b) => a - b);
        expect(set.size).toBe(model.size);
        expect(set.first(50, limit)).toEqual(sorted.filter((s) => s < limit).slice(0, 50));
        expect(set.max()).toBe(sorted.length > 0 ? sorted[sorted.length - 1] : -1);
      }),
      { numRuns: 300 },
    );
  });

  it('addAll is the union, into empty and shared chunks alike (property)', () => {
    const seqs = fc.array(
      fc.oneof(
        fc.nat(20_000),
        fc.nat(40).map((n) => n * 4096 + 31),
      ),
      { maxLength: 300 },
    );
    fc.assert(
      fc.property(seqs, seqs, (mine, theirs) => {
        const set = new LiveSeqSet();
        const other = new LiveSeqSet();
        for (const seq of mine) set.add(seq);
        for (const seq of theirs) other.add(seq);
        set.addAll(other);
        const union = [...new Set([...mine, ...theirs])].sort((a, b) => a - b);
        expect(set.size).toBe(union.length);
        expect(set.first(union.length + 1)).toEqual(union);
        // The copy is independent of its source.
        if (theirs.length > 0) other.delete(theirs[0]!);
        expect(set.size).toBe(union.length);
      }),
      { numRuns: 200 },
    );
  });

  it('from(): the smallest seqs at or above a seq, across chunks', () => {
    const set = new LiveSeqSet();
    for (const seq of [1, 5, 4095, 4096, 4100, 20_000, 20_001]) set.add(seq);
    expect(set.from(5, 3)).toEqual([5, 4095, 4096]);
    expect(set.from(4097, 10)).toEqual([4100, 20_000, 20_001]);
    expect(set.from(4097, 10, 20_001)).toEqual([4100, 20_000]);
    expect(set.from(20_002, 10)).toEqual([]);
  });

  it('hasAnyIn answers like a scan of the range, at word and chunk edges', () => {
    const set = new LiveSeqSet();
    const members = [0, 31, 32, 63, 64, 4095, 4096, 4127, 8191, 8192 + 100, 20_000, 20_031];
    for (const seq of members) set.add(seq);
    set.add(12_000);
    set.delete(12_000); // a chunk emptied again is freed
    const scan = (lo: number, hi: number): boolean => members.some((seq) => seq >= lo && seq <= hi);
    const edges = [
      0, 1, 30, 31, 32, 33, 62, 63, 64, 65, 4094, 4095, 4096, 4097, 4128, 8190, 8191, 8192, 8292, 8293, 12_000, 19_999, 20_000, 20_001,
      20_031, 20_032,
    ];
    for (const lo of edges) for (const hi of edges) expect([lo, hi, set.hasAnyIn(lo, hi)]).toEqual([lo, hi, scan(lo, hi)]);
    expect(new LiveSeqSet().hasAnyIn(0, 1_000_000)).toBe(false);
  });
});
