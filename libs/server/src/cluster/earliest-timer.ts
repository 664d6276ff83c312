/** The shortest wait (never a hot loop, whatever the deadlines say). */
const MIN_DELAY_MS = 10;
/** The longest timer armed (the heartbeat runs the job anyway; keeps setTimeout within its range). */
const MAX_DELAY_MS = 3_600_000;

/**
 * One timer for the earliest of many deadlines a node hears of (the next delayed message due, the next shared
 * message to expire): arming it for a later moment than the one already armed does nothing, an earlier one replaces
 * it. Waits are kept between 10 ms and an hour; unref'd, so it never keeps a stopping process alive.
 */
export class EarliestTimer {
  private timer?: NodeJS.Timeout;
  /** When the armed timer fires (epoch ms), 0 when none is armed. */
  private at = 0;
  private isStopped = false;

  constructor(private readonly fire: () => void) {}

  /** Arms the timer `delayMs` from now unless one fires as early or earlier. */
  arm(delayMs: number): void {
    if (this.isStopped) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, Math.ceil(delayMs)));
    const at = Date.now() + delay;
    if (this.timer !== undefined && this.at <= at) return;
    clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = 0;
      this.fire();
    }, delay);
    this.timer.unref();
  }

  /** Cancels the timer for good (shutdown, lease lost). */
  stop(): void {
    this.isStopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
