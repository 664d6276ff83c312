import { mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { LevelBatchOp } from './group-committer.js';
import type { WarrenLevel } from './level-database.js';
import { rangeEnd } from './level-keys.js';
import { ReadBufferPool } from './read-buffer-pool.js';
import { BODY_SEGMENT_FILE, BodySegment, type QueueRange } from './body-segment.js';
import { type BodyPointer, decodeBodyPointer, encodeBodyPointer, isBodyPointer, pointerMismatch } from './body-pointer.js';
import { SEGMENTS_PREFIX, decodeRange, encodeRange, parseSegmentKey, segmentKey } from './segment-range-records.js';

/** Options of {@link BodyLog}. */
export interface BodyLogOptions {
  /** A segment takes appends until it holds this many bytes (default 64 MiB). */
  bodySegmentBytes?: number;
  /** Read handles kept open at most (default 32; active segments aside); the least recently used idle one is closed first. */
  bodyReadHandles?: number;
  /**
   * Segments taking appends at once (default 8): each queue appends to one of them, so a queue's records lie together
   * and a read-ahead reads its own bytes, not every queue's. Each group commit fdatasyncs every lane it wrote to.
   */
  bodyLanes?: number;
}

/** What loading found. */
export interface BodyLogLoad {
  /** Unrecognised segment records. */
  readonly errors: string[];
  /** Segment files no committed record referred to (written before a crash, or dropped before it): removed. */
  readonly orphansRemoved: number;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_LANES = 8;
// Records this close (bytes between them) are read together; a run is at most MAX_READ_SPAN bytes.
const MAX_READ_GAP = 16 * 1024;
const MAX_READ_SPAN = 1024 * 1024;
// Read buffers: one per read in flight, so at most this many reads of up to MAX_READ_SPAN at once.
const READ_BUFFERS = 8;

/**
 * The persistent message bodies of the LevelDB store, outside LevelDB: append-only segment files under
 * `<dataDir>/bodies/`. LevelDB keeps, per message, a 17-byte pointer (body-pointer.ts) where it used to keep the
 * record, so its compactions no longer rewrite the backlog and its memory-mapped tables stay small; bodies are read
 * with positional reads, as the transient spill's are (file-spill.ts).
 *
 * @remarks
 * Durability: records are reserved synchronously when accepted (so the pointer goes into the same commit group as
 * the message's other records) and written and fdatasync'd by `beforeWrite()`, which the group committer awaits
 * before it writes each batch: a pointer is never durable before what it points at. A crash leaves at most records
 * no committed pointer refers to, in segments that are dropped whole later.
 *
 * Lanes: appends go to one of a few active segments, the lane of the queue appending (the lane with the fewest
 * queues when it first appends). Queues draining side by side then read their own records instead of every queue's
 * interleaved (four queues read four times the bytes, in four times the reads: docs/BENCHMARKS.md, "Lanes in the
 * body log"). Placement is only a hint: a pointer names its segment, whichever lane wrote it.
 *
 * Space: each segment records, per queue, the seq range the queue appended to it (`s!` records, written in the same
 * batches as the pointers). A sealed segment in none of whose ranges any queue still has a stored seq is dropped:
 * its `s!` records deleted in a batch, then the file unlinked. No per-message state, no reference count to keep
 * exact across crashes. A message left unacknowledged keeps its whole segment (at most 64 MiB) on disk.
 */
export class BodyLog {
  readonly dir: string;
  private readonly segmentBytes: number;
  private readonly readHandles: number;
  private segments = new Map<number, BodySegment>();
  /** Per lane, the segment taking its appends. */
  private readonly lanes: Array<BodySegment | undefined>;
  /** Per queue that appended since the log was loaded, its lane; and how many queues each lane has. */
  private laneOf = new Map<string, number>();
  private readonly laneQueues: number[];
  private nextId = 1;
  private unsynced: BodySegment[] = [];
  private dirty: Array<[BodySegment, string, QueueRange]> = [];
  // New segments whose directory entry is not synced yet.
  private created: BodySegment[] = [];
  private readonly readBuffers = new ReadBufferPool(MAX_READ_SPAN, READ_BUFFERS);

  constructor(dataDir: string, options: BodyLogOptions = {}) {
    this.dir = join(dataDir, 'bodies');
    this.segmentBytes = options.bodySegmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const lanes = Math.max(1, Math.floor(options.bodyLanes ?? DEFAULT_LANES));
    this.lanes = new Array<BodySegment | undefined>(lanes).fill(undefined);
    this.laneQueues = new Array<number>(lanes).fill(0);
    this.readHandles = Math.max(2, options.bodyReadHandles ?? 32);
  }

  /**
   * What is wrong with the log now: segments named by records but not on disk (the messages pointing there are
   * lost: quarantined when read). Each goes once no queue stores a seq in it any more.
   */
  problems(): string[] {
    const problems: string[] = [];
    for (const segment of this.segments.values()) {
      if (segment.isMissing) problems.push(`body segment ${segment.id} is missing (${segment.ranges.size} queue range(s) point into it)`);
    }
    return problems;
  }

  /** Segments on disk (or being created): tests and the disk figures. */
  get segmentCount(): number {
    return this.segments.size;
  }

  /**
   * Reserves `record` for message `seq` of `queueId` and returns the pointer to store instead of it. Synchronous,
   * called while pushing the message's ops into the open commit group; the bytes are written by `beforeWrite()`.
   */
  append(record: Buffer, queueId: string, seq: number): Buffer {
    const lane = this.laneOf.get(queueId) ?? this.assignLane(queueId);
    let segment = this.lanes[lane];
    if (segment === undefined || (segment.size > 0 && segment.size + record.length > this.segmentBytes)) segment = this.roll(lane);
    if (segment.pending.length === 0) this.unsynced.push(segment);
    const offset = segment.reserve(record);
    let range = segment.ranges.get(queueId);
    if (range === undefined) {
      range = { lo: seq, hi: seq, isDirty: true };
      segment.ranges.set(queueId, range);
      this.dirty.push([segment, queueId, range]);
    } else {
      range.hi = seq;
      if (!range.isDirty) {
        range.isDirty = true;
        this.dirty.push([segment, queueId, range]);
      }
    }
    return encodeBodyPointer(segment.id, offset, record);
  }

  /**
   * Writes and fdatasyncs every record reserved so far; the group committer awaits it before each batch. Undefined
   * when nothing is reserved (no promise per removal-only batch).
   */
  beforeWrite(): Promise<void> | undefined {
    if (this.unsynced.length === 0) return undefined;
    const segments = this.unsynced;
    this.unsynced = [];
    const created = this.created;
    this.created = [];
    const writes = segments.map((segment) => segment.writePending());
    // A new file's directory entry must be durable before a committed pointer names it: synced once it exists.
    if (created.length > 0) writes.push(Promise.all(created.map((segment) => segment.created())).then(() => syncDirectory(this.dir)));
    return writes.length === 1 ? writes[0]! : Promise.all(writes).then(() => undefined);
  }

  /** Seal hook: the seq ranges changed in this group, in this group. */
  writeRanges(ops: LevelBatchOp[]): void {
    for (const [segment, queueId, range] of this.dirty) {
      range.isDirty = false;
      // Dropped, or the queue forgotten (deleted) since: writing it would bring back a record just deleted.
      if (segment.isRetired || segment.ranges.get(queueId) !== range) continue;
      ops.push({ type: 'put', key: segmentKey(segment.id, queueId), value: encodeRange(range) });
    }
    this.dirty = [];
  }

  /**
   * Replaces the pointers among message-key `values` (read from LevelDB) by the records they name, in place; a value
   * `mayBePointer` rules out (a record stored before checksums, which may start like a pointer) is left as it is. Returns
   * why those that could not be read were not (by index: a damaged or missing segment), or undefined, without a
   * promise, when there was no pointer among them.
   */
  resolve(values: Array<Buffer | undefined>, mayBePointer?: (index: number) => boolean): Promise<Map<number, string>> | undefined {
    let wanted: Array<{ index: number; pointer: BodyPointer }> | undefined;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === undefined || !isBodyPointer(value) || mayBePointer?.(i) === false) continue;
      (wanted ??= []).push({ index: i, pointer: decodeBodyPointer(value) });
    }
    if (wanted === undefined) return undefined;
    // Records of one queue read in order lie close together (other queues' records in between): one read per run
    // of nearby records instead of one per record, each record then copied out of the run's buffer (so no record
    // keeps a whole run in memory).
    wanted.sort((a, b) => a.pointer.segment - b.pointer.segment || a.pointer.offset - b.pointer.offset);
    const damaged = new Map<number, string>();
    const reads: Array<Promise<void>> = [];
    for (let first = 0; first < wanted.length;) {
      const { segment, offset } = wanted[first]!.pointer;
      let end = offset + wanted[first]!.pointer.length;
      let last = first;
      while (last + 1 < wanted.length) {
        const next = wanted[last + 1]!.pointer;
        const nextEnd = next.offset + next.length;
        if (next.segment !== segment || next.offset - end > MAX_READ_GAP || nextEnd - offset > MAX_READ_SPAN) break;
        end = Math.max(end, nextEnd);
        last++;
      }
      reads.push(this.readRun(wanted.slice(first, last + 1), offset, end - offset, values, damaged));
      first = last + 1;
    }
    return Promise.all(reads).then(() => damaged);
  }

  private async readRun(
    run: Array<{ index: number; pointer: BodyPointer }>,
    offset: number,
    span: number,
    values: Array<Buffer | undefined>,
    damaged: Map<number, string>,
  ): Promise<void> {
    const { segment: id } = run[0]!.pointer;
    // A buffer of the log's pool (records are copied out of it), waited for when all are in use (read-buffer-pool.ts).
    const pooled = span <= MAX_READ_SPAN ? await this.readBuffers.take() : undefined;
    const segment = this.segments.get(id);
    let failure: string | undefined;
    let read = 0;
    // No more than the segment holds: a damaged pointer's length must not become a giant allocation.
    const length = Math.max(0, Math.min(span, (segment?.size ?? 0) - offset));
    const scratch = pooled ?? Buffer.allocUnsafeSlow(length);
    try {
      if (segment === undefined || segment.isMissing) {
        failure = `body segment ${id} is missing`;
      } else {
        // This read opens the file: make room for it first.
        if (!segment.isOpen) this.closeLeastRecentlyUsed(this.readHandles - 1);
        try {
          read = await segment.read(offset, length, scratch);
        } catch (error) {
          // A file that is gone is damage; anything else (EMFILE, EIO) may pass: the caller's read fails, is retried.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          failure = `body segment ${id} is missing`;
        }
      }
      for (const { index, pointer } of run) {
        if (failure !== undefined) {
          values[index] = undefined;
          damaged.set(index, failure);
          continue;
        }
        const at = pointer.offset - offset;
        const record = Buffer.allocUnsafe(Math.max(0, Math.min(read, at + pointer.length) - at));
        scratch.copy(record, 0, at, at + record.length);
        const mismatch = pointerMismatch(pointer, record);
        if (mismatch === undefined) {
          values[index] = record;
        } else {
          values[index] = undefined;
          damaged.set(index, mismatch);
        }
      }
    } finally {
      if (pooled !== undefined) this.readBuffers.give(pooled);
    }
  }

  /**
   * Drops the sealed segments no queue has a live seq in: their `s!` records go into `ops` (a batch written after
   * every removal that made them dead), and each file is unlinked once `written` resolves. `hasLive` answers whether
   * the queue still stores a seq in [lo, hi].
   */
  collect(hasLive: (queueId: string, lo: number, hi: number) => boolean, ops: LevelBatchOp[], written: Promise<void>): number {
    let dropped = 0;
    // Active segments too, once both dead and idle: rolling them lets a drained backlog give back its disk.
    const candidates = [...this.segments.values()];
    for (const segment of candidates) {
      if (segment.pending.length > 0 || this.unsynced.includes(segment)) continue;
      let live = false;
      for (const [queueId, range] of segment.ranges) {
        if (hasLive(queueId, range.lo, range.hi)) {
          live = true;
          break;
        }
      }
      if (live) continue;
      const lane = this.lanes.indexOf(segment);
      if (lane >= 0) {
        if (segment.size < this.segmentBytes / 16) continue;
        this.lanes[lane] = undefined;
      }
      for (const queueId of segment.ranges.keys()) ops.push({ type: 'del', key: segmentKey(segment.id, queueId) });
      segment.isRetired = true;
      this.segments.delete(segment.id);
      dropped++;
      void written.then(
        () => segment.retire(),
        () => undefined, // not committed: the next open finds the file without records and removes it
      );
    }
    return dropped;
  }

  /** A deleted queue's ranges: out of every segment, their records deleted in `ops` (the delete's own batch). */
  forgetQueue(queueId: string, ops: LevelBatchOp[]): void {
    const lane = this.laneOf.get(queueId);
    if (lane !== undefined) {
      this.laneOf.delete(queueId);
      this.laneQueues[lane]!--;
    }
    for (const segment of this.segments.values()) {
      if (segment.ranges.delete(queueId)) ops.push({ type: 'del', key: segmentKey(segment.id, queueId) });
    }
  }

  /**
   * Loads the segment records and matches them with the files (open, reopen): files no record names are removed,
   * records without a file are reported. Appends go to a new segment afterwards.
   */
  async load(db: WarrenLevel): Promise<BodyLogLoad> {
    await this.closeHandles();
    await mkdir(this.dir, { recursive: true });
    const ranges = new Map<number, Map<string, QueueRange>>();
    const errors: string[] = [];
    for await (const [key, value] of db.iterator({ gte: SEGMENTS_PREFIX, lt: rangeEnd(SEGMENTS_PREFIX) })) {
      const parsed = parseSegmentKey(key);
      const range = decodeRange(value);
      if (parsed === undefined || range === undefined) {
        errors.push(`unrecognised key ${JSON.stringify(key)}`);
        continue;
      }
      let queues = ranges.get(parsed.segment);
      if (queues === undefined) ranges.set(parsed.segment, (queues = new Map()));
      queues.set(parsed.queueId, range);
    }
    const files = new Map<number, string>();
    let maxId = 0;
    for (const name of await readdir(this.dir)) {
      const match = BODY_SEGMENT_FILE.exec(name);
      if (match === null) continue;
      const id = Number(match[1]);
      files.set(id, name);
      maxId = Math.max(maxId, id);
    }
    const segments = new Map<number, BodySegment>();
    let orphansRemoved = 0;
    for (const [id, name] of [...files].sort((a, b) => a[0] - b[0])) {
      const queues = ranges.get(id);
      if (queues === undefined) {
        await unlink(join(this.dir, name)).catch(() => undefined);
        orphansRemoved++;
        continue;
      }
      const segment = new BodySegment(this.dir, id, false, (await stat(join(this.dir, name))).size);
      for (const [queueId, range] of queues) segment.ranges.set(queueId, range);
      segments.set(id, segment);
    }
    for (const [id, queues] of ranges) {
      maxId = Math.max(maxId, id);
      if (files.has(id)) continue;
      // Kept as a placeholder: reported while a queue still has a seq in it, dropped (records and all) once none does.
      const missing = new BodySegment(this.dir, id, false);
      missing.isMissing = true;
      for (const [queueId, range] of queues) missing.ranges.set(queueId, range);
      segments.set(id, missing);
    }
    this.segments = new Map([...segments].sort((a, b) => a[0] - b[0]));
    this.forgetLanes();
    this.unsynced = [];
    this.created = [];
    this.dirty = [];
    this.nextId = Math.max(this.nextId, maxId + 1);
    return { errors, orphansRemoved };
  }

  /** Closes every file handle (the store is closing); reserved records not written are abandoned. */
  async close(): Promise<void> {
    await this.closeHandles();
    this.forgetLanes();
    this.unsynced = [];
  }

  private async closeHandles(): Promise<void> {
    await Promise.all([...this.segments.values()].map((segment) => segment.close()));
  }

  /** Gives `queueId` the lane with the fewest queues (the first such). */
  private assignLane(queueId: string): number {
    let lane = 0;
    for (let i = 1; i < this.laneQueues.length; i++) if (this.laneQueues[i]! < this.laneQueues[lane]!) lane = i;
    this.laneOf.set(queueId, lane);
    this.laneQueues[lane]!++;
    return lane;
  }

  private forgetLanes(): void {
    this.lanes.fill(undefined);
    this.laneQueues.fill(0);
    this.laneOf = new Map();
  }

  private roll(lane: number): BodySegment {
    const segment = new BodySegment(this.dir, this.nextId++, true);
    this.segments.set(segment.id, segment);
    this.lanes[lane] = segment;
    this.created.push(segment);
    return segment;
  }

  /** Closes the least recently used idle handles until at most `keep` are open (counted, not tracked: rare). */
  private closeLeastRecentlyUsed(keep: number): void {
    let open = 0;
    for (const segment of this.segments.values()) if (segment.isOpen) open++;
    for (; open > keep; open--) {
      let oldest: BodySegment | undefined;
      for (const segment of this.segments.values()) {
        if (this.lanes.includes(segment) || !segment.isOpen || segment.users > 0 || segment.pending.length > 0) continue;
        if (oldest === undefined || segment.lastUse < oldest.lastUse) oldest = segment;
      }
      if (oldest === undefined || !oldest.closeIdle()) return;
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
