import { SampleRing } from '@app/broker-core';
import { sumHistories } from './summed-history.js';

function ringOf(samples: Array<[number, number, number]>, capacity = 5): SampleRing {
  const ring = new SampleRing(2, capacity);
  for (const [timestamp, a, b] of samples) ring.push(timestamp, [a, b]);
  return ring;
}

describe('sumHistories', () => {
  it('adds the parts field by field on the timeline, counting a missing sample as 0', () => {
    const timeline = ringOf([
      [1000, 0, 0],
      [2000, 0, 0],
      [3000, 0, 0],
    ]);
    const full = ringOf([
      [1000, 1, 10],
      [2000, 2, 20],
      [3000, 3, 30],
    ]);
    // Created after the first sample.
    const late = ringOf([
      [2000, 5, 50],
      [3000, 7, 70],
    ]);
    const summed = sumHistories(timeline, [full, late, undefined]);
    expect(summed.length).toBe(3);
    expect([0, 1, 2].map((back) => [summed.timestamp(back), summed.value(back, 0), summed.value(back, 1)])).toEqual([
      [3000, 10, 100],
      [2000, 7, 70],
      [1000, 1, 10],
    ]);
  });

  it('is an empty history of the same shape when nothing was sampled yet', () => {
    const summed = sumHistories(new SampleRing(2, 5), [ringOf([[1000, 1, 1]])]);
    expect(summed.length).toBe(0);
    expect(summed.fields).toBe(2);
  });

  it('keeps only the timeline’s samples when a part holds others', () => {
    const timeline = ringOf([[2000, 0, 0]]);
    const part = ringOf([
      [1500, 4, 4],
      [2500, 9, 9],
    ]);
    const summed = sumHistories(timeline, [part]);
    expect(summed.value(0, 0)).toBe(0);
  });
});
