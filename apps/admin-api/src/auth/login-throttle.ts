import { HttpException, Injectable } from '@nestjs/common';

/** Failed HTTP logins one address may make within {@link WINDOW_MS} before it gets 429s. */
const MAX_FAILURES = 10;
/** The window failures are counted in; an address over the limit waits until its window ends. */
const WINDOW_MS = 60_000;
/** Addresses tracked at most; the oldest entry goes first, so a flood of addresses cannot grow memory. */
const MAX_ADDRESSES = 10_000;

interface FailureWindow {
  startedAt: number;
  failures: number;
}

/**
 * Limits failed HTTP Basic logins per client address: after {@link MAX_FAILURES} failures within a minute the
 * address gets 429 (with `Retry-After`) without its password being checked, until the minute is over. Each check
 * costs the broker an AMQP login (scrypt), so guessing is slowed for the broker's sake as much as the password's.
 */
@Injectable()
export class LoginThrottle {
  private readonly windows = new Map<string, FailureWindow>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Throws 429 when `address` is over its limit. */
  check(address: string): void {
    const window = this.current(address);
    if (window === undefined || window.failures < MAX_FAILURES) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - this.now()) / 1000));
    throw new TooManyLoginsException(retryAfterSeconds);
  }

  /** Counts a failed login from `address`. */
  failed(address: string): void {
    const window = this.current(address);
    if (window) {
      window.failures++;
      return;
    }
    if (this.windows.size >= MAX_ADDRESSES) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(address, { startedAt: this.now(), failures: 1 });
  }

  private current(address: string): FailureWindow | undefined {
    const window = this.windows.get(address);
    if (window && this.now() - window.startedAt >= WINDOW_MS) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }
}

/** 429 `too_many_requests` with the seconds to wait. */
export class TooManyLoginsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super({ error: 'too_many_requests', reason: 'too many failed logins from this address; retry later' }, 429);
  }
}
