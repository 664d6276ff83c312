import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  const noJitter = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0 };

  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1000],
    [50, 1000],
  ])('attempt %i waits %i ms without jitter', (attempt, expected) => {
    expect(backoffDelayMs(attempt, noJitter)).toBe(expected);
  });

  it('spreads by the jitter fraction and never exceeds the cap', () => {
    const options = { ...noJitter, jitter: 0.5 };
    expect(backoffDelayMs(2, options, () => 0)).toBe(100);
    expect(backoffDelayMs(2, options, () => 1)).toBe(300);
    expect(backoffDelayMs(10, options, () => 1)).toBe(1000);
  });

  it('has sane defaults', () => {
    expect(backoffDelayMs(1, {}, () => 0.5)).toBe(100);
    expect(backoffDelayMs(100, {}, () => 0.5)).toBe(5000);
  });
});
