import { jest } from '@jest/globals';
import { LoginThrottle } from './login-throttle.js';

// The throttle reads no clock itself; the connection passes performance.now(). Fake timers drive that clock here,
// as they drive the connection's refusal timers.
describe('LoginThrottle', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());
  const now = (): number => performance.now();

  it('doubles the delay with each recent failure from an address, up to the cap', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 1000 });
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const delayMs = throttle.recordFailure('192.0.2.1', now());
      delays.push(delayMs);
      jest.advanceTimersByTime(delayMs); // the client waits for the answer before trying again
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('throttles an address until its delay has passed, and no other address', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 1000 });
    expect(throttle.isThrottled('192.0.2.1', now())).toBe(false);
    throttle.recordFailure('192.0.2.1', now());
    expect(throttle.isThrottled('192.0.2.1', now())).toBe(true);
    expect(throttle.isThrottled('192.0.2.2', now())).toBe(false);
    jest.advanceTimersByTime(99);
    expect(throttle.isThrottled('192.0.2.1', now())).toBe(true);
    jest.advanceTimersByTime(1);
    expect(throttle.isThrottled('192.0.2.1', now())).toBe(false);
  });

  it('extends, never shortens, the throttle when attempts pile up during a delay', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 1000 });
    throttle.recordFailure('192.0.2.1', now()); // blocked until 100
    throttle.recordFailure('192.0.2.1', now()); // refused while throttled: blocked until 200
    jest.advanceTimersByTime(150);
    expect(throttle.isThrottled('192.0.2.1', now())).toBe(true);
    jest.advanceTimersByTime(50);
    expect(throttle.isThrottled('192.0.2.1', now())).toBe(false);
  });

  it('forgives one failure per decay interval without failures', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 1000, decayMs: 5000 });
    for (let i = 0; i < 4; i++) throttle.recordFailure('192.0.2.1', now());
    expect(throttle.recentFailures('192.0.2.1', now())).toBe(4);
    jest.advanceTimersByTime(4999);
    expect(throttle.recentFailures('192.0.2.1', now())).toBe(4);
    jest.advanceTimersByTime(1);
    expect(throttle.recentFailures('192.0.2.1', now())).toBe(3);
    jest.advanceTimersByTime(10_000);
    expect(throttle.recentFailures('192.0.2.1', now())).toBe(1);
    // The next failure counts from what is left: the 2nd, so twice the base.
    expect(throttle.recordFailure('192.0.2.1', now())).toBe(200);
    jest.advanceTimersByTime(60_000);
    expect(throttle.recentFailures('192.0.2.1', now())).toBe(0);
    expect(throttle.recordFailure('192.0.2.1', now())).toBe(100);
  });

  it('decays by default over four times the cap', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 1000 });
    throttle.recordFailure('192.0.2.1', now());
    throttle.recordFailure('192.0.2.1', now());
    jest.advanceTimersByTime(4000);
    expect(throttle.recentFailures('192.0.2.1', now())).toBe(1);
  });

  it('remembers at most maxAddresses, forgetting the one whose last failure is oldest', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 1000, maxAddresses: 3 });
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) throttle.recordFailure(address, now());
    // 10.0.0.1 fails again: now 10.0.0.2 is the stalest.
    throttle.recordFailure('10.0.0.1', now());
    for (let i = 4; i <= 1000; i++) {
      throttle.recordFailure(`10.0.${i >> 8}.${i & 255}`, now());
      expect(throttle.size).toBeLessThanOrEqual(3);
    }
    expect(throttle.size).toBe(3);
    expect(throttle.recentFailures('10.0.0.2', now())).toBe(0);

    const small = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 1000, maxAddresses: 2 });
    small.recordFailure('a', now());
    small.recordFailure('b', now());
    small.recordFailure('a', now());
    small.recordFailure('c', now());
    expect(small.recentFailures('a', now())).toBe(2);
    expect(small.recentFailures('b', now())).toBe(0);
    expect(small.recentFailures('c', now())).toBe(1);
  });

  it('tells the current delay of an address without adding a failure', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 1000 });
    expect(throttle.currentDelay('192.0.2.1', now())).toBe(100);
    throttle.recordFailure('192.0.2.1', now());
    throttle.recordFailure('192.0.2.1', now());
    expect(throttle.currentDelay('192.0.2.1', now())).toBe(200);
    expect(throttle.currentDelay('192.0.2.1', now())).toBe(200);
    expect(throttle.recentFailures('192.0.2.1', now())).toBe(2);
  });

  it('is off with a zero base delay', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 0, maxDelayMs: 1000 });
    expect(throttle.recordFailure('192.0.2.1', now())).toBe(0);
    expect(throttle.isThrottled('192.0.2.1', now())).toBe(false);
    expect(throttle.size).toBe(0);
  });

  it('keeps huge failure counts finite and capped', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 3000 });
    expect(throttle.delayFor(10_000)).toBe(3000);
    expect(throttle.delayFor(0)).toBe(0);
  });
});
