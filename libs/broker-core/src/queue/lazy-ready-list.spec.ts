import { describe, expect, it } from '@jest/globals';
import type { Message, QueueEntry } from './message.js';
import { LazyFifoReadyList } from './lazy-ready-list.js';

function entry(seq: number, overrides: Partial<QueueEntry> = {}): QueueEntry {
  return {
    message: {} as Message,
    seq,
    redelivered: false,
    deliveryCount: 0,
    priority: 0,
    expiresAt: 0,
    size: 10,
    isPersistent: true,
    isReady: true,
    isPagedOut: false,
    pageWhenStored: false,
    ...overrides,
  };
}

/** Marks an entry past the window as stored and paged out (what QueuePager.pageOut does). */
function pageOut(e: QueueEntry): void {
  e.pageWhenStored = false;
  e.isPagedOut = true;
}

function newList(collapsed: QueueEntry[] = []): LazyFifoReadyList {
  return new LazyFifoReadyList(
    (e) => (e.expiresAt === 0 ? 'stored' : undefined),
    (e) => collapsed.push(e),
  );
}

describe('LazyFifoReadyList', () => {
  it('keeps entries past the window apart until stored, then as one segment of counts', () => {
    const collapsed: QueueEntry[] = [];
    const list = newList(collapsed);
    const loaded = [1, 2].map((seq) => entry(seq));
    const past = [3, 4, 5].map((seq) => entry(seq, { pageWhenStored: true }));
    for (const e of [...loaded, ...past]) list.push(e);
    expect(list.length).toBe(5);
    // Stored out of order: nothing joins the tail until its predecessors did.
    pageOut(past[1]!);
    list.settle();
    expect(list.tailCount).toBe(0);
    pageOut(past[0]!);
    pageOut(past[2]!);
    list.settle();
    expect(collapsed.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(list.tailCount).toBe(3);
    expect(list.length).toBe(5);
    // Iteration stops at the segment; the head is served first.
    expect([...list].map((e) => e.seq)).toEqual([1, 2]);
    expect(list.shift()!.seq).toBe(1);
    expect(list.shift()!.seq).toBe(2);
    // The segment at the head: a paged-out placeholder, never taken.
    expect(list.peek()!.isPagedOut).toBe(true);
    expect(list.shift()).toBeUndefined();
    expect(list.segmentToLoad()).toMatchObject({ kind: 'stored', seq: 3, lastSeq: 5, count: 3, bytes: 30 });
  });

  it('loads a segment batch by batch before it, and drops it when exhausted', () => {
    const list = newList();
    const past = [10, 11, 12, 13].map((seq) => entry(seq, { pageWhenStored: true }));
    for (const e of past) list.push(e);
    for (const e of past) pageOut(e);
    list.settle();
    const segment = list.segmentToLoad()!;
    expect(list.loaded(segment, [entry(10, { isPagedOut: true }), entry(11, { isPagedOut: true })], 2, 12, false)).toBe(0);
    expect(list.length).toBe(4);
    expect(list.tailCount).toBe(2);
    expect(list.peek()!.seq).toBe(10);
    // A paged-out entry before the segment is read first.
    expect(list.segmentToLoad()).toBeUndefined();
    list.shift();
    list.shift();
    // The store had only one of the last two: the run ends and its unaccounted bytes come back.
    expect(list.loaded(segment, [entry(12)], 1, 13, true)).toBe(10);
    expect(list.tailCount).toBe(0);
    expect(list.length).toBe(1);
    expect(list.segmentToLoad()).toBeUndefined();
  });

  it('keeps a message with a TTL, or after a gap, out of the runs; requeues go before them; purge takes them', () => {
    const list = newList();
    const a = entry(1, { pageWhenStored: true });
    const ttl = entry(2, { pageWhenStored: true, expiresAt: 123 });
    const c = entry(4, { pageWhenStored: true });
    for (const e of [a, ttl, c]) list.push(e);
    for (const e of [a, ttl, c]) pageOut(e);
    list.settle();
    expect(list.tailCount).toBe(2);
    expect(list.length).toBe(3);
    list.insertBySeq(entry(0, { redelivered: true }));
    expect(list.peek()!.seq).toBe(0);
    const segments = list.takeSegments();
    expect(segments.map((s) => [s.seq, s.lastSeq, s.count])).toEqual([
      [1, 1, 1],
      [4, 4, 1],
    ]);
    expect(segments.every((s) => s.isGone)).toBe(true);
    expect(list.drain().map((e) => e.seq)).toEqual([0, 2]);
    expect(list.length).toBe(0);
  });

  it('delivers from the entries awaiting the store when nothing precedes them, and withdraws them', () => {
    const list = newList();
    const a = entry(1, { pageWhenStored: true });
    const b = entry(2, { pageWhenStored: true });
    list.push(a);
    list.push(b);
    expect(list.peek()).toBe(a);
    expect(list.remove(a)).toBe(true);
    expect(list.shift()).toBe(b);
    expect(list.length).toBe(0);
  });
});
