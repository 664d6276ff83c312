import { ResourceAlarms, type AlarmState } from './resource-alarms.js';

const MiB = 1024 * 1024;

/** A disk whose free space the test sets, counting how often it is asked. */
class FakeDisk {
  free = 1000 * MiB;
  reads = 0;
  readonly reader = async (): Promise<number> => {
    this.reads++;
    return this.free;
  };
}

function alarmsOn(disk: FakeDisk, limitBytes: number, changes: AlarmState[]): ResourceAlarms {
  // A memory watermark no process reaches: only the disk alarm is under test.
  return new ResourceAlarms(2 ** 52, limitBytes, '/data', (state) => changes.push(state), undefined, disk.reader);
}

describe('ResourceAlarms: disk', () => {
  it('raises and clears the disk alarm against the free-space limit', async () => {
    const disk = new FakeDisk();
    const changes: AlarmState[] = [];
    const alarms = alarmsOn(disk, 100 * MiB, changes);
    await alarms.check();
    expect(changes).toEqual([]);
    disk.free = 99 * MiB;
    await alarms.check();
    expect(changes).toEqual([{ memory: false, disk: true }]);
    disk.free = 101 * MiB;
    await alarms.check();
    expect(changes).toEqual([
      { memory: false, disk: true },
      { memory: false, disk: false },
    ]);
  });

  it('re-checks at once after writes of a quarter of the limit, not before', async () => {
    const disk = new FakeDisk();
    const changes: AlarmState[] = [];
    const alarms = alarmsOn(disk, 100 * MiB, changes);
    await alarms.check();
    disk.free = 50 * MiB;
    alarms.noteWritten(20 * MiB);
    alarms.noteWritten(4 * MiB);
    expect(disk.reads).toBe(1);
    alarms.noteWritten(2 * MiB);
    expect(disk.reads).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(changes).toEqual([{ memory: false, disk: true }]);
    // The count starts again after each check.
    alarms.noteWritten(24 * MiB);
    expect(disk.reads).toBe(2);
  });

  it('never reads the disk for writes of a broker without a data directory', () => {
    const disk = new FakeDisk();
    const alarms = new ResourceAlarms(2 ** 52, 1, undefined, () => undefined, undefined, disk.reader);
    alarms.noteWritten(1 << 30);
    expect(disk.reads).toBe(0);
  });
});
