import { SampleRing } from './sample-ring.js';
import { statDetails } from './stats-details.js';

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

describe('statDetails', () => {
  it('is a zero rate with fewer than two samples', () => {
    expect(statDetails(undefined, 0, undefined, 0)).toEqual({ rate: 0 });
    const ring = new SampleRing(1, 4);
    ring.push(1000, [5]);
    expect(statDetails(ring, 0, undefined, 1000)).toEqual({ rate: 0 });
  });

  it('computes the rate per second from the two newest samples', () => {
    const ring = new SampleRing(1, 4);
    ring.push(0, [0]);
    ring.push(5000, [100]);
    ring.push(10_000, [150]);
    expect(statDetails(ring, 0, undefined, 10_000).rate).toBe(10);
  });

  it('lists incr-aligned samples newest first with their average and average rate', () => {
    const ring = new SampleRing(1, 10);
    for (let t = 0; t <= 20_000; t += 5000) ring.push(t, [t / 100]); // 0, 50, 100, 150, 200
    const details = statDetails(ring, 0, { ageMs: 10_000, incrMs: 5000 }, 21_000);
    expect(details.samples).toEqual([
      { sample: 200, timestamp: 20_000 },
      { sample: 150, timestamp: 15_000 },
    ]);
    expect(details.avg).toBe(175);
    expect(details.avg_rate).toBe(10);
  });

  it('leaves out instants before the first sample and answers empty samples for no history', () => {
    const ring = new SampleRing(1, 10);
    ring.push(9000, [7]);
    expect(statDetails(ring, 0, { ageMs: 60_000, incrMs: 5000 }, 12_000).samples).toEqual([{ sample: 7, timestamp: 10_000 }]);
    expect(statDetails(undefined, 0, { ageMs: 60_000, incrMs: 5000 }, 12_000)).toEqual({ rate: 0, samples: [], avg: 0, avg_rate: 0 });
  });
});
