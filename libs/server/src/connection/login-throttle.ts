/** How a {@link LoginThrottle} grows and forgets its delays. */
export interface LoginThrottleOptions {
  /** Delay after the first recent failure from an address; each further one doubles it. 0 disables throttling. */
  readonly baseDelayMs: number;
  /** The delay never grows past this. */
  readonly maxDelayMs: number;
  /** Each this many ms without a failure from an address forgives one of its failures. Default: 4 × maxDelayMs. */
  readonly decayMs?: number;
  /** Most addresses remembered; past it the one whose last failure is oldest is forgotten. Default 10,000. */
  readonly maxAddresses?: number;
}

interface AddressRecord {
  /** Recent failures, before decay since `lastFailureAt`. */
  failures: number;
  lastFailureAt: number;
  /** Until then, attempts from the address are refused without checking the password. */
  blockedUntil: number;
}

const DEFAULT_MAX_ADDRESSES = 10_000;

/**
 * Slows password guessing per source address: every failed login is answered only after a delay that doubles with
 * each recent failure from the same address (`baseDelayMs`, 2×, 4×, … up to `maxDelayMs`), and until that delay has
 * passed, further attempts from the address are refused without hashing. Failures are forgiven one per `decayMs`.
 * Memory is bounded by `maxAddresses`. Times are the caller's monotonic clock (`performance.now()`), passed in so the
 * class has no timers of its own.
 *
 * RabbitMQ waits a fixed time before closing a failed handshake; the growing delay is Warren's (docs/invariants.md,
 * "Login").
 */
export class LoginThrottle {
  private readonly records = new Map<string, AddressRecord>();
  private readonly decayMs: number;
  private readonly maxAddresses: number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.decayMs = Math.max(1, options.decayMs ?? 4 * options.maxDelayMs);
    this.maxAddresses = Math.max(1, options.maxAddresses ?? DEFAULT_MAX_ADDRESSES);
  }

  /** Addresses remembered now (bounded by `maxAddresses`). */
  get size(): number {
    return this.records.size;
  }

  /** Whether an attempt from `address` arriving at `now` must be refused without checking its password. */
  isThrottled(address: string, now: number): boolean {
    const record = this.records.get(address);
    return record !== undefined && now < record.blockedUntil;
  }

  /** The failures from `address` that still count at `now`. */
  recentFailures(address: string, now: number): number {
    const record = this.records.get(address);
    return record === undefined ? 0 : this.decayed(record, now);
  }

  /**
   * Records a failed login from `address` at `now` and returns how long to wait before answering it. Until then
   * (at least) the address is throttled.
   */
  recordFailure(address: string, now: number): number {
    if (this.options.baseDelayMs <= 0) return 0;
    let record = this.records.get(address);
    if (record === undefined) {
      // Map order is insertion order: the first key is the address whose last failure is oldest.
      if (this.records.size >= this.maxAddresses) this.records.delete(this.records.keys().next().value!);
      record = { failures: 0, lastFailureAt: now, blockedUntil: 0 };
    } else {
      record.failures = this.decayed(record, now);
      // Re-inserted below so the map stays ordered by last failure.
      this.records.delete(address);
    }
    record.failures++;
    record.lastFailureAt = now;
    const delayMs = this.delayFor(record.failures);
    record.blockedUntil = Math.max(record.blockedUntil, now + delayMs);
    this.records.set(address, record);
    return delayMs;
  }

  /** The delay an attempt from `address` would wait at `now` without adding a failure (at least the base delay). */
  currentDelay(address: string, now: number): number {
    return this.delayFor(Math.max(1, this.recentFailures(address, now)));
  }

  /** The delay after the `failures`-th recent failure: base × 2^(failures−1), capped. */
  delayFor(failures: number): number {
    const { baseDelayMs, maxDelayMs } = this.options;
    if (baseDelayMs <= 0 || failures <= 0) return 0;
    // Past 2^30 the product is above any sane cap anyway; the exponent bound keeps it a finite number.
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(failures - 1, 30));
  }

  private decayed(record: AddressRecord, now: number): number {
    const forgiven = Math.floor(Math.max(0, now - record.lastFailureAt) / this.decayMs);
    return Math.max(0, record.failures - forgiven);
  }
}
