import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { checkMessageRecord } from '../message-record.js';
import type { EnqueueEntry } from '../message-store.js';
import { storageErrorFrom } from '../storage-error.js';
import { MAX_RUN_RECORDS, SpillRunIndex, popcount, type SpillRun } from './spill-run-index.js';
import { SPILL_RECORD_HEADER_BYTES, SPILL_SEGMENT_FILE, SpillSegment } from './spill-segment.js';

const RESOLVED = Promise.resolve();
const ignore = (): void => undefined;
const TWO_POW_32 = 2 ** 32;

/** A run closes past this many bytes, bounding what a read of one of its records reads around it. */
const MAX_RUN_BYTES = 256 * 1024;
/** Adjacent runs are read with one call up to this many bytes. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

/** Options of {@link FileSpill}. */
export interface FileSpillOptions {
  /** A segment file takes new batches until it holds this many bytes (default 64 MiB). */
  readonly segmentBytes?: number;
}

/** Batches written to one segment in one turn: one `writev` at `offset`. */
interface WriteGroup {
  readonly segment: SpillSegment;
  readonly offset: number;
  bytes: number;
  readonly buffers: Buffer[];
  readonly runs: SpillRun[];
  readonly written: Promise<void>;
}

/**
 * Transient paging for the LevelDB store (MessageStore.spill): bodies that must not survive a restart, in
 * append-only segment files of `dir` (spill-segment.ts) instead of LevelDB. LevelDB memory-maps every table file
 * it reads, so draining a spill kept there put every table of the backlog into the broker's resident memory;
 * positional reads of plain files go through the page cache instead, which the kernel reclaims. Nothing is synced
 * (nothing is promised after a crash) and `wipe()` empties the directory at open.
 *
 * @remarks
 * The batches of one turn are one positional `writev` into the current segment; a read is one positional `read`
 * per stretch of adjacent runs. Memory is one small run object per (up to) 32 records, found by binary search, and
 * one live count per segment: a segment whose records are all dropped is closed and unlinked. A record whose seq, length or
 * message-record checksum does not hold is not served (the broker drops that transient message).
 */
export class FileSpill {
  private readonly segmentBytes: number;
  private readonly index = new SpillRunIndex();
  private readonly segments = new Set<SpillSegment>();
  private readonly writes = new Set<Promise<void>>();
  private active: SpillSegment | undefined;
  /** The write group of the current turn, if any. */
  private group: WriteGroup | undefined;
  private nextSegmentId = 1;
  private liveRecords = 0;
  /** Unlinks of retired segments in flight. */
  private removals: Array<Promise<void>> = [];

  /** @param dir the spill directory (created by `wipe()`), inside the data directory so the disk alarm covers it. */
  constructor(
    readonly dir: string,
    options: FileSpillOptions = {},
  ) {
    this.segmentBytes = Math.max(1, options.segmentBytes ?? 64 * 1024 * 1024);
  }

  /** `writev` calls made (tests: the batches of one turn share one). */
  writeCalls = 0;

  /** Segment files present (tests: unlinked once drained). */
  get segmentCount(): number {
    return this.segments.size;
  }

  /** Forgets everything and empties the directory (at open, before anything can spill). */
  async wipe(): Promise<void> {
    await this.close();
    try {
      await mkdir(this.dir, { recursive: true });
      for (const name of await readdir(this.dir)) if (SPILL_SEGMENT_FILE.test(name)) await unlink(join(this.dir, name));
    } catch (error) {
      throw storageErrorFrom(error, `cannot write ${this.dir}`, this.dir);
    }
  }

  /** Waits for writes in flight, then closes and unlinks every segment (a clean shutdown leaves no spill behind). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.writes]);
    const segments = [...this.segments];
    this.segments.clear();
    this.index.clear();
    this.active = undefined;
    this.group = undefined;
    this.liveRecords = 0;
    await Promise.all([...segments.map((segment) => segment.retire()), ...this.removals]);
  }

  /** Spilled records present once the writes in flight are done (tests). */
  async count(): Promise<number> {
    await Promise.allSettled([...this.writes]);
    return this.liveRecords;
  }

  /** Waits until segments already retired are unlinked (tests look at the directory). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.writes]);
    await Promise.all(this.removals);
  }

  /** Appends `entries` (in one `writev` with the other batches of this turn); resolves once they can be read back. */
  write(entries: ReadonlyArray<EnqueueEntry>): Promise<void> {
    if (entries.length === 0) return RESOLVED;
    let bytes = 0;
    for (const { data } of entries) bytes += SPILL_RECORD_HEADER_BYTES + data.length;
    let segment = this.active;
    if (segment === undefined || (segment.size > 0 && segment.size + bytes > this.segmentBytes)) {
      if (segment !== undefined) this.seal(segment);
      segment = this.active = new SpillSegment(this.dir, this.nextSegmentId++);
      this.segments.add(segment);
    }
    const offset = segment.size;
    segment.size += bytes;
    segment.live += entries.length;
    this.liveRecords += entries.length;

    const headers = Buffer.allocUnsafe(SPILL_RECORD_HEADER_BYTES * entries.length);
    const buffers: Buffer[] = [];
    const runs: SpillRun[] = [];
    let run: { queueId: string; firstSeq: number; count: number; offset: number; length: number } | undefined;
    let position = offset;
    for (let i = 0; i < entries.length; i++) {
      const { queueId, seq, data } = entries[i]!;
      const at = i * SPILL_RECORD_HEADER_BYTES;
      headers.writeUInt32BE(Math.floor(seq / TWO_POW_32), at);
      headers.writeUInt32BE(seq % TWO_POW_32, at + 4);
      headers.writeUInt32BE(data.length, at + 8);
      buffers.push(headers.subarray(at, at + SPILL_RECORD_HEADER_BYTES), data);
      const recordBytes = SPILL_RECORD_HEADER_BYTES + data.length;
      // The same seq written again replaces the earlier record, as a put over a key would.
      this.forget(queueId, seq);
      if (
        run !== undefined &&
        run.queueId === queueId &&
        seq === run.firstSeq + run.count &&
        run.count < MAX_RUN_RECORDS &&
        run.length < MAX_RUN_BYTES
      ) {
        run.count++;
        run.length += recordBytes;
      } else {
        if (run !== undefined) runs.push(this.index.add(run.queueId, run.firstSeq, run.count, segment, run.offset, run.length));
        run = { queueId, firstSeq: seq, count: 1, offset: position, length: recordBytes };
      }
      position += recordBytes;
    }
    runs.push(this.index.add(run!.queueId, run!.firstSeq, run!.count, segment, run!.offset, run!.length));

    const group = this.groupFor(segment, offset);
    for (const buffer of buffers) group.buffers.push(buffer);
    group.bytes += bytes;
    for (const each of runs) {
      each.pending = group.written;
      group.runs.push(each);
    }
    return group.written;
  }

  /**
   * The write group of this turn for `segment`: every batch written to it before the turn ends goes out as one
   * `writev` (many queues spilling in one turn cost one system call, as one group commit would).
   */
  private groupFor(segment: SpillSegment, offset: number): WriteGroup {
    const open = this.group;
    if (open !== undefined && open.segment === segment && open.offset + open.bytes === offset) return open;
    let settle!: { resolve: () => void; reject: (error: unknown) => void };
    const written = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const group: WriteGroup = { segment, offset, bytes: 0, buffers: [], runs: [], written };
    this.group = group;
    segment.users++;
    this.writes.add(written);
    const untrack = (): void => void this.writes.delete(written);
    written.then(untrack, untrack);
    queueMicrotask(() => {
      if (this.group === group) this.group = undefined;
      this.writeCalls++;
      segment.write(group.buffers, group.offset, group.bytes).then(
        () => {
          for (const each of group.runs) each.pending = undefined;
          this.release(segment);
          settle.resolve();
        },
        (error: unknown) => {
          // Nothing of the group is served; the callers keep the bodies in memory. A later batch starts a new file.
          for (const each of group.runs) {
            each.pending = undefined;
            each.isFailed = true;
            if (each.live !== 0) this.clear(each, each.live);
          }
          if (this.active === segment) this.seal(segment);
          this.release(segment);
          settle.reject(storageErrorFrom(error, `cannot write ${this.dir}`, this.dir));
        },
      );
    });
    return group;
  }

  /** One result per seq, in order: the record, or undefined when it was never spilled, is dropped or is damaged. */
  async read(queueId: string, seqs: ReadonlyArray<number>): Promise<Array<Buffer | undefined>> {
    const results = new Array<Buffer | undefined>(seqs.length).fill(undefined);
    const queue = this.index.queue(queueId);
    if (queue === undefined || seqs.length === 0) return results;
    const wanted = new Map<SpillRun, number[]>();
    for (let i = 0; i < seqs.length; i++) {
      const run = this.index.find(queue, seqs[i]!);
      if (run === undefined) continue;
      const indexes = wanted.get(run);
      if (indexes === undefined) wanted.set(run, [i]);
      else indexes.push(i);
    }
    if (wanted.size === 0) return results;
    const runs = [...wanted.keys()].sort((a, b) => a.segment.id - b.segment.id || a.offset - b.offset);
    const spans: SpillRun[][] = [];
    for (const run of runs) {
      const span = spans[spans.length - 1];
      const last = span?.[span.length - 1];
      if (
        span !== undefined &&
        last!.segment === run.segment &&
        last!.offset + last!.length === run.offset &&
        run.offset + run.length - span[0]!.offset <= MAX_READ_BYTES
      ) {
        span.push(run);
      } else {
        spans.push([run]);
      }
    }
    // Held before the first await: a drop racing this read cannot close the file under it.
    for (const span of spans) span[0]!.segment.users++;
    await Promise.all(spans.map((span) => this.readSpan(span, wanted, seqs, results)));
    return results;
  }

  /** Forgets records (unknown seqs are ignored); a segment left with no live record is closed and unlinked. */
  drop(queueId: string, seqs: ReadonlyArray<number>): Promise<void> {
    for (const seq of seqs) this.forget(queueId, seq);
    return RESOLVED;
  }

  private async readSpan(
    span: SpillRun[],
    wanted: Map<SpillRun, number[]>,
    seqs: ReadonlyArray<number>,
    results: Array<Buffer | undefined>,
  ) {
    const segment = span[0]!.segment;
    try {
      for (const run of span) if (run.pending) await run.pending.catch(ignore);
      const start = span[0]!.offset;
      const last = span[span.length - 1]!;
      let bytes: Buffer;
      try {
        bytes = await segment.read(start, last.offset + last.length - start);
      } catch (error) {
        throw storageErrorFrom(error, `cannot read ${this.dir}`, this.dir);
      }
      for (const run of span) if (!run.isFailed) this.parseRun(run, bytes, run.offset - start, wanted.get(run)!, seqs, results);
    } finally {
      this.release(segment);
    }
  }

  /** Serves the wanted records of `run` from `bytes` (the run starts at `at`); damaged ones are not served. */
  private parseRun(
    run: SpillRun,
    bytes: Buffer,
    at: number,
    indexes: number[],
    seqs: ReadonlyArray<number>,
    results: Array<Buffer | undefined>,
  ) {
    let highest = 0;
    for (const i of indexes) highest = Math.max(highest, seqs[i]! - run.firstSeq);
    const starts = new Array<number>(highest + 1);
    const ends = new Array<number>(highest + 1);
    const runEnd = Math.min(at + run.length, bytes.length);
    let position = at;
    for (let k = 0; k <= highest; k++) {
      if (position + SPILL_RECORD_HEADER_BYTES > runEnd) break;
      const seq = bytes.readUInt32BE(position) * TWO_POW_32 + bytes.readUInt32BE(position + 4);
      const end = position + SPILL_RECORD_HEADER_BYTES + bytes.readUInt32BE(position + 8);
      // A wrong length loses the rest of the run (the next headers do not line up); a wrong seq only its record.
      if (end > runEnd) break;
      if (seq === run.firstSeq + k) {
        starts[k] = position + SPILL_RECORD_HEADER_BYTES;
        ends[k] = end;
      }
      position = end;
    }
    for (const i of indexes) {
      const k = seqs[i]! - run.firstSeq;
      if (starts[k] === undefined) continue;
      // A copy: a view would keep the whole read buffer alive as long as any one body lives.
      const record = Buffer.from(bytes.subarray(starts[k], ends[k]));
      if (checkMessageRecord(record) === undefined) results[i] = record;
    }
  }

  /** Drops one record if it is live. */
  private forget(queueId: string, seq: number): void {
    const queue = this.index.queue(queueId);
    if (queue === undefined || seq > queue.maxSeq) return;
    const run = this.index.find(queue, seq);
    if (run !== undefined) this.clear(run, 1 << (seq - run.firstSeq));
  }

  /** Clears the live bits `mask` of `run`, then retires what that empties. */
  private clear(run: SpillRun, mask: number): void {
    const records = popcount(run.live & mask);
    if (records === 0) return;
    run.live &= ~mask;
    this.liveRecords -= records;
    const segment = run.segment;
    segment.live -= records;
    if (run.live === 0) this.index.runDied(run);
    if (segment.live === 0) this.maybeRetire(segment);
  }

  /** The segment takes no more batches. */
  private seal(segment: SpillSegment): void {
    if (this.active === segment) this.active = undefined;
    this.maybeRetire(segment);
  }

  private release(segment: SpillSegment): void {
    segment.users--;
    this.maybeRetire(segment);
  }

  private maybeRetire(segment: SpillSegment): void {
    if (segment.live !== 0 || segment.users !== 0 || segment.isRetired || !this.segments.has(segment)) return;
    if (this.active === segment) this.active = undefined;
    this.segments.delete(segment);
    const removed = segment.retire();
    this.removals.push(removed);
    void removed.then(() => (this.removals = this.removals.filter((each) => each !== removed)));
  }
}
