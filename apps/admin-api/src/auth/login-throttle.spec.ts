import { LoginThrottle, TooManyLoginsException } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('refuses an address after 10 failures within a minute, until the minute is over', () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle(() => now);
    for (let i = 0; i < 10; i++) {
      expect(() => throttle.check('10.0.0.1')).not.toThrow();
      throttle.failed('10.0.0.1');
    }
    expect(() => throttle.check('10.0.0.1')).toThrow(TooManyLoginsException);
    expect(() => throttle.check('10.0.0.2')).not.toThrow();
    now += 30_000;
    let refusal: unknown;
    try {
      throttle.check('10.0.0.1');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(TooManyLoginsException);
    expect((refusal as TooManyLoginsException).retryAfterSeconds).toBe(30);
    now += 30_000;
    expect(() => throttle.check('10.0.0.1')).not.toThrow();
  });

  it('keeps at most 10,000 addresses (the oldest go first)', () => {
    const throttle = new LoginThrottle(() => 0);
    for (let i = 0; i < 10; i++) throttle.failed('first');
    for (let i = 0; i < 10_000; i++) throttle.failed(`addr-${i}`);
    expect(() => throttle.check('first')).not.toThrow();
    expect((throttle as unknown as { windows: Map<string, unknown> }).windows.size).toBe(10_000);
  });
});
