import { SampleRing } from './sample-ring.js';

describe('SampleRing', () => {
  it('allocates nothing until the first sample and reads newest first', () => {
    const ring = new SampleRing(2, 3);
    expect(ring.length).toBe(0);
    ring.push(1000, [1, 10]);
    ring.push(2000, [2, 20]);
    expect(ring.length).toBe(2);
    expect([ring.timestamp(0), ring.value(0, 0), ring.value(0, 1)]).toEqual([2000, 2, 20]);
    expect([ring.timestamp(1), ring.value(1, 1)]).toEqual([1000, 10]);
  });

  it('overwrites the oldest sample when full', () => {
    const ring = new SampleRing(1, 3);
    for (let i = 1; i <= 5; i++) ring.push(i * 1000, [i]);
    expect(ring.length).toBe(3);
    expect([0, 1, 2].map((back) => ring.value(back, 0))).toEqual([5, 4, 3]);
    expect(() => ring.value(3, 0)).toThrow(RangeError);
  });

  it('finds the newest sample at or before an instant', () => {
    const ring = new SampleRing(1, 4);
    for (const t of [1000, 2000, 3000]) ring.push(t, [t / 1000]);
    expect(ring.indexAtOrBefore(3500)).toBe(0);
    expect(ring.indexAtOrBefore(2999)).toBe(1);
    expect(ring.indexAtOrBefore(1000)).toBe(2);
    expect(ring.indexAtOrBefore(999)).toBe(-1);
  });

  it('refuses shapes it cannot hold', () => {
    expect(() => new SampleRing(0, 3)).toThrow(RangeError);
    expect(() => new SampleRing(1, 1)).toThrow(RangeError);
  });
});
