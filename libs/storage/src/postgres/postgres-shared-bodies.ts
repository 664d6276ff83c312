import { randomUUID } from 'node:crypto';
import type { EnqueueEntry } from '../message-store.js';

/** A body one enqueue() stores once for several queues: its new id and how many rows reference it. */
export interface SharedBody {
  readonly id: string;
  readonly refs: number;
  /** Set once its row is added to the group. */
  isWritten: boolean;
}

/** Buffers that this call stores for ≥ 2 entries and that are at least `minBytes` long → a new body each. */
export function findSharedBodies(entries: ReadonlyArray<EnqueueEntry>, minBytes: number): Map<Buffer, SharedBody> | undefined {
  let counts: Map<Buffer, number> | undefined;
  for (const { data } of entries) {
    if (data.length >= minBytes) (counts ??= new Map()).set(data, (counts.get(data) ?? 0) + 1);
  }
  if (counts === undefined) return undefined;
  let bodies: Map<Buffer, SharedBody> | undefined;
  for (const [data, refs] of counts) {
    // Random ids: nodes sharing one database never collide, and no round trip is needed to allocate one.
    if (refs >= 2) (bodies ??= new Map()).set(data, { id: randomUUID(), refs, isWritten: false });
  }
  return bodies;
}
