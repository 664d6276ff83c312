import { statfs } from 'node:fs/promises';
import { totalmem } from 'node:os';

/** The resource alarms in force (RabbitMQ's memory and disk alarms). */
export interface AlarmState {
  memory: boolean;
  disk: boolean;
}

/** Free bytes available to the broker on the file system holding `dir`. */
export type FreeSpaceReader = (dir: string) => Promise<number>;

const readFreeBytes: FreeSpaceReader = async (dir) => {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
};

/**
 * Watches memory (RSS against the high watermark) and free disk space under the data directory, and reports
 * changes. Publishers are blocked while any alarm is set; consumers keep going, which is what drains the memory.
 * Besides the periodic check, disk is re-checked as soon as the store has written a quarter of the free-space
 * limit since the last check ({@link noteWritten}), so a burst of large messages cannot fill the disk between
 * two ticks.
 */
/** Share of the memory limit above which queues page every new body (their windows shrink to nothing). */
export const MEMORY_PRESSURE_FRACTION = 0.8;

export class ResourceAlarms {
  private readonly state: AlarmState = { memory: false, disk: false };
  private timer?: NodeJS.Timeout;
  private memoryLimitBytes: number;
  /** Whether the last check failed: a failure is reported once, not on every tick until it clears. */
  private isFailing = false;
  /** Bytes handed to the store since the last check began. */
  private writtenSinceCheck = 0;
  private isChecking = false;
  private isUnderPressure = false;
  /**
   * Hears memory pressure come and go: RSS above {@link MEMORY_PRESSURE_FRACTION} of the memory limit, before the
   * alarm. The broker makes queues page new bodies at once then, so the alarm stays the last resort.
   */
  onPressure?: (isUnderPressure: boolean) => void;

  /** @param onError hears a check that failed (say EMFILE while reading memory use); the alarms stay as they were. */
  constructor(
    memoryHighWatermark: number,
    private readonly diskFreeLimitBytes: number,
    private readonly dataDir: string | undefined,
    private readonly onChange: (state: AlarmState) => void,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly freeBytes: FreeSpaceReader = readFreeBytes,
  ) {
    this.memoryLimitBytes = ResourceAlarms.toBytes(memoryHighWatermark);
  }

  /** A watermark of at most 1 is a fraction of RAM; above 1 it is bytes. */
  static toBytes(watermark: number): number {
    return watermark <= 1 ? Math.floor(totalmem() * watermark) : watermark;
  }

  /** The alarms now. */
  get current(): Readonly<AlarmState> {
    return this.state;
  }

  /** The memory limit in bytes. */
  get memoryLimit(): number {
    return this.memoryLimitBytes;
  }

  /** Changes the memory watermark at run time (fraction or bytes) and re-checks at once. */
  setMemoryHighWatermark(watermark: number): Promise<void> {
    this.memoryLimitBytes = ResourceAlarms.toBytes(watermark);
    return this.check();
  }

  /** Starts periodic checks. */
  start(intervalMs: number): void {
    // A rejection escaping a timer would be an unhandled rejection, which ends the process.
    this.timer = setInterval(() => void this.check().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  /** Stops checking. */
  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Counts bytes handed to the store; past a quarter of the disk limit since the last check, checks at once.
   * Called per storage batch: one addition and one comparison.
   */
  noteWritten(bytes: number): void {
    this.writtenSinceCheck += bytes;
    if (this.dataDir === undefined || this.isChecking || this.writtenSinceCheck < this.diskFreeLimitBytes / 4) return;
    void this.check().catch(() => undefined);
  }

  /** Checks both resources now; a check that cannot read memory use reports it and changes nothing. */
  async check(): Promise<void> {
    this.isChecking = true;
    this.writtenSinceCheck = 0;
    try {
      await this.checkNow();
    } finally {
      this.isChecking = false;
    }
  }

  private async checkNow(): Promise<void> {
    let memory: boolean;
    try {
      // Reads /proc/self/stat on Linux, so it throws EMFILE when the process is out of file descriptors.
      const rss = process.memoryUsage.rss();
      memory = rss > this.memoryLimitBytes;
      const pressure = rss > this.memoryLimitBytes * MEMORY_PRESSURE_FRACTION;
      if (pressure !== this.isUnderPressure) {
        this.isUnderPressure = pressure;
        this.onPressure?.(pressure);
      }
    } catch (error) {
      if (!this.isFailing) this.onError(error);
      this.isFailing = true;
      return;
    }
    this.isFailing = false;
    let disk = false;
    if (this.dataDir) {
      try {
        disk = (await this.freeBytes(this.dataDir)) < this.diskFreeLimitBytes;
      } catch {
        // The directory may not exist yet or the platform cannot tell: no disk alarm rather than a false one.
      }
    }
    if (memory === this.state.memory && disk === this.state.disk) return;
    this.state.memory = memory;
    this.state.disk = disk;
    this.onChange({ ...this.state });
  }
}
