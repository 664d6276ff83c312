/** How long to wait between reconnection attempts. */
export interface BackoffOptions {
  /** Delay before the first retry. Default 100 ms. */
  initialDelayMs?: number;
  /** Upper bound for any delay, jitter included. Default 5000 ms. */
  maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Random spread as a fraction of the delay (0..1), so that many clients do not reconnect in lockstep. Default 0.2. */
  jitter?: number;
}

/**
 * The delay before reconnection attempt `attempt` (1-based): exponential, capped at `maxDelayMs`, with
 * multiplicative jitter. `random` is injectable for tests.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = Math.max(0, options.initialDelayMs ?? 100);
  const max = Math.max(initial, options.maxDelayMs ?? 5000);
  const factor = Math.max(1, options.factor ?? 2);
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  const base = Math.min(max, initial * factor ** Math.max(0, attempt - 1));
  // Jitter both ways, then cap: the cap is a promise to the operator, the jitter only a spreading aid.
  const spread = base * jitter * (2 * random() - 1);
  return Math.round(Math.min(max, Math.max(0, base + spread)));
}
