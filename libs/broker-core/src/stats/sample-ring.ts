/**
 * A short history of one object's statistics: the last `capacity` samples, each a timestamp and `fields` numbers
 * (cumulative counters and current lengths). Storage is two typed arrays allocated on the first sample, so an
 * object that never had traffic costs nothing, and a full ring overwrites its oldest sample without allocating.
 */
export class SampleRing {
  private times?: Float64Array;
  private values?: Float64Array;
  /** Slot the next sample goes to. */
  private next = 0;
  private count = 0;

  constructor(
    readonly fields: number,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(fields) || fields < 1) throw new RangeError(`a sample needs at least one field, not ${fields}`);
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`a history keeps at least 2 samples, not ${capacity}`);
  }

  /** Samples held (at most `capacity`). */
  get length(): number {
    return this.count;
  }

  /** Records a sample taken at `timestamp` (ms): `sample[i]` for field `i`. */
  push(timestamp: number, sample: ArrayLike<number>): void {
    const times = (this.times ??= new Float64Array(this.capacity));
    const values = (this.values ??= new Float64Array(this.capacity * this.fields));
    const slot = this.next;
    times[slot] = timestamp;
    const base = slot * this.fields;
    for (let field = 0; field < this.fields; field++) values[base + field] = sample[field];
    this.next = (slot + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The timestamp of the sample `back` steps before the newest (0 = newest). */
  timestamp(back: number): number {
    return this.times![this.slotOf(back)];
  }

  /** Field `field` of the sample `back` steps before the newest (0 = newest). */
  value(back: number, field: number): number {
    return this.values![this.slotOf(back) * this.fields + field];
  }

  /** How many steps back the newest sample taken at or before `timestamp` is; -1 when every sample is newer. */
  indexAtOrBefore(timestamp: number): number {
    for (let back = 0; back < this.count; back++) if (this.timestamp(back) <= timestamp) return back;
    return -1;
  }

  private slotOf(back: number): number {
    if (back < 0 || back >= this.count) throw new RangeError(`no sample ${back} back (the ring holds ${this.count})`);
    return (this.next - 1 - back + 2 * this.capacity) % this.capacity;
  }
}
