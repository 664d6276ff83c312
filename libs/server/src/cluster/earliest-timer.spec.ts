import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { EarliestTimer } from './earliest-timer.js';

describe('EarliestTimer', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('keeps the earliest deadline armed and fires once', () => {
    const fired: number[] = [];
    const timer = new EarliestTimer(() => fired.push(Date.now()));
    const start = Date.now();
    timer.arm(500);
    timer.arm(900); // later: ignored
    timer.arm(200); // earlier: replaces
    jest.advanceTimersByTime(1_000);
    expect(fired).toEqual([start + 200]);
  });

  it('never waits less than 10 ms nor more than an hour, and stays stopped', () => {
    let fired = 0;
    const timer = new EarliestTimer(() => fired++);
    timer.arm(-5_000);
    jest.advanceTimersByTime(9);
    expect(fired).toBe(0);
    jest.advanceTimersByTime(1);
    expect(fired).toBe(1);
    timer.arm(30 * 86_400_000);
    jest.advanceTimersByTime(3_600_000);
    expect(fired).toBe(2);
    timer.arm(100);
    timer.stop();
    timer.arm(100);
    jest.advanceTimersByTime(1_000);
    expect(fired).toBe(2);
  });
});
