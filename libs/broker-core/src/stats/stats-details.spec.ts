import { SampleRing } from './sample-ring.js';
import { statDetails } from './stats-details.js';

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
