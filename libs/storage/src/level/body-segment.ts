import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** File names of body segments: `<id, at least 8 digits>.body`. */
export const BODY_SEGMENT_FILE = /^(\d{8,})\.body$/;

const ignore = (): void => undefined;

/** The seqs one queue stored in one segment: appended in seq order, so a range. */
export interface QueueRange {
  lo: number;
  hi: number;
  /** Changed since the commit group that last saved it (body-log.ts writes it into the next one). */
  isDirty: boolean;
}

/**
 * One append-only file of the persistent body log (body-log.ts): message records are appended at offsets reserved
 * when they are accepted, written and fdatasync'd before the LevelDB batch that points at them, and read back with
 * positional reads (through the page cache, not the process's memory).
 *
 * @remarks
 * Which of its records are live is not kept here: each queue's stored seqs (LevelQueueState.live) say it, through the
 * range of seqs every queue appended to this segment. Once no queue has a live seq in its range, the segment is
 * dropped whole.
 */
export class BodySegment {
  readonly path: string;
  /** Bytes reserved so far: the next record's offset. */
  size: number;
  /** Records reserved and not yet written, from `pendingOffset` on. */
  pending: Buffer[] = [];
  pendingOffset: number;
  pendingBytes = 0;
  /** Per queue, the seqs it appended here. */
  readonly ranges = new Map<string, QueueRange>();
  /** Reads and writes in flight: the file is not closed under them. */
  users = 0;
  /** Named by committed records but not on disk (reported; dropped like any other once no queue needs it). */
  isMissing = false;
  /** Dropped by the log: takes no appends and no range records any more. */
  isRetired = false;
  /** Its drop is committed: the file goes once no read or write uses it. */
  private isRemovable = false;
  /** Last time a read used the handle (the log closes the least recently used ones). */
  lastUse = 0;
  private handle: Promise<FileHandle> | undefined;
  private removed: Promise<void> | undefined;

  /**
   * @param isNew create (truncating) the file now, for appends; otherwise the file exists and is opened for reads
   *   when first needed.
   */
  constructor(
    dir: string,
    readonly id: number,
    isNew: boolean,
    size = 0,
  ) {
    this.path = join(dir, bodySegmentFileName(id));
    this.size = size;
    this.pendingOffset = size;
    if (isNew) {
      this.handle = open(this.path, 'w+');
      // A failed open is reported by the write that uses it; this only keeps it from being an unhandled rejection.
      this.handle.catch(ignore);
    }
  }

  /** Settles once the file of a new segment is created (its directory entry exists): then the directory is synced. */
  async created(): Promise<void> {
    await this.handle?.catch(ignore);
  }

  /** Whether a file handle is open (or opening). */
  get isOpen(): boolean {
    return this.handle !== undefined;
  }

  /** Reserves `record` at the end of the segment; returns its offset. */
  reserve(record: Buffer): number {
    const offset = this.size;
    this.pending.push(record);
    this.pendingBytes += record.length;
    this.size += record.length;
    return offset;
  }

  /** Writes what is reserved so far in one call and fdatasyncs it; rejects on a failure or a short write. */
  async writePending(): Promise<void> {
    if (this.pending.length === 0) return;
    const buffers = this.pending;
    const offset = this.pendingOffset;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingOffset += bytes;
    this.pendingBytes = 0;
    this.users++;
    try {
      const handle = await this.fileHandle();
      // writev takes at most IOV_MAX (1024) buffers per call on Linux; Node splits nothing, so do it here.
      let at = offset;
      for (let i = 0; i < buffers.length; i += 1024) {
        const slice = buffers.length <= 1024 ? buffers : buffers.slice(i, i + 1024);
        let sliceBytes = 0;
        for (const buffer of slice) sliceBytes += buffer.length;
        const { bytesWritten } = await handle.writev(slice, at);
        if (bytesWritten !== sliceBytes) throw new Error(`short write to ${this.path}: ${bytesWritten} of ${sliceBytes} bytes`);
        at += sliceBytes;
      }
      await handle.datasync();
    } finally {
      this.users--;
      // Dropped while this write was in flight (its records were removed before they were even written).
      if (this.isRemovable && this.users === 0) void this.remove();
    }
  }

  /**
   * Reads `length` bytes at `offset` into the start of `into` (at least that long); returns the bytes read, fewer
   * when the file is shorter (a damaged segment).
   */
  async read(offset: number, length: number, into: Buffer): Promise<number> {
    this.users++;
    try {
      const handle = await this.fileHandle();
      const { bytesRead } = await handle.read(into, 0, length, offset);
      return bytesRead;
    } finally {
      this.users--;
      if (this.isRemovable && this.users === 0) void this.remove();
    }
  }

  /** Closes the handle if no read uses it (the log keeps a bounded number open); it reopens on the next read. */
  closeIdle(): boolean {
    if (this.users > 0 || this.pending.length > 0 || this.handle === undefined) return false;
    const handle = this.handle;
    this.handle = undefined;
    handle.then((h) => h.close()).catch(ignore);
    return true;
  }

  /** Closes and unlinks the file once no read or write uses it; failures are ignored (the next open removes orphans). */
  retire(): Promise<void> {
    this.isRetired = true;
    this.isRemovable = true;
    return this.users === 0 ? this.remove() : Promise.resolve();
  }

  /** Closes the handle (the store is closing); the file stays. */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) await handle.then((h) => h.close()).catch(ignore);
  }

  private fileHandle(): Promise<FileHandle> {
    this.lastUse = performance.now();
    return (this.handle ??= open(this.path, 'r'));
  }

  private remove(): Promise<void> {
    this.removed ??= this.close().then(() => unlink(this.path).catch(ignore));
    return this.removed;
  }
}

/** The file name of segment `id`. */
export function bodySegmentFileName(id: number): string {
  return `${String(id).padStart(8, '0')}.body`;
}
