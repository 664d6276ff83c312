import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes in front of every spilled record: its seq (uint32 high, uint32 low, big-endian) and its length (uint32). */
export const SPILL_RECORD_HEADER_BYTES = 12;

/** File names of spill segments: what `wipe()` removes (and nothing else it might find in the directory). */
export const SPILL_SEGMENT_FILE = /^\d{8}\.spill$/;

const ignore = (): void => undefined;

/**
 * One append-only file of the transient spill (file-spill.ts): records are appended at offsets reserved when a
 * batch is written (positional writes, so batches in flight never wait for each other) and read back with
 * positional reads, through the page cache rather than the process's memory.
 *
 * @remarks
 * The segment knows how many of its records are still live, not which: the spill's run index does. Once none is
 * live and nothing reads or writes it, the file is closed and unlinked, so a drained backlog gives its disk back.
 */
export class SpillSegment {
  readonly path: string;
  /** Bytes reserved so far: the next batch's offset. */
  size = 0;
  /** Records written (or being written) and not dropped. */
  live = 0;
  /** Writes and reads in flight: the file is not closed under them. */
  users = 0;
  isRetired = false;
  /** Settles when the file is closed and unlinked (after `retire()`). */
  removed: Promise<void> | undefined;
  private readonly handle: Promise<FileHandle>;

  /** Creates (truncating) the segment file `id` in `dir`. The open is asynchronous; its failure fails the writes. */
  constructor(
    dir: string,
    readonly id: number,
  ) {
    this.path = join(dir, `${String(id).padStart(8, '0')}.spill`);
    this.handle = open(this.path, 'w+');
    // A failed open is reported by the writes that use it; this only keeps it from being an unhandled rejection.
    this.handle.catch(ignore);
  }

  /** Writes `buffers` at `offset` in one call; rejects on a failure or a short write. */
  async write(buffers: Buffer[], offset: number, bytes: number): Promise<void> {
    const handle = await this.handle;
    const { bytesWritten } = await handle.writev(buffers, offset);
    if (bytesWritten !== bytes) throw new Error(`short write to ${this.path}: ${bytesWritten} of ${bytes} bytes`);
  }

  /** Reads `length` bytes at `offset` in one call; the result is shorter when the file is (a damaged segment). */
  async read(offset: number, length: number): Promise<Buffer> {
    const handle = await this.handle;
    const buffer = Buffer.allocUnsafeSlow(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
  }

  /** Closes and unlinks the file (once); failures are ignored: the next open wipes the directory anyway. */
  retire(): Promise<void> {
    if (this.removed) return this.removed;
    this.isRetired = true;
    this.removed = this.handle
      .then((handle) => handle.close())
      .catch(ignore)
      .then(() => unlink(this.path))
      .catch(ignore);
    return this.removed;
  }
}
